//! Typed ids for the rows a tenant owns.
//!
//! Organizations, linked accounts, API keys and webhook endpoints all have UUID keys; as raw
//! `Uuid`s an organization id passed where an account id belongs compiles and then reads the
//! wrong tenant's rows (or none). Each id is its own type here, so such a swap is a compile
//! error from the store through sync, webhooks and the API. They are transparent to Postgres
//! (`sqlx::Type`) and to JSON (serde), so neither the schema nor the wire changes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
            sqlx::Type,
        )]
        #[sqlx(transparent)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps a UUID known to be this kind of id (read from a trusted place: a row,
            /// a signed cursor, a path segment naming this kind of resource).
            pub const fn from_uuid(id: Uuid) -> Self {
                $name(id)
            }

            /// A fresh random id (for a new row).
            pub fn new_v4() -> Self {
                $name(Uuid::new_v4())
            }

            /// The UUID underneath (for places typed ids do not reach, e.g. provider calls).
            pub const fn as_uuid(self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map($name)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }
    };
}

id_type!(
    /// An organization's id: the tenant every query is scoped to.
    OrgId
);
id_type!(
    /// A linked account's id (one customer's helpdesk under an organization).
    LinkedAccountId
);
id_type!(
    /// An API key's id (not the key).
    ApiKeyId
);
id_type!(
    /// A webhook endpoint's id.
    WebhookEndpointId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_transparent_in_json_and_text() {
        let raw = Uuid::from_u128(7);
        let id = OrgId::from_uuid(raw);
        assert_eq!(
            serde_json::to_string(&id).expect("json"),
            serde_json::to_string(&raw).expect("json")
        );
        assert_eq!(id.to_string(), raw.to_string());
        assert_eq!(raw.to_string().parse::<OrgId>().expect("parse"), id);
        let back: LinkedAccountId = serde_json::from_str(&format!("\"{raw}\"")).expect("json");
        assert_eq!(back.as_uuid(), raw);
    }
}
