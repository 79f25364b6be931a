//! Memdesk: a fixed in-memory helpdesk that exists only in this test, implementing the
//! registry's `Integration` and `TicketingProvider` — the proof that adding a helpdesk needs
//! its own files and one wiring line, nothing else.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use deskbridge_model::{ModelKind, record_id};
use deskbridge_provider::{
    CredentialField, Credentials, FetchBatch, Integration, IntegrationInfo, Look, NormalizedRecord,
    PassthroughRequest, PassthroughResponse, ProviderError, RecordRef, Refusals, StreamMode,
    SyncStream, TicketWrite, TicketingProvider, WriteContext, WriteOutcome,
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

/// The token Memdesk accepts.
pub const TOKEN: &str = "memdesk-open-sesame";

const FIELDS: &[CredentialField] = &[
    CredentialField {
        name: "workspace",
        label: "Memdesk workspace",
        help: "The workspace name shown in Memdesk's corner.",
        steps: &[],
        example: "team-a",
        secret: false,
        max_len: 64,
        missing: "Enter your Memdesk workspace.",
    },
    CredentialField {
        name: "api_token",
        label: "Memdesk token",
        help: "Any Memdesk token of an admin.",
        steps: &["Open Memdesk settings.", "Copy the Memdesk token."],
        example: "memdesk-token",
        secret: true,
        max_len: 64,
        missing: "Enter your Memdesk token.",
    },
];

/// The helpdesk's tickets created through the API (shared by every provider it builds).
#[derive(Default)]
pub struct Memdesk {
    created: Arc<Mutex<Vec<(String, String)>>>,
}

impl Integration for Memdesk {
    fn info(&self) -> IntegrationInfo {
        IntegrationInfo {
            slug: "memdesk",
            name: "Memdesk",
        }
    }

    fn look(&self) -> Look {
        Look {
            color: "#123456",
            logo_svg: "<svg viewBox=\"0 0 8 8\"><rect width=\"8\" height=\"8\" fill=\"#123456\"/></svg>",
            scope: "will read your Memdesk tickets and contacts.",
        }
    }

    fn credential_fields(&self) -> &'static [CredentialField] {
        FIELDS
    }

    fn refusals(&self) -> Refusals {
        Refusals {
            unauthorized: "Memdesk rejected the token.",
            unknown_account: "No such Memdesk workspace.",
            suspended: "Memdesk workspace suspended.",
            no_api_access: "Memdesk plan without API.",
            forbidden: "Memdesk refused access.",
            host_not_allowed: "Memdesk workspace `{domain}` not allowed.",
            rate_limited: "Memdesk is busy.",
            unavailable: "Memdesk is down.",
        }
    }

    fn supported_models(&self) -> Vec<ModelKind> {
        vec![ModelKind::Ticket, ModelKind::Contact]
    }

    fn subdomain(&self, credentials: &Credentials) -> String {
        credentials["workspace"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn build(
        &self,
        linked_account_id: Uuid,
        credentials: &Credentials,
    ) -> Result<Arc<dyn TicketingProvider>, ProviderError> {
        Ok(Arc::new(MemdeskProvider {
            la: linked_account_id,
            token: credentials["api_token"].as_str().unwrap_or_default().into(),
            created: self.created.clone(),
        }))
    }
}

struct MemdeskProvider {
    la: Uuid,
    token: String,
    created: Arc<Mutex<Vec<(String, String)>>>,
}

fn record(
    kind: ModelKind,
    rid: &str,
    fields: Map<String, Value>,
    refs: Vec<RecordRef>,
) -> NormalizedRecord {
    NormalizedRecord {
        kind,
        remote_id: rid.into(),
        remote_data: vec![json!({"path": format!("/{}", kind.name()), "data": fields.clone()})]
            .into(),
        fields,
        volatile_keys: &[],
        refs,
        remote_was_deleted: false,
    }
}

impl MemdeskProvider {
    fn contact(&self, rid: &str, name: &str) -> NormalizedRecord {
        let f = json!({
            "name": name, "email_address": format!("{rid}@memdesk.example"),
            "phone_number": null, "details": null, "account": null,
        });
        record(
            ModelKind::Contact,
            rid,
            f.as_object().cloned().unwrap_or_default(),
            Vec::new(),
        )
    }

    fn ticket(&self, rid: &str, name: &str, contact: &str) -> NormalizedRecord {
        let f = json!({
            "name": name, "assignees": [], "assigned_teams": [], "creator": null,
            "due_date": null, "status": "OPEN", "description": "from memdesk",
            "collections": [], "ticket_type": null,
            "account": null,
            "contact": record_id(self.la, ModelKind::Contact, contact).to_string(),
            "parent_ticket": null, "attachments": [], "access_level": null,
            "permissions": [], "tags": ["mem"], "roles": null,
            "ticket_url": format!("https://memdesk.example/t/{rid}"), "priority": "HIGH",
            "remote_created_at": "2026-01-01T00:00:00Z",
            "remote_updated_at": "2026-01-02T00:00:00Z", "completed_at": null,
        });
        let refs = vec![RecordRef {
            kind: ModelKind::Contact,
            remote_id: contact.into(),
        }];
        record(
            ModelKind::Ticket,
            rid,
            f.as_object().cloned().unwrap_or_default(),
            refs,
        )
    }
}

#[async_trait]
impl TicketingProvider for MemdeskProvider {
    fn integration(&self) -> IntegrationInfo {
        IntegrationInfo {
            slug: "memdesk",
            name: "Memdesk",
        }
    }

    async fn check_credentials(&self) -> Result<(), ProviderError> {
        if self.token == TOKEN {
            Ok(())
        } else {
            Err(ProviderError::Unauthorized)
        }
    }

    fn streams(&self) -> Vec<SyncStream> {
        vec![SyncStream {
            name: "everything",
            kinds: vec![ModelKind::Contact, ModelKind::Ticket],
            mode: StreamMode::Full,
        }]
    }

    fn supported_models(&self) -> Vec<ModelKind> {
        vec![ModelKind::Ticket, ModelKind::Contact]
    }

    async fn fetch(
        &self,
        _stream: &str,
        _checkpoint: Option<&Value>,
    ) -> Result<FetchBatch, ProviderError> {
        let mut records = vec![self.contact("c1", "Ada"), self.contact("c2", "Grace")];
        records.push(self.ticket("t1", "Printer on fire", "c1"));
        records.push(self.ticket("t2", "Coffee machine", "c2"));
        let created = self.created.lock().map(|c| c.clone()).unwrap_or_default();
        for (rid, name) in created {
            records.push(self.ticket(&rid, &name, "c1"));
        }
        Ok(FetchBatch {
            records,
            deleted: Vec::new(),
            checkpoint: None,
            done: true,
        })
    }

    async fn fetch_ticket_children(
        &self,
        _ticket: &str,
    ) -> Result<Vec<NormalizedRecord>, ProviderError> {
        Ok(Vec::new())
    }

    async fn create_ticket(
        &self,
        ticket: &TicketWrite,
        _ctx: &WriteContext,
    ) -> Result<WriteOutcome, ProviderError> {
        let name = match &ticket.name {
            deskbridge_model::Patch::Value(n) => n.clone(),
            _ => "untitled".into(),
        };
        let rid = {
            let mut c = self
                .created
                .lock()
                .map_err(|_| ProviderError::Transient("lock".into()))?;
            let rid = format!("t{}", c.len() + 100);
            c.push((rid.clone(), name.clone()));
            rid
        };
        Ok(WriteOutcome {
            record: self.ticket(&rid, &name, "c1"),
            related: Vec::new(),
            warnings: Vec::new(),
            calls: Vec::new(),
        })
    }

    async fn passthrough(
        &self,
        request: &PassthroughRequest,
    ) -> Result<PassthroughResponse, ProviderError> {
        let body = json!({"echo": request.path, "method": request.method});
        Ok(PassthroughResponse {
            url: format!("https://memdesk.example{}", request.path),
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string().into(),
        })
    }
}
