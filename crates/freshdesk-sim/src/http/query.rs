//! Query strings (order kept for `Link` headers) and pagination parameters.

use crate::errors::FieldError;

/// Parsed query string.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// The raw query string (without `?`).
    pub raw: String,
    /// Decoded pairs in request order.
    pub pairs: Vec<(String, String)>,
}

impl Query {
    /// Parses a raw query string.
    pub fn parse(raw: Option<&str>) -> Self {
        let raw = raw.unwrap_or("").to_owned();
        let pairs = url::form_urlencoded::parse(raw.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Self { raw, pairs }
    }

    /// First value of a parameter.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `invalid_field` errors for parameters outside `allowed`, in request order, without repeats.
    pub fn unknown(&self, allowed: &[&str]) -> Vec<FieldError> {
        let mut seen: Vec<&str> = Vec::new();
        for (k, _) in &self.pairs {
            if !allowed.contains(&k.as_str()) && !seen.contains(&k.as_str()) {
                seen.push(k);
            }
        }
        seen.into_iter().map(FieldError::unexpected).collect()
    }

    /// The same query with `page` replaced (or appended), values not re-encoded.
    pub fn with_page(&self, page: u64) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut replaced = false;
        for part in self.raw.split('&').filter(|p| !p.is_empty()) {
            let key = part.split('=').next().unwrap_or("");
            if key == "page" {
                if !replaced {
                    parts.push(format!("page={page}"));
                    replaced = true;
                }
            } else {
                parts.push(part.to_owned());
            }
        }
        if !replaced {
            parts.push(format!("page={page}"));
        }
        parts.join("&")
    }
}

/// Page and page size of a list request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// 1-based page.
    pub page: u64,
    /// Page size.
    pub per_page: u64,
}

impl Paging {
    /// Rows to skip.
    pub fn offset(&self) -> usize {
        usize::try_from((self.page - 1).saturating_mul(self.per_page)).unwrap_or(usize::MAX)
    }

    /// Page size as usize.
    pub fn size(&self) -> usize {
        usize::try_from(self.per_page).unwrap_or(100)
    }
}

fn positive(v: &str) -> Option<u64> {
    v.trim().parse::<u64>().ok().filter(|n| *n > 0)
}

/// Reads `page` and `per_page` (default 30, max 100); `max_page` caps `page` (tickets: 300).
pub fn paging(q: &Query, max_page: Option<u64>, errors: &mut Vec<FieldError>) -> Paging {
    let mut p = Paging {
        page: 1,
        per_page: 30,
    };
    if let Some(v) = q.get("per_page") {
        match positive(v) {
            Some(n) if n <= 100 => p.per_page = n,
            _ => errors.push(FieldError::new(
                "per_page",
                "It should be a Positive Integer less than or equal to 100",
                "invalid_value",
            )),
        }
    }
    if let Some(v) = q.get("page") {
        match positive(v) {
            Some(n) if max_page.is_some_and(|m| n > m) => errors.push(FieldError::new(
                "page",
                format!(
                    "You cannot access tickets beyond the {}th page. Please provide a smaller page number.",
                    max_page.unwrap_or(300)
                ),
                "invalid_value",
            )),
            Some(n) => p.page = n,
            None => errors.push(FieldError::new("page", "It should be a Positive Integer", "invalid_value")),
        }
    }
    p
}

/// Splits `(items, has_more)` from a `per_page + 1` fetch.
pub fn split_more<T>(mut items: Vec<T>, paging: &Paging) -> (Vec<T>, bool) {
    let more = items.len() > paging.size();
    items.truncate(paging.size());
    (items, more)
}

/// Pages a fully materialised, already ordered list.
pub fn page_of<T: Clone>(all: &[T], paging: &Paging) -> (Vec<T>, bool) {
    let items: Vec<T> = all
        .iter()
        .skip(paging.offset())
        .take(paging.size() + 1)
        .cloned()
        .collect();
    split_more(items, paging)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn page_is_replaced_in_place_or_appended() {
        let q = Query::parse(Some(
            "updated_since=2023-01-01T00:00:00Z&page=2&per_page=100",
        ));
        assert_eq!(
            q.with_page(3),
            "updated_since=2023-01-01T00:00:00Z&page=3&per_page=100"
        );
        let q = Query::parse(Some("per_page=5"));
        assert_eq!(q.with_page(2), "per_page=5&page=2");
        assert_eq!(Query::parse(None).with_page(2), "page=2");
    }
}
