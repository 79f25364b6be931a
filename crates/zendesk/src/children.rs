//! Comments and attachments of changed tickets, and attachment downloads.
//!
//! **Comments come from `GET /tickets/{id}/comments` (per changed ticket), not from the
//! `ticket_events` export.** The engine asks for the children of the tickets whose content
//! changed, one ticket at a time; the per-ticket list answers exactly that, costs one call per
//! 100 comments from the plan's account limit (200–2500 per minute), works for any agent, and
//! side-loads the authors (`include=users`) so each comment is attributed to a User or a
//! Contact without another call. `ticket_events?include=comment_events` would spend the
//! scarce incremental limit (10 per minute), is time-based (it can repeat a second forever,
//! reference §9.1), is admin-only, and returns every ticket's events, not the one asked for.
//!
//! Attachments: `content_url` lives on the account host and redirects (302) to a signed URL on
//! another host (`*.zdusercontent.com`). The API client never follows redirects, and the
//! redirect is resolved here with a client that carries **no credentials** at all, so nothing
//! of the account's is ever sent off-host (reference §9.17).

use deskbridge_provider::{NormalizedRecord, ProviderError};
use reqwest::StatusCode;
use serde_json::Value;
use url::Url;

use crate::lists::list_page;
use crate::mapping::{Lookups, map_attachment, map_comment};
use crate::provider::ZendeskProvider;

/// Comments (and their attachments) of one ticket. A deleted ticket answers 404 →
/// [`ProviderError::NotFound`]; archived tickets keep their comments.
pub(crate) async fn fetch_ticket_children(
    p: &ZendeskProvider,
    ticket_id: &str,
) -> Result<Vec<NormalizedRecord>, ProviderError> {
    if ticket_id.is_empty()
        || ticket_id.len() > 20
        || !ticket_id.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(ProviderError::NotFound);
    }
    let path = format!("tickets/{ticket_id}/comments.json");
    let mut records = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..1000 {
        let page = list_page(p, &path, "include=users", "comments", after.as_deref()).await?;
        let mut lookups = Lookups::default();
        lookups.add_users(page.body.get("users"));
        for c in &page.items {
            let staff = lookups.is_staff(c.get("author_id"));
            records.push(map_comment(p.la, ticket_id, c, staff)?);
            for a in c
                .get("attachments")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                records.push(map_attachment(p.la, ticket_id, c, a, staff)?);
            }
        }
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    Ok(records)
}

impl ZendeskProvider {
    /// Resolves an attachment's `content_url` to the signed URL it redirects to, without
    /// sending any credentials: the `content_url` must be on this account's site (else
    /// [`ProviderError::HostNotAllowed`]); it is requested without `Authorization`, and the
    /// `Location` of its redirect is returned for the caller's SSRF-safe download client
    /// (the server's `ProviderFactory::download`). An answer that is not a redirect returns
    /// the `content_url` itself (it serves the file).
    pub async fn attachment_download_url(&self, content_url: &str) -> Result<Url, ProviderError> {
        let url = Url::parse(content_url)
            .map_err(|_| ProviderError::Protocol("the attachment URL is not a URL".into()))?;
        if url.origin() != self.base_url().origin() || !url.username().is_empty() {
            return Err(ProviderError::HostNotAllowed(
                url.host_str()
                    .unwrap_or_default()
                    .chars()
                    .take(100)
                    .collect(),
            ));
        }
        let resp = self
            .plain
            .get(url.clone())
            .timeout(self.http.timeout)
            .send()
            .await
            .map_err(|e| crate::http::transport_error(&e))?;
        let status = resp.status();
        if status.is_redirection() {
            let loc = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| ProviderError::Protocol("a redirect without Location".into()))?;
            let next = url
                .join(loc)
                .map_err(|_| ProviderError::Protocol("the redirect is not a URL".into()))?;
            if !matches!(next.scheme(), "http" | "https") || !next.username().is_empty() {
                return Err(ProviderError::Protocol(
                    "the attachment redirects to an unusable URL".into(),
                ));
            }
            return Ok(next);
        }
        match status {
            s if s.is_success() => Ok(url),
            StatusCode::NOT_FOUND | StatusCode::GONE => Err(ProviderError::NotFound),
            s => Err(ProviderError::Protocol(format!(
                "HTTP {} for the attachment",
                s.as_u16()
            ))),
        }
    }

    /// Downloads an attachment: [`ZendeskProvider::attachment_download_url`], then a GET of
    /// the signed URL with a client that carries no credentials and follows no further
    /// redirect. Prefer handing the resolved URL to an SSRF-safe client in a server.
    pub async fn download_attachment(
        &self,
        content_url: &str,
    ) -> Result<reqwest::Response, ProviderError> {
        let url = self.attachment_download_url(content_url).await?;
        let resp = self
            .plain
            .get(url)
            .timeout(self.http.timeout)
            .send()
            .await
            .map_err(|e| crate::http::transport_error(&e))?;
        if !resp.status().is_success() {
            return Err(ProviderError::Protocol(format!(
                "HTTP {} for the attachment",
                resp.status().as_u16()
            )));
        }
        Ok(resp)
    }
}
