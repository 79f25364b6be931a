//! Serving signed attachment URLs (`/_attachments/{id}/{name}?Expires=…&Nonce=…&Signature=…`).

use axum::response::Response;

use crate::errors::raw;
use crate::sign::{content, url_encode};
use crate::sim::{Simulator, read};

fn denied() -> Response {
    raw(
        403,
        "application/xml",
        b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>Request has expired or the signature does not match</Message></Error>".to_vec(),
    )
}

/// Serves the bytes of an attachment when the URL is validly signed and not expired.
pub fn serve(sim: &Simulator, rest: &str, query: Option<&str>) -> Response {
    let Some((id, name)) = rest.split_once('/') else {
        return raw(404, "text/plain", Vec::new());
    };
    let Ok(id) = id.parse::<i64>() else {
        return raw(404, "text/plain", Vec::new());
    };
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let get = |k: &str| pairs.iter().find(|(x, _)| x == k).map(|(_, v)| v.as_str());
    let (Some(exp), Some(nonce), Some(sig)) = (get("Expires"), get("Nonce"), get("Signature"))
    else {
        return denied();
    };
    let Ok(exp) = exp.parse::<i64>() else {
        return denied();
    };
    let decoded = url::form_urlencoded::parse(format!("n={name}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    if !sim
        .inner
        .signer
        .verify(id, &url_encode(&decoded), exp, nonce, sig)
    {
        return denied();
    }
    let found = sim
        .inner
        .accounts
        .iter()
        .find_map(|a| read(&a.data).attachment_index.get(&id).copied());
    match found {
        Some((ct, size)) => raw(200, ct, content(id, size)),
        None => raw(404, "text/plain", Vec::new()),
    }
}
