//! Merge's enums: wire names, `FromStr` for query parsing, and [`EnumOrString`] for response
//! fields that may carry a third party's own label instead of the normalized value.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An enum with a fixed set of string values on the wire.
pub trait WireEnum: Copy + Eq + fmt::Debug + Send + Sync + 'static {
    /// The schema name, e.g. `TicketStatusEnum`.
    const NAME: &'static str;
    /// Every variant, in Merge's order.
    const ALL: &'static [Self];

    /// The wire value, e.g. `IN_PROGRESS`.
    fn as_str(self) -> &'static str;

    /// Every wire value, in Merge's order.
    fn values() -> Vec<&'static str> {
        Self::ALL.iter().map(|v| v.as_str()).collect()
    }

    /// Parses an exact wire value.
    fn parse_wire(value: &str) -> Result<Self, UnknownEnumValue> {
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.as_str() == value)
            .ok_or_else(|| UnknownEnumValue {
                enum_name: Self::NAME,
                value: value.to_owned(),
                allowed: Self::values(),
            })
    }
}

/// A string that is not one of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownEnumValue {
    /// The enum's schema name.
    pub enum_name: &'static str,
    /// The value that was given.
    pub value: String,
    /// The values that are allowed.
    pub allowed: Vec<&'static str>,
}

impl fmt::Display for UnknownEnumValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "\"{}\" is not a valid choice. Allowed values: {}",
            self.value,
            self.allowed.join(", ")
        )
    }
}

impl std::error::Error for UnknownEnumValue {}

/// Declares a [`WireEnum`] with serde names, a schema, `FromStr` and `Display`.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $wire:tt ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
        )]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $wire)] $variant, )+
        }

        impl $crate::enums::WireEnum for $name {
            const NAME: &'static str = stringify!($name);
            const ALL: &'static [Self] = &[$( Self::$variant ),+];

            fn as_str(self) -> &'static str {
                match self {
                    $( Self::$variant => $wire, )+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::enums::UnknownEnumValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <Self as $crate::enums::WireEnum>::parse_wire(s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::enums::WireEnum::as_str(*self))
            }
        }
    };
}
pub(crate) use wire_enum;

wire_enum! {
    /// A ticket's normalized status.
    TicketStatusEnum {
        /// `OPEN`
        Open = "OPEN",
        /// `CLOSED`
        Closed = "CLOSED",
        /// `IN_PROGRESS`
        InProgress = "IN_PROGRESS",
        /// `ON_HOLD`
        OnHold = "ON_HOLD",
    }
}

wire_enum! {
    /// A ticket's normalized priority.
    PriorityEnum {
        /// `URGENT`
        Urgent = "URGENT",
        /// `HIGH`
        High = "HIGH",
        /// `NORMAL`
        Normal = "NORMAL",
        /// `LOW`
        Low = "LOW",
    }
}

wire_enum! {
    /// Who can see a ticket.
    TicketAccessLevelEnum {
        /// `COMPANY`
        Company = "COMPANY",
        /// `PUBLIC`
        Public = "PUBLIC",
        /// `PRIVATE`
        Private = "PRIVATE",
        /// `COLLECTION`
        Collection = "COLLECTION",
    }
}

wire_enum! {
    /// The kind of a collection.
    CollectionTypeEnum {
        /// `LIST`
        List = "LIST",
        /// `PROJECT`
        Project = "PROJECT",
    }
}

wire_enum! {
    /// Who can see a collection.
    CollectionAccessLevelEnum {
        /// `PRIVATE`
        Private = "PRIVATE",
        /// `COMPANY`
        Company = "COMPANY",
        /// `PUBLIC`
        Public = "PUBLIC",
        /// `PARENT_COLLECTION`
        ParentCollection = "PARENT_COLLECTION",
    }
}

wire_enum! {
    /// What a role may do with tickets.
    TicketActionsEnum {
        /// `VIEW`
        View = "VIEW",
        /// `CREATE`
        Create = "CREATE",
        /// `EDIT`
        Edit = "EDIT",
        /// `DELETE`
        Delete = "DELETE",
        /// `CLOSE`
        Close = "CLOSE",
        /// `ASSIGN`
        Assign = "ASSIGN",
    }
}

wire_enum! {
    /// Which tickets a role can access.
    TicketAccessEnum {
        /// `ALL`
        All = "ALL",
        /// `ASSIGNED_ONLY`
        AssignedOnly = "ASSIGNED_ONLY",
        /// `TEAM_ONLY`
        TeamOnly = "TEAM_ONLY",
    }
}

wire_enum! {
    /// Whether a permission allows or denies.
    EffectEnum {
        /// `ALLOWED`
        Allowed = "ALLOWED",
        /// `DENIED`
        Denied = "DENIED",
        /// `INHERITED`
        Inherited = "INHERITED",
    }
}

wire_enum! {
    /// An action a permission covers.
    ActionsEnum {
        /// `VIEW`
        View = "VIEW",
        /// `CREATE`
        Create = "CREATE",
        /// `EDIT`
        Edit = "EDIT",
        /// `DELETE`
        Delete = "DELETE",
    }
}

wire_enum! {
    /// The type of a remote field (lower-case on the wire).
    FieldTypeEnum {
        /// `string`
        String = "string",
        /// `number`
        Number = "number",
        /// `date`
        Date = "date",
        /// `datetime`
        Datetime = "datetime",
        /// `bool`
        Bool = "bool",
        /// `list`
        List = "list",
    }
}

wire_enum! {
    /// The format of a remote field (lower-case on the wire).
    FieldFormatEnum {
        /// `string`
        String = "string",
        /// `number`
        Number = "number",
        /// `date`
        Date = "date",
        /// `datetime`
        Datetime = "datetime",
        /// `bool`
        Bool = "bool",
        /// `list`
        List = "list",
    }
}

wire_enum! {
    /// A Merge category (lower-case on the wire). Merge also calls it `CategoryEnum`.
    CategoriesEnum {
        /// `hris`
        Hris = "hris",
        /// `ats`
        Ats = "ats",
        /// `accounting`
        Accounting = "accounting",
        /// `ticketing`
        Ticketing = "ticketing",
        /// `crm`
        Crm = "crm",
        /// `mktg`
        Mktg = "mktg",
        /// `filestorage`
        Filestorage = "filestorage",
    }
}

wire_enum! {
    /// Actions enabled on a common model in link-token scopes.
    EnabledActionsEnum {
        /// `READ`
        Read = "READ",
        /// `WRITE`
        Write = "WRITE",
    }
}

wire_enum! {
    /// The language of the linking flow (lower-case on the wire).
    LanguageEnum {
        /// `en`
        En = "en",
        /// `de`
        De = "de",
    }
}

wire_enum! {
    /// A linked account's status (`/linked-accounts`).
    AccountDetailsAndActionsStatusEnum {
        /// `COMPLETE`
        Complete = "COMPLETE",
        /// `INCOMPLETE`
        Incomplete = "INCOMPLETE",
        /// `RELINK_NEEDED`
        RelinkNeeded = "RELINK_NEEDED",
        /// `IDLE`
        Idle = "IDLE",
    }
}

/// A linked account's status; Merge's schema name is `AccountDetailsAndActionsStatusEnum`.
pub type LinkedAccountStatusEnum = AccountDetailsAndActionsStatusEnum;

/// A value of enum `E`, or any other string.
///
/// Used for response fields where `show_enum_origins` swaps the normalized value for the third
/// party's own label (`Ticket.status`, `Ticket.priority`, `Collection.collection_type`). It is a
/// plain string on the wire; its schema is `anyOf: [E, string]`, so both forms validate.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EnumOrString<E> {
    /// One of the enum's values.
    Known(E),
    /// Any other string (e.g. the third party's label).
    Other(String),
}

impl<E: WireEnum> EnumOrString<E> {
    /// The wire string.
    pub fn as_str(&self) -> &str {
        match self {
            EnumOrString::Known(e) => e.as_str(),
            EnumOrString::Other(s) => s,
        }
    }

    /// The enum value, if it is one.
    pub fn known(&self) -> Option<E> {
        match self {
            EnumOrString::Known(e) => Some(*e),
            EnumOrString::Other(_) => None,
        }
    }

    /// Parses a string: an exact enum value becomes [`EnumOrString::Known`].
    pub fn from_wire(value: &str) -> Self {
        E::parse_wire(value).map_or_else(
            |_| EnumOrString::Other(value.to_owned()),
            EnumOrString::Known,
        )
    }
}

impl<E> From<E> for EnumOrString<E> {
    fn from(value: E) -> Self {
        EnumOrString::Known(value)
    }
}

impl<E: WireEnum> fmt::Display for EnumOrString<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<E: WireEnum> FromStr for EnumOrString<E> {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::from_wire(s))
    }
}

impl<E: WireEnum> Serialize for EnumOrString<E> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de, E: WireEnum> Deserialize<'de> for EnumOrString<E> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Ok(Self::from_wire(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_str_accepts_exact_values_only() {
        assert_eq!(
            "IN_PROGRESS".parse::<TicketStatusEnum>(),
            Ok(TicketStatusEnum::InProgress)
        );
        assert_eq!("string".parse::<FieldTypeEnum>(), Ok(FieldTypeEnum::String));
        let err = "open"
            .parse::<TicketStatusEnum>()
            .expect_err("lower-case must be rejected");
        assert_eq!(err.enum_name, "TicketStatusEnum");
        assert_eq!(
            err.to_string(),
            "\"open\" is not a valid choice. Allowed values: OPEN, CLOSED, IN_PROGRESS, ON_HOLD"
        );
        let err = ""
            .parse::<PriorityEnum>()
            .expect_err("empty must be rejected");
        assert!(err.to_string().ends_with("URGENT, HIGH, NORMAL, LOW"));
    }

    #[test]
    fn serde_names_match_as_str() {
        for v in TicketStatusEnum::ALL {
            assert_eq!(
                serde_json::to_value(v).ok(),
                Some(serde_json::json!(v.as_str()))
            );
        }
        for v in CollectionAccessLevelEnum::ALL {
            let back: CollectionAccessLevelEnum =
                serde_json::from_value(serde_json::json!(v.as_str())).expect("round trip");
            assert_eq!(back, *v);
        }
        assert_eq!(CategoriesEnum::Ticketing.to_string(), "ticketing");
    }

    #[test]
    fn enum_or_string_round_trips() {
        let known: EnumOrString<TicketStatusEnum> =
            serde_json::from_str("\"ON_HOLD\"").expect("known");
        assert_eq!(known, EnumOrString::Known(TicketStatusEnum::OnHold));
        let other: EnumOrString<TicketStatusEnum> =
            serde_json::from_str("\"Pending\"").expect("other");
        assert_eq!(other, EnumOrString::Other("Pending".into()));
        assert_eq!(other.known(), None);
        assert_eq!(serde_json::to_string(&other).expect("ser"), "\"Pending\"");
        assert_eq!(serde_json::to_string(&known).expect("ser"), "\"ON_HOLD\"");
    }
}
