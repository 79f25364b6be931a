//! The Link page's HTML: the two steps' pages, template filling, escaping, and the response headers that keep the
//! page private and framed only by the configured embedder origins
//! (`DESKBRIDGE_LINK_EMBED_ORIGINS`; none by default, against clickjacking).

use std::collections::BTreeMap;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use deskbridge_provider::{CredentialField, Integration};
use deskbridge_store::link_tokens::LinkSession;

use crate::state::AppState;

const PAGE: &str = include_str!("../assets/link/page.html");
const CHOOSE: &str = include_str!("../assets/link/choose.html");
const FORM: &str = include_str!("../assets/link/form.html");

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
    state.providers.get(slug).map(|i| i.info().name)
}

/// An integration's vendored SVG logo as an `<img>` (a `data:` URI: the page loads nothing
/// from elsewhere, and the CSP allows `data:` images).
fn logo(i: &dyn Integration) -> String {
    use base64::Engine as _;
    let svg = base64::engine::general_purpose::STANDARD.encode(i.look().logo_svg);
    format!("<img src=\"data:image/svg+xml;base64,{svg}\" alt=\"\">")
}

/// The inputs of an integration's credential fields, rendered from its field data: values
/// typed so far are kept for the fields that are not secret, and with an error the first
/// field is focused unless filled, then the first secret one.
fn field_inputs(i: &dyn Integration, values: &BTreeMap<String, String>, error: bool) -> String {
    let fields = i.credential_fields();
    let filled = |f: &CredentialField| values.get(f.name).is_some_and(|v| !v.trim().is_empty());
    let focus = if error && fields.first().is_some_and(|f| !f.secret && filled(f)) {
        fields.iter().position(|f| f.secret)
    } else {
        Some(0)
    };
    let mut out = String::new();
    for (n, f) in fields.iter().enumerate() {
        let name = esc(f.name);
        let value = if f.secret {
            String::new()
        } else {
            let v = values.get(f.name).map(String::as_str).unwrap_or_default();
            format!(" value=\"{}\"", esc(v))
        };
        let (kind, extra) = if f.secret {
            ("password", "")
        } else {
            ("text", "")
        };
        let focus = match (focus == Some(n), error) {
            (true, true) if f.secret => " autofocus aria-invalid=\"true\"",
            (true, _) => " autofocus",
            _ => "",
        };
        let placeholder = if f.secret {
            String::new()
        } else {
            format!(" placeholder=\"{}\"", esc(f.example))
        };
        let steps = if f.steps.is_empty() {
            String::new()
        } else {
            let items: String = f
                .steps
                .iter()
                .map(|s| format!("<li>{}</li>", esc(s)))
                .collect();
            format!(
                "\n    <details class=\"help\">\n      <summary>Where do I find my {}?</summary>\n      <ol>{items}</ol>\n    </details>",
                esc(f.label)
            )
        };
        out.push_str(&format!(
            "  <div class=\"field\">\n    <label for=\"{name}\">{label}</label>\n    \
             <input id=\"{name}\" name=\"{name}\" type=\"{kind}\"{extra} autocomplete=\"off\" \
             autocapitalize=\"none\" spellcheck=\"false\" required maxlength=\"{max}\"{value}{placeholder} \
             aria-describedby=\"{name}-help\"{focus}>\n    \
             <p id=\"{name}-help\" class=\"help\">{help}</p>{steps}\n  </div>\n",
            label = esc(f.label),
            max = f.max_len,
            help = esc(f.help),
        ));
    }
    out
}

/// The credentials step of `slug`, with the values typed so far and an error to show, if
/// any; the picker when `slug` is not offered.
pub fn form_page(
    state: &AppState,
    s: &LinkSession,
    slug: &str,
    status: StatusCode,
    values: &BTreeMap<String, String>,
    error: Option<&str>,
) -> Response {
    let Some(i) = state.providers.get(slug) else {
        return choose_page(state, s);
    };
    let i = i.as_ref();
    let back = if s.integration.is_none() {
        r#"<a class="back" href="?">← Choose another helpdesk</a>"#
    } else {
        ""
    };
    let info = i.info();
    let body = fill(
        FORM,
        &[
            ("org", &esc(&s.organization_name)),
            ("logo", &logo(i)),
            ("name", &esc(info.name)),
            ("slug", &esc(info.slug)),
            ("scope", &esc(i.look().scope)),
            ("error", &esc(error.unwrap_or_default())),
            ("error_hidden", if error.is_some() { "" } else { " hidden" }),
            ("fields", &field_inputs(i, values, error.is_some())),
            ("back", back),
        ],
    );
    page(state, status, &format!("Connect {}", info.name), &body, "")
}

/// Step 1: the helpdesk picker.
pub fn choose_page(state: &AppState, s: &LinkSession) -> Response {
    let items: String = state
        .providers
        .all()
        .iter()
        .map(|i| {
            let info = i.info();
            format!(
                "<li><a href=\"?integration={slug}\"><span class=\"logo\" aria-hidden=\"true\">{logo}</span>{name}\
                 <span class=\"hint\">API key</span></a></li>",
                slug = esc(info.slug),
                logo = logo(i.as_ref()),
                name = esc(info.name),
            )
        })
        .collect();
    let body = fill(
        CHOOSE,
        &[("org", &esc(&s.organization_name)), ("items", &items)],
    );
    page(state, StatusCode::OK, "Connect your helpdesk", &body, "")
}

/// The success step's note when Deskbridge installed the push itself (an admin's credential):
/// the end user learns what was added to their helpdesk and that disconnecting removes it.
pub fn push_installed_html(integration_name: &str) -> String {
    format!(
        "<section id=\"push\" aria-labelledby=\"push-title\"><h2 id=\"push-title\">See ticket changes within seconds</h2>\
         <p>Deskbridge set up {} to tell it when a ticket changes (what it added there is named \"Deskbridge push\"). Nothing to do: disconnecting removes it.</p></section>",
        esc(integration_name)
    )
}

/// The success step's push set-up (no script needed): the steps, then the URL, the header and
/// the body to paste, each in a `<pre>` so that it is copied exactly.
pub fn push_setup_html(setup: &crate::push::PushSetupSteps) -> String {
    let steps: String = setup
        .steps
        .iter()
        .map(|s| format!("<li>{}</li>", esc(s)))
        .collect();
    format!(
        "<section id=\"push\" aria-labelledby=\"push-title\"><h2 id=\"push-title\">See ticket changes within seconds</h2>\
         <p>Set up this rule in your helpdesk so that it tells Deskbridge when a ticket changes (Deskbridge sets it up itself when the credential is an admin's). Keep the secret private; it is shown only now.</p>\
         <ol>{steps}</ol><dl><dt>URL</dt><dd><pre>{}</pre></dd><dt>Header</dt><dd><pre>{}: {}</pre></dd>\
         <dt>JSON body</dt><dd><pre>{}</pre></dd></dl></section>",
        esc(&setup.url),
        esc(&setup.header_name),
        esc(&setup.header_value),
        esc(&setup.body_template),
    )
}
