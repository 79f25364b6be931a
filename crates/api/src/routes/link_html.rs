//! The Link page's HTML: the two steps' pages, template filling, escaping, and the response headers that keep the
//! page private and framed only by the configured embedder origins
//! (`DESKBRIDGE_LINK_EMBED_ORIGINS`; none by default, against clickjacking).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use deskbridge_store::link_tokens::LinkSession;

use crate::state::AppState;

const PAGE: &str = include_str!("../../assets/link/page.html");
const CHOOSE: &str = include_str!("../../assets/link/choose.html");
const FRESHDESK: &str = include_str!("../../assets/link/freshdesk.html");

/// Escapes text for HTML content and attribute values (and template braces).
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Braces too, so no value can form a `{{placeholder}}` of the templates.
            '{' => out.push_str("&#123;"),
            '}' => out.push_str("&#125;"),
            c => out.push(c),
        }
    }
    out
}

/// Replaces each `{{name}}` of a template with its (already HTML) value.
pub fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    vars.iter().fold(template.to_string(), |t, (k, v)| {
        t.replace(&format!("{{{{{k}}}}}"), v)
    })
}

/// A Link page: the template filled in, with the headers that keep it private (no cache, no
/// referrer) and framed only by the configured embedder origins.
pub fn page(
    state: &AppState,
    status: StatusCode,
    title: &str,
    body: &str,
    attrs: &str,
) -> Response {
    let origins = &state.config.link_embed_origins;
    // The script posts the public token to these origins only (never "*").
    let attrs = if origins.is_empty() {
        attrs.to_string()
    } else {
        format!(" data-embed-origins=\"{}\"{attrs}", esc(&origins.join(" ")))
    };
    let html = fill(
        PAGE,
        &[("title", &esc(title)), ("attrs", &attrs), ("body", body)],
    );
    let redirect_origin = state
        .config
        .link_redirect_url
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .map(|u| format!(" {}", u.origin().ascii_serialization()))
        .unwrap_or_default();
    let frame_ancestors = if origins.is_empty() {
        "'none'".to_string()
    } else {
        origins.join(" ")
    };
    let csp = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; form-action 'self'{redirect_origin}; base-uri 'none'; \
         frame-ancestors {frame_ancestors}"
    );
    let mut res = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response();
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // For browsers without CSP `frame-ancestors`, which cannot name origins: deny. Browsers
    // that know `frame-ancestors` ignore this header when the policy has it, so the allowed
    // origins can still frame the page.
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

/// The name of the integration `slug`, if Deskbridge offers it.
pub fn integration_name(state: &AppState, slug: &str) -> Option<&'static str> {
    state
        .providers
        .integrations()
        .into_iter()
        .find(|i| i.slug == slug)
        .map(|i| i.name)
}

/// The credentials step, with the domain typed so far and an error to show, if any.
pub fn form_page(
    state: &AppState,
    s: &LinkSession,
    status: StatusCode,
    domain: &str,
    error: Option<&str>,
) -> Response {
    let back = if s.integration.is_none() {
        r#"<a class="back" href="?">← Choose another helpdesk</a>"#
    } else {
        ""
    };
    let focus_key = error.is_some() && !domain.is_empty();
    let body = fill(
        FRESHDESK,
        &[
            ("org", &esc(&s.organization_name)),
            ("domain", &esc(domain)),
            ("error", &esc(error.unwrap_or_default())),
            ("error_hidden", if error.is_some() { "" } else { " hidden" }),
            ("domain_focus", if focus_key { "" } else { " autofocus" }),
            (
                "key_focus",
                if focus_key {
                    " autofocus aria-invalid=\"true\""
                } else {
                    ""
                },
            ),
            ("back", back),
        ],
    );
    page(state, status, "Connect Freshdesk", &body, "")
}

/// Step 1: the helpdesk picker.
pub fn choose_page(state: &AppState, s: &LinkSession) -> Response {
    let items: String = state
        .providers
        .integrations()
        .iter()
        .map(|i| {
            format!(
                "<li><a href=\"?integration={slug}\"><span class=\"logo\" aria-hidden=\"true\">{initial}</span>{name}\
                 <span class=\"hint\">API key</span></a></li>",
                slug = esc(i.slug),
                initial = esc(&i.name.chars().take(1).collect::<String>()),
                name = esc(i.name),
            )
        })
        .collect();
    let body = fill(
        CHOOSE,
        &[("org", &esc(&s.organization_name)), ("items", &items)],
    );
    page(state, StatusCode::OK, "Connect your helpdesk", &body, "")
}
