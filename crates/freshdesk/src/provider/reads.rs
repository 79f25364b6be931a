//! Reads per stream: tickets (an `updated_since` walk), deletions, contacts, the full walks
//! of the small streams, id listings for reconciliation, and the credential check.

use super::*;

/// Keys the tickets list is asked to include (`include=stats`) that a plain view lacks; the
/// targeted fetch asks its view for them too, so they belong to the stored shape.
const LIST_INCLUDES: &[&str] = &["stats"];

impl FreshdeskProvider {
    /// Every remote id of a model that Freshdesk lists now, for the periodic id
    /// reconciliation. Tickets: an `updated_since` walk without includes (1 credit per 100;
    /// spam and deleted tickets are not listed). Contacts (not deleted), companies, agents,
    /// groups, roles: page walks with boundary checks (see the docs).
    pub async fn list_all_ids(&self, kind: ModelKind) -> Result<Vec<String>, ProviderError> {
        match kind {
            ModelKind::Ticket => {
                let mut ids = BTreeSet::new();
                let mut cp = TicketCheckpoint::start();
                loop {
                    let path = format!("tickets?{}", cp.query());
                    let (body, _) = self.http.get_json(&path, 1).await?;
                    let items = into_array(body, "tickets")?;
                    let keys = ticket_keys(&items)?;
                    let adv = cp.advance(&keys, Duration::ZERO)?;
                    ids.extend(keys.iter().map(|(id, _)| *id));
                    if adv.done {
                        break;
                    }
                    cp = adv.next;
                }
                Ok(ids.into_iter().map(|i| i.to_string()).collect())
            }
            ModelKind::Contact
            | ModelKind::Account
            | ModelKind::User
            | ModelKind::Team
            | ModelKind::Role => {
                let resource = match kind {
                    ModelKind::Contact => "contacts",
                    ModelKind::Account => "companies",
                    ModelKind::User => "agents",
                    ModelKind::Team => "groups",
                    _ => "roles",
                };
                // Blocked contacts are left out of the default list but still exist.
                let extras: &[&str] = if kind == ModelKind::Contact {
                    &["", "&state=blocked"]
                } else {
                    &[""]
                };
                let mut ids = BTreeSet::new();
                for extra in extras {
                    let mut cp = FullCheckpoint::default();
                    loop {
                        let (items, next, done) = self.full_page(resource, extra, &cp).await?;
                        for item in &items {
                            if item.get("deleted").and_then(Value::as_bool) == Some(true) {
                                continue;
                            }
                            if let Some(id) = remote_id_of(item) {
                                ids.insert(id);
                            }
                        }
                        if done {
                            break;
                        }
                        cp = next;
                    }
                }
                Ok(ids.into_iter().collect())
            }
            _ => Err(ProviderError::Unsupported(
                "this model is not synced from Freshdesk",
            )),
        }
    }

    pub(super) async fn fetch_tickets(
        &self,
        checkpoint: Option<&Value>,
    ) -> Result<FetchBatch, ProviderError> {
        let cp = TicketCheckpoint::from_json(checkpoint)?;
        let include = if self.include_stats {
            "description,stats"
        } else {
            "description"
        };
        let path = format!("tickets?{}&include={include}", cp.query());
        let (body, _) = self.http.get_body(&path, call_credits(&path)).await?;
        let items = raw::array_items(&body, "tickets")?;
        let members = items
            .iter()
            .map(|it| raw::Members::of(it).ok_or_else(no_ticket_key))
            .collect::<Result<Vec<_>, _>>()?;
        let keys = members
            .iter()
            .map(|m| ticket_key(&m.decoded(&["id", "updated_at"])))
            .collect::<Result<Vec<_>, _>>()?;
        let adv = cp.advance(&keys, self.overlap)?;
        let mut members: Vec<Option<raw::Members<'_>>> = members.into_iter().map(Some).collect();
        let emitted: Vec<raw::Members<'_>> =
            adv.emit.iter().filter_map(|&i| members[i].take()).collect();
        // A loop, not `map` with a closure: a closure over borrowed members fails the
        // compiler's higher-ranked lifetime check of this `Send` future.
        let mut views = Vec::with_capacity(emitted.len());
        for m in &emitted {
            views.push(self.enrich_ticket(m));
        }
        let enriched: Vec<raw::WalkTicket> = futures::stream::iter(views)
            .buffered(self.view_concurrency)
            .try_collect()
            .await?;
        let reads: Vec<&Value> = enriched.iter().map(|t| &t.reads).collect();
        self.remember_live(&reads);
        let mut records = self.flagged_parents(&reads).await?;
        let mut tags = BTreeSet::new();
        for t in enriched {
            if let Some(list) = t.reads.get("tags").and_then(Value::as_array) {
                tags.extend(list.iter().filter_map(Value::as_str).map(str::to_string));
            }
            records.push(raw::map_walk_ticket(self.la, &self.http.base, t)?);
        }
        records.extend(tags.iter().map(|t| map_tag(self.la, t)));
        Ok(FetchBatch {
            records,
            deleted: vec![],
            checkpoint: Some(adv.next.to_json()),
            done: adv.done,
        })
    }

    /// The ticket as its view shows it (`attachments`, `associated_tickets_list`,
    /// `source_additional_info`, …): 1 credit. Values of the list item win, so the record
    /// stays consistent with the `updated_at` the walk saw, but only the view's keys are kept
    /// (plus what the list was asked to include, `stats`): a targeted fetch after a push sees
    /// the view alone, and both must store one shape (see `mapping::canonical_raw`). Merged
    /// from the answers' text ([`raw::merge_ticket`]).
    pub(super) async fn enrich_ticket(
        &self,
        item: &raw::Members<'_>,
    ) -> Result<raw::WalkTicket, ProviderError> {
        let Some(id) = remote_id_of(&item.decoded(&["id"])) else {
            return Ok(raw::merge_ticket(item, None, LIST_INCLUDES));
        };
        let view_body = match self.http.get_body(&format!("tickets/{id}"), 1).await {
            Ok((b, _)) => Some(b),
            Err(ProviderError::NotFound) => None,
            Err(e) => return Err(e),
        };
        let view: Option<&serde_json::value::RawValue> = match &view_body {
            Some(b) => Some(
                serde_json::from_slice(b)
                    .map_err(|_| ProviderError::Protocol("the answer is not JSON".into()))?,
            ),
            None => None,
        };
        let mut t = raw::merge_ticket(item, view, LIST_INCLUDES);
        if let Some(attachments) = t.view_attachments.take() {
            self.ticket_attachments
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(id, attachments, view_cache::VIEW_CACHE_CAP);
        }
        Ok(t)
    }

    pub(super) async fn fetch_deletions(
        &self,
        filter: &str,
        checkpoint: Option<&Value>,
    ) -> Result<FetchBatch, ProviderError> {
        let cp = TicketCheckpoint::from_json(checkpoint)?;
        let path = format!("tickets?filter={filter}&{}", cp.query());
        let (body, _) = self.http.get_json(&path, 1).await?;
        let items = into_array(body, "tickets")?;
        let keys = ticket_keys(&items)?;
        let adv = cp.advance(&keys, self.overlap)?;
        let deleted = adv
            .emit
            .iter()
            .map(|&i| Deletion {
                kind: ModelKind::Ticket,
                remote_id: keys[i].0.to_string(),
                remote_updated_at: Some(format_ts(keys[i].1)),
            })
            .collect();
        Ok(FetchBatch {
            records: vec![],
            deleted,
            checkpoint: Some(adv.next.to_json()),
            done: adv.done,
        })
    }

    /// Contacts: `GET /contacts?_updated_since=` walked by page number (Freshdesk sorts
    /// contacts by name and offers no other order), in two phases: the default list (which
    /// leaves out blocked and deleted contacts), then `state=blocked`, which Freshdesk
    /// answers with the blocked *and* the deleted contacts (`deleted: true` →
    /// `remote_was_deleted`). With nothing changed that is two calls. A completed walk sets
    /// the next `_updated_since` to the server time of its first call minus the overlap.
    pub(super) async fn fetch_contacts(
        &self,
        checkpoint: Option<&Value>,
    ) -> Result<FetchBatch, ProviderError> {
        let mut cp = ContactsCheckpoint::from_json(checkpoint);
        let mut path = format!("contacts?per_page={PER_PAGE}&page={}", cp.page);
        if let Some(since) = cp.since {
            path.push_str(&format!("&_updated_since={}", format_ts(since)));
        }
        if let Some(state) = cp.phase.state() {
            path.push_str(&format!("&state={state}"));
        }
        let (body, headers) = self.http.get_json(&path, 1).await?;
        if cp.page == 1 && cp.phase == ContactsPhase::Live {
            cp.started = Some(server_time(&headers));
        }
        let items = into_array(body, "contacts")?;
        let mut records = Vec::with_capacity(items.len());
        for raw in &items {
            records.push(map_contact(self.la, raw)?);
        }
        let more = has_next_link(&headers) || items.len() as u32 >= PER_PAGE;
        let mut done = false;
        if more {
            cp.page += 1;
        } else if let Some(next) = cp.phase.next() {
            cp.phase = next;
            cp.page = 1;
        } else {
            let overlap = chrono::Duration::from_std(self.overlap).unwrap_or_default();
            cp = ContactsCheckpoint {
                since: cp.started.map(|s| s - overlap),
                page: 1,
                started: None,
                phase: ContactsPhase::Live,
            };
            done = true;
        }
        Ok(FetchBatch {
            records,
            deleted: vec![],
            checkpoint: Some(cp.to_json()),
            done,
        })
    }

    /// One page of a full walk, with a boundary check from page 2 on: the last item of the
    /// previous page must still be where it was (`per_page=1&page=(P−1)·100`, 1 credit),
    /// else the list shifted (a concurrent delete or rename) and the previous page is read
    /// again. Returns the items, the next checkpoint and whether the walk is complete.
    pub(super) async fn full_page(
        &self,
        resource: &str,
        extra_query: &str,
        cp: &FullCheckpoint,
    ) -> Result<(Vec<Value>, FullCheckpoint, bool), ProviderError> {
        let page = cp.page.max(1);
        let (body, headers) = self
            .http
            .get_json(
                &format!("{resource}?per_page={PER_PAGE}&page={page}{extra_query}"),
                1,
            )
            .await?;
        let items = into_array(body, resource)?;
        let mut next = cp.clone();
        next.last_ids.truncate((page - 1) as usize);
        if page >= 2
            && let Some(expected) = next.last_ids.get((page - 2) as usize).cloned()
        {
            {
                let probe_page = (page - 1) * PER_PAGE;
                let (probe, _) = self
                    .http
                    .get_json(
                        &format!("{resource}?per_page=1&page={probe_page}{extra_query}"),
                        1,
                    )
                    .await?;
                let found = into_array(probe, resource)?.first().and_then(remote_id_of);
                if found.as_deref() != Some(expected.as_str()) {
                    next.backsteps += 1;
                    if next.backsteps > MAX_BACKSTEPS {
                        return Err(ProviderError::Transient(format!(
                            "the {resource} list kept shifting during the walk"
                        )));
                    }
                    next.page = page - 1;
                    next.last_ids.truncate((page - 2) as usize);
                    return Ok((items, next, false));
                }
            }
        }
        let more = has_next_link(&headers) || items.len() as u32 >= PER_PAGE;
        if let Some(last) = items.last().and_then(remote_id_of) {
            next.last_ids.push(last);
        }
        next.page = page + 1;
        Ok((items, next, !more))
    }

    pub(super) async fn fetch_full(
        &self,
        name: &str,
        checkpoint: Option<&Value>,
    ) -> Result<FetchBatch, ProviderError> {
        let cp = FullCheckpoint::from_json(checkpoint);
        let resource = match name {
            stream::COMPANIES => "companies",
            stream::GROUPS => "groups",
            _ => "roles",
        };
        let (items, next, done) = self.full_page(resource, "", &cp).await?;
        let records = match name {
            stream::COMPANIES => map_all(&items, |r| map_account(self.la, r))?,
            stream::GROUPS => map_all(&items, |r| map_team(self.la, r))?,
            _ => map_all(&items, |r| map_role(self.la, r))?,
        };
        Ok(FetchBatch {
            records,
            deleted: vec![],
            checkpoint: Some(next.to_json()),
            done,
        })
    }

    /// Agents: the list lacks `group_ids` and `role_ids`; `GET /agents/{id}` (1 credit per
    /// agent) has both. Group views carry `agent_ids` but no roles, so per-agent views are
    /// the only faithful source of roles and cost the same as reading teams from groups.
    pub(super) async fn agents_with_views(
        &self,
        items: Vec<Value>,
    ) -> Result<Vec<NormalizedRecord>, ProviderError> {
        let views: Vec<Option<Value>> =
            futures::stream::iter(items.into_iter().map(|item| async move {
                let Some(id) = remote_id_of(&item) else {
                    return Ok(None);
                };
                match self.http.get_json(&format!("agents/{id}"), 1).await {
                    Ok((view, _)) if view.is_object() => {
                        let mut merged = item;
                        if let (Some(m), Some(v)) = (merged.as_object_mut(), view.as_object()) {
                            for (k, val) in v {
                                m.insert(k.clone(), val.clone());
                            }
                        }
                        Ok(Some(merged))
                    }
                    Ok(_) => Ok(Some(item)),
                    // Deleted between the list and the view: not an agent any more.
                    Err(ProviderError::NotFound) => Ok(None),
                    Err(e) => Err(e),
                }
            }))
            .buffered(self.view_concurrency)
            .try_collect()
            .await?;
        let mut records = Vec::new();
        let mut ids = Vec::new();
        for v in views.into_iter().flatten() {
            let r = map_user(self.la, &v)?;
            ids.push(r.remote_id.clone());
            records.push(r);
        }
        self.known_agents
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .extend(ids);
        Ok(records)
    }

    /// The credential check, with the Free-plan rule: Freshdesk's Free plan allows 0 calls
    /// per minute, so its very first call of a window is refused and a 429 carries no rate
    /// headers. A 429 with `X-RateLimit-Total: 0`, or one whose `Retry-After` is a whole
    /// window (≥ 59 s) before any answer was ever counted, or a second 429 right after a
    /// short `Retry-After` (≤ 5 s) has passed, means NoApiAccess; any other 429 is
    /// RateLimited.
    pub(super) async fn check(&self) -> Result<(), ProviderError> {
        match self.check_once().await {
            Err(ProviderError::RateLimited { retry_after }) => {
                if retry_after >= Duration::from_secs(59) && self.http.budget.total().is_none() {
                    return Err(ProviderError::NoApiAccess);
                }
                if retry_after > Duration::from_secs(5) {
                    return Err(ProviderError::RateLimited { retry_after });
                }
                // The budget waits for the Retry-After; the next call opens a new window.
                match self.check_once().await {
                    Err(ProviderError::RateLimited { .. }) => Err(ProviderError::NoApiAccess),
                    other => other,
                }
            }
            other => other,
        }
    }

    pub(super) async fn check_once(&self) -> Result<(), ProviderError> {
        let url = self.http.api_url("agents/me")?;
        let raw = self
            .http
            .execute(Method::GET, url, None, 1, Mode::Check)
            .await?;
        if raw.status.is_success() {
            return Ok(());
        }
        let code = serde_json::from_slice::<Value>(&raw.body)
            .ok()
            .and_then(|v| v.get("code").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_default();
        Err(match raw.status {
            StatusCode::UNAUTHORIZED => ProviderError::Unauthorized,
            StatusCode::FORBIDDEN if code == "account_suspended" => ProviderError::Suspended,
            StatusCode::FORBIDDEN if code == "require_feature" => ProviderError::NoApiAccess,
            StatusCode::NOT_FOUND => {
                let text = String::from_utf8_lossy(&raw.body).to_ascii_lowercase();
                if text.contains("datacenter") {
                    ProviderError::Transient(
                        "the account is being moved to another datacenter".into(),
                    )
                } else {
                    ProviderError::UnknownAccount
                }
            }
            s => classify_status(s, &raw.body),
        })
    }
}

pub(super) fn map_all(
    items: &[Value],
    f: impl Fn(&Value) -> Result<NormalizedRecord, ProviderError>,
) -> Result<Vec<NormalizedRecord>, ProviderError> {
    items.iter().map(f).collect()
}

pub(super) fn into_array(body: Value, what: &str) -> Result<Vec<Value>, ProviderError> {
    match body {
        Value::Array(a) => Ok(a),
        _ => Err(ProviderError::Protocol(format!(
            "the {what} list is not an array"
        ))),
    }
}

pub(super) fn ticket_keys(items: &[Value]) -> Result<Vec<(i64, DateTime<Utc>)>, ProviderError> {
    items.iter().map(ticket_key).collect()
}

/// The walk's key of a ticket: its id and `updated_at`.
pub(super) fn ticket_key(item: &Value) -> Result<(i64, DateTime<Utc>), ProviderError> {
    let id = item.get("id").and_then(Value::as_i64);
    let ts = item.get("updated_at").and_then(parse_ts);
    match (id, ts) {
        (Some(id), Some(ts)) => Ok((id, ts)),
        _ => Err(no_ticket_key()),
    }
}

fn no_ticket_key() -> ProviderError {
    ProviderError::Protocol("a ticket without id or updated_at".into())
}

/// The server's clock from the `Date` header (else ours), for contacts bookmarks.
pub(super) fn server_time(headers: &HeaderMap) -> DateTime<Utc> {
    headers
        .get(reqwest::header::DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| DateTime::parse_from_rfc2822(s).ok())
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_else(Utc::now)
}
