//! Who may frame the hosted Link page and receive the public token it hands over: the
//! embedder-origin allowlist (`DESKBRIDGE_LINK_EMBED_ORIGINS`).
//!
//! Without a list, no site may frame the page (a framing site could overlay it and trick the
//! end user into linking — clickjacking) and the page posts its message to nobody, because a
//! `postMessage(…, "*")` lets whichever site opened or framed the page read the public token.

/// Parses the configured origins (`https://app.example.com`, `http://127.0.0.1:3000`) into
/// their browser serialization (scheme and host lower-cased, default port dropped), which is
/// what `frame-ancestors` and `postMessage` compare against.
pub fn parse_origins(items: &[String]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for item in items.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let refuse = || {
            format!(
                "`{item}` is not an origin such as https://app.example.com (scheme, host and \
                 port only; no path, no wildcard)"
            )
        };
        let url = url::Url::parse(item).map_err(|_| refuse())?;
        let bare = url.path() == "/" && url.query().is_none() && url.fragment().is_none();
        let clean = url.username().is_empty() && url.password().is_none();
        if !matches!(url.scheme(), "http" | "https") || !bare || !clean || url.host().is_none() {
            return Err(refuse());
        }
        let origin = url.origin().ascii_serialization();
        if !out.contains(&origin) {
            out.push(origin);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalised_and_anything_else_refused() {
        let list = |v: &[&str]| parse_origins(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            list(&[
                "HTTPS://App.Example.com:443",
                " http://127.0.0.1:3000/ ",
                ""
            ]),
            Ok(vec![
                "https://app.example.com".to_string(),
                "http://127.0.0.1:3000".to_string()
            ])
        );
        for bad in [
            "*",
            "null",
            "https://a.example/path",
            "ftp://a.example",
            "https://u@a.example",
        ] {
            assert!(list(&[bad]).is_err(), "{bad}");
        }
    }
}
