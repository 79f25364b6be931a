//! `api-key` and `keys` commands.

use anyhow::Context;
use deskbridge_model::EventTypeEnum;
use deskbridge_store::audit::{Actor, NewAuditEvent};
use deskbridge_store::{Cipher, MasterKey, StoreError};

use crate::cli::{ApiKeyCommand, KeysCommand};
use crate::runtime;

/// `deskbridge api-key …`. Keys are stored hashed, so no master key is needed.
pub async fn api_key(cmd: ApiKeyCommand) -> anyhow::Result<()> {
    match cmd {
        ApiKeyCommand::Create { db, org, name } => {
            let store = open(&db).await?;
            let org = store.ensure_organization(&org).await?;
            let key = store.create_api_key(org.id, &name).await?;
            let description = format!(
                "Created API key \"{}\" ({}…).",
                key.info.name, key.info.prefix
            );
            store
                .record_audit_event(
                    org.id,
                    &cli_event(EventTypeEnum::CreatedRemoteProductionApiKey, description),
                )
                .await?;
            println!(
                "Created API key {} ({}) for organization {}.",
                key.info.id, key.info.name, org.name
            );
            println!("Store it now: it is shown only once.");
            println!("{}", key.key);
        }
        ApiKeyCommand::List { db, org } => {
            let store = open(&db).await?;
            let org = match store.organization_by_name(&org).await {
                Ok(o) => o,
                Err(StoreError::NotFound) => anyhow::bail!("no organization named {org}"),
                Err(e) => return Err(e.into()),
            };
            let time =
                |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
            let mut rows = vec![[
                "id".to_string(),
                "prefix".into(),
                "name".into(),
                "created".into(),
                "revoked".into(),
            ]];
            for k in store.list_api_keys(org.id).await? {
                rows.push([
                    k.id.to_string(),
                    k.prefix,
                    k.name,
                    time(k.created_at),
                    k.revoked_at.map(time).unwrap_or_else(|| "-".into()),
                ]);
            }
            print!("{}", columns(&rows));
        }
        ApiKeyCommand::Revoke { db, id } => {
            let store = open(&db).await?;
            match store
                .revoke_api_key(deskbridge_store::ApiKeyId::from_uuid(id))
                .await
            {
                Ok(k) => {
                    let description = format!("Revoked API key \"{}\" ({}…).", k.name, k.prefix);
                    let event =
                        cli_event(EventTypeEnum::DeletedRemoteProductionApiKey, description);
                    store.record_audit_event(k.organization_id, &event).await?;
                    println!("Revoked API key {} ({}).", k.id, k.name);
                }
                Err(StoreError::NotFound) => anyhow::bail!("no API key with id {id}"),
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(())
}

/// Rows as left-aligned columns, each as wide as its widest cell (by characters, so a
/// non-ASCII key name does not shift the columns after it), two spaces apart.
pub fn columns<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            line.push_str(cell);
            if i + 1 < N {
                line.extend(std::iter::repeat_n(' ', w - cell.chars().count() + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// An audit event caused by the operator at the command line.
fn cli_event(event_type: EventTypeEnum, description: String) -> NewAuditEvent {
    NewAuditEvent {
        actor: Actor::Cli,
        ip_address: String::new(),
        event_type,
        description,
    }
}

async fn open(db: &crate::cli::DbArgs) -> anyhow::Result<deskbridge_store::Store> {
    let pool = runtime::database(db, 2).await?;
    deskbridge_store::migrate(&pool).await?;
    // API keys need no cipher; a throwaway one keeps the type simple and is never used.
    Ok(runtime::store(pool, Cipher::new(MasterKey::generate())))
}

/// `deskbridge keys …`.
pub async fn keys(cmd: KeysCommand) -> anyhow::Result<()> {
    match cmd {
        KeysCommand::Generate => {
            println!("{}", MasterKey::generate().to_base64());
            Ok(())
        }
        KeysCommand::Rotate {
            db,
            key,
            new_key_file,
        } => {
            // Reads with the current key and, if set, the previous one (rows a process wrote
            // with it while an earlier rollout was under way).
            let old = runtime::cipher(&key, false)?;
            let text = std::fs::read_to_string(&new_key_file)
                .with_context(|| format!("cannot read {}", new_key_file.display()))?;
            let new = MasterKey::from_base64(&text).map_err(anyhow::Error::msg)?;
            let pool = runtime::database(&db, 2).await?;
            deskbridge_store::migrate(&pool).await?;
            let store = runtime::store(pool, Cipher::new(new.clone()));
            let report = store.rotate_secrets(&old).await?;
            let description = format!(
                "Master key rotation: re-encrypted the credentials and account tokens of {} linked \
                 accounts, the signing secrets of {} webhook endpoints and the token hash key \
                 under key version {:08x}.",
                report.accounts,
                report.webhook_endpoints,
                new.version()
            );
            store
                .record_audit_event_everywhere(&cli_event(
                    EventTypeEnum::EndUserCredentialsAccessed,
                    description,
                ))
                .await?;
            println!(
                "Re-encrypted the secrets of {} linked accounts and {} webhook endpoints under the new master key (version {:08x}).",
                report.accounts,
                report.webhook_endpoints,
                new.version()
            );
            if !report.skipped.is_empty() {
                eprintln!(
                    "Left as they were (they open with neither key): {}.",
                    report.skipped.join(", ")
                );
            }
            println!(
                "Now point DESKBRIDGE_MASTER_KEY or DESKBRIDGE_MASTER_KEY_FILE at the new key \
                 (keep the old one as DESKBRIDGE_MASTER_KEY_PREVIOUS until every process runs \
                 with the new key; see docs/SECURITY.md)."
            );
            Ok(())
        }
    }
}
