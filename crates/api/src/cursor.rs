//! Opaque keyset cursors: base64 of `n|p` (direction), the position's microseconds and id.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::ApiError;

/// Which way a cursor pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Records after the position.
    Next,
    /// Records before the position.
    Previous,
}

/// A decoded cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// Direction.
    pub direction: Direction,
    /// `(created_at, id)` of the boundary record.
    pub position: (DateTime<Utc>, Uuid),
}

impl Cursor {
    /// Encodes the cursor.
    pub fn encode(&self) -> String {
        let d = match self.direction {
            Direction::Next => 'n',
            Direction::Previous => 'p',
        };
        let text = format!(
            "{d}|{}|{}",
            self.position.0.timestamp_micros(),
            self.position.1
        );
        URL_SAFE_NO_PAD.encode(text)
    }

    /// The cursor a client passed back in a query (`None` when absent or empty), or a 400.
    pub fn from_param(v: &Option<String>) -> Result<Option<Cursor>, ApiError> {
        v.as_deref()
            .filter(|c| !c.is_empty())
            .map(Cursor::decode)
            .transpose()
    }

    /// Decodes a cursor from a client; a malformed one is a 400.
    pub fn decode(text: &str) -> Result<Cursor, ApiError> {
        let bad = || {
            ApiError::bad(
                "Invalid cursor: pass back the `next` or `previous` value of a previous page.",
            )
        };
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .map_err(|_| bad())?;
        let s = String::from_utf8(bytes).map_err(|_| bad())?;
        let mut parts = s.split('|');
        let direction = match parts.next() {
            Some("n") => Direction::Next,
            Some("p") => Direction::Previous,
            _ => return Err(bad()),
        };
        let micros: i64 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let id: Uuid = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        if parts.next().is_some() {
            return Err(bad());
        }
        let at = DateTime::<Utc>::from_timestamp_micros(micros).ok_or_else(bad)?;
        Ok(Cursor {
            direction,
            position: (at, id),
        })
    }
}

/// Trims a keyset fetch of `limit + 1` rows to one page and computes its cursors.
///
/// `cursor` is the request's cursor; rows are in ascending order (a backwards fetch was
/// already reversed). Returns the page with its `next` and `previous` cursors.
pub fn paginate<T>(
    mut rows: Vec<T>,
    limit: i64,
    cursor: Option<Cursor>,
    position: impl Fn(&T) -> (DateTime<Utc>, Uuid),
) -> (Vec<T>, Option<String>, Option<String>) {
    let more = rows.len() as i64 > limit;
    let backwards = matches!(
        cursor,
        Some(Cursor {
            direction: Direction::Previous,
            ..
        })
    );
    if more {
        if backwards {
            rows.remove(0);
        } else {
            rows.truncate(usize::try_from(limit).unwrap_or(0));
        }
    }
    let (next, previous) = match (rows.first(), rows.last()) {
        (Some(first), Some(last)) => {
            let has_next = more || backwards;
            let has_previous = if backwards { more } else { cursor.is_some() };
            (
                has_next.then(|| {
                    Cursor {
                        direction: Direction::Next,
                        position: position(last),
                    }
                    .encode()
                }),
                has_previous.then(|| {
                    Cursor {
                        direction: Direction::Previous,
                        position: position(first),
                    }
                    .encode()
                }),
            )
        }
        _ => (None, None),
    };
    (rows, next, previous)
}

/// A keyset position: `(created_at, id)`.
pub type Position = (DateTime<Utc>, Uuid);

/// Splits a cursor into keyset bounds `(after, before)`.
pub fn bounds(cursor: Option<Cursor>) -> (Option<Position>, Option<Position>) {
    match cursor {
        Some(Cursor {
            direction: Direction::Next,
            position,
        }) => (Some(position), None),
        Some(Cursor {
            direction: Direction::Previous,
            position,
        }) => (None, Some(position)),
        None => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejects_garbage() {
        let c = Cursor {
            direction: Direction::Previous,
            position: (
                DateTime::<Utc>::from_timestamp_micros(1_700_000_000_123_456).expect("ts"),
                Uuid::from_u128(7),
            ),
        };
        assert_eq!(Cursor::decode(&c.encode()).expect("decode"), c);
        for bad in ["", "abc", "!!!", &URL_SAFE_NO_PAD.encode("x|1|2")] {
            assert!(Cursor::decode(bad).is_err(), "{bad}");
        }
    }
}
