//! A `json`/`jsonb` column read as the text PostgreSQL sends, without parsing it.

use sqlx::decode::Decode;
use sqlx::error::BoxDynError;
use sqlx::postgres::types::Oid;
use sqlx::postgres::{PgTypeInfo, PgValueFormat, PgValueRef, Postgres};
use sqlx::{TypeInfo, ValueRef};

/// JSON text exactly as PostgreSQL printed it. `sqlx::types::Json<Box<RawValue>>` parses every
/// value to validate it before the list renderer scans it again; PostgreSQL only ever prints
/// valid JSON for these types, so the read path skips that first scan (it was about a tenth of
/// the API's CPU per list request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonText(pub String);

impl JsonText {
    /// The JSON text.
    pub fn get(&self) -> &str {
        &self.0
    }
}

impl sqlx::Type<Postgres> for JsonText {
    fn type_info() -> PgTypeInfo {
        // jsonb
        PgTypeInfo::with_oid(Oid(3802))
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        matches!(ty.name(), "JSONB" | "JSON")
    }
}

impl<'r> Decode<'r, Postgres> for JsonText {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        let binary_jsonb =
            value.format() == PgValueFormat::Binary && value.type_info().name() == "JSONB";
        let mut bytes = value.as_bytes()?;
        if binary_jsonb {
            // jsonb's binary form is a version byte, then the text; only version 1 exists.
            match bytes.split_first() {
                Some((1, text)) => bytes = text,
                Some((v, _)) => return Err(format!("unsupported jsonb version {v}").into()),
                None => return Err("empty jsonb value".into()),
            }
        }
        Ok(JsonText(std::str::from_utf8(bytes)?.to_owned()))
    }
}
