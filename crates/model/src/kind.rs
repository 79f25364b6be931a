//! The common models Deskbridge serves, and the stable ids derived for their records.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// One of Merge's ticketing common models.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
pub enum ModelKind {
    /// `ticketing.Ticket`
    Ticket,
    /// `ticketing.Comment`
    Comment,
    /// `ticketing.User`
    User,
    /// `ticketing.Contact`
    Contact,
    /// `ticketing.Account`
    Account,
    /// `ticketing.Team`
    Team,
    /// `ticketing.Tag`
    Tag,
    /// `ticketing.Role`
    Role,
    /// `ticketing.Attachment`
    Attachment,
    /// `ticketing.Collection`
    Collection,
    /// `ticketing.Project`
    Project,
}

impl ModelKind {
    /// Every model, in the order Merge's sync status lists them.
    pub const ALL: [ModelKind; 11] = [
        ModelKind::Account,
        ModelKind::Attachment,
        ModelKind::Collection,
        ModelKind::Comment,
        ModelKind::Contact,
        ModelKind::Project,
        ModelKind::Role,
        ModelKind::Tag,
        ModelKind::Team,
        ModelKind::Ticket,
        ModelKind::User,
    ];

    /// Merge's model name, e.g. `Ticket`.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Ticket => "Ticket",
            ModelKind::Comment => "Comment",
            ModelKind::User => "User",
            ModelKind::Contact => "Contact",
            ModelKind::Account => "Account",
            ModelKind::Team => "Team",
            ModelKind::Tag => "Tag",
            ModelKind::Role => "Role",
            ModelKind::Attachment => "Attachment",
            ModelKind::Collection => "Collection",
            ModelKind::Project => "Project",
        }
    }

    /// Merge's model id, e.g. `ticketing.Ticket`.
    pub fn model_id(self) -> String {
        format!("ticketing.{}", self.name())
    }

    /// The lower-case key used in storage and URLs, e.g. `ticket`.
    pub fn key(self) -> &'static str {
        match self {
            ModelKind::Ticket => "ticket",
            ModelKind::Comment => "comment",
            ModelKind::User => "user",
            ModelKind::Contact => "contact",
            ModelKind::Account => "account",
            ModelKind::Team => "team",
            ModelKind::Tag => "tag",
            ModelKind::Role => "role",
            ModelKind::Attachment => "attachment",
            ModelKind::Collection => "collection",
            ModelKind::Project => "project",
        }
    }

    /// Parses [`ModelKind::key`] back.
    pub fn from_key(key: &str) -> Option<ModelKind> {
        ModelKind::ALL.into_iter().find(|k| k.key() == key)
    }
}

/// Namespace of the UUIDv5 ids Deskbridge gives records.
const RECORD_NAMESPACE: Uuid = Uuid::from_u128(0x6d1f_2c7a_9b43_4e0a_8f51_3a2d_c0de_b41d);

/// The stable id of a record: derived from the linked account, the model and the remote id,
/// so that a relation to a record not yet synced already has its final id.
pub fn record_id(linked_account_id: Uuid, kind: ModelKind, remote_id: &str) -> Uuid {
    let name = format!("{linked_account_id}/{}/{remote_id}", kind.key());
    Uuid::new_v5(&RECORD_NAMESPACE, name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_id_is_stable_and_distinct() {
        let la = Uuid::from_u128(1);
        let a = record_id(la, ModelKind::Ticket, "7");
        assert_eq!(a, record_id(la, ModelKind::Ticket, "7"));
        assert_ne!(a, record_id(la, ModelKind::Contact, "7"));
        assert_ne!(a, record_id(Uuid::from_u128(2), ModelKind::Ticket, "7"));
        for k in ModelKind::ALL {
            assert_eq!(ModelKind::from_key(k.key()), Some(k));
        }
    }
}
