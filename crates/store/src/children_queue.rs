//! The queue of tickets whose comments and attachments are due. A ticket's upsert queues it
//! (`records::upsert_records` with `mark_children`); the sync takes the queue in rounds and
//! removes a ticket once its children are stored.

use crate::ids::LinkedAccountId;
use crate::{Store, StoreError};

/// A queued ticket as read before its children are fetched. `flagged` tells whether the ticket
/// was queued again meanwhile (its upsert then gives it a new value).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DueTicket {
    /// The ticket's id at the helpdesk.
    pub remote_id: String,
    /// When it was last queued, as a position in one sequence.
    pub flagged: i64,
}

impl Store {
    /// Up to `limit` queued tickets in remote-id order, leaving out `busy` (the round whose
    /// children are being fetched while this one is read).
    pub async fn tickets_needing_children(
        &self,
        linked_account: LinkedAccountId,
        busy: &[&str],
        limit: i64,
    ) -> Result<Vec<DueTicket>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT remote_id, flagged FROM ticket_children_due
             WHERE linked_account_id = $1 AND NOT (remote_id = ANY($3))
             ORDER BY remote_id LIMIT $2",
        )
        .bind(linked_account)
        .bind(limit)
        .bind(busy)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Takes tickets off the queue once their children are stored, except those queued again
    /// since they were read (their newer children are still due).
    pub async fn children_synced(
        &self,
        linked_account: LinkedAccountId,
        done: &[DueTicket],
    ) -> Result<(), StoreError> {
        let remote_ids: Vec<&str> = done.iter().map(|t| t.remote_id.as_str()).collect();
        let flagged: Vec<i64> = done.iter().map(|t| t.flagged).collect();
        let mut tx = self.begin_sync_write().await?;
        sqlx::query(
            "DELETE FROM ticket_children_due d
             USING UNNEST($2::text[], $3::int8[]) AS u(remote_id, flagged)
             WHERE d.linked_account_id = $1 AND d.remote_id = u.remote_id
               AND d.flagged = u.flagged",
        )
        .bind(linked_account)
        .bind(&remote_ids)
        .bind(&flagged)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes one ticket off the queue whatever its flag: a push has just fetched the ticket
    /// and its children, newer than anything a sync round read.
    pub async fn ticket_children_fetched(
        &self,
        linked_account: LinkedAccountId,
        remote_id: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "DELETE FROM ticket_children_due WHERE linked_account_id = $1 AND remote_id = $2",
        )
        .bind(linked_account)
        .bind(remote_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
