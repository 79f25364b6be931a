//! Opaque keyset cursors: base64 of `n|p` (direction), the position's microseconds and id;
//! a position in `(modified_at, id)` order carries `m|` after the direction. The order is in
//! the cursor so that a cursor minted under one order is refused under the other instead of
//! being read as a position it is not (which would skip or repeat rows silently). Cursors
//! in `(created_at, id)` order keep the form they always had, so none already handed out
//! breaks.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use deskbridge_store::keyset::KeysetOrder;
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
    /// The order `position` is in.
    pub order: KeysetOrder,
    /// `(created_at, id)` or `(modified_at, id)` of the boundary record, as `order` says.
    pub position: (DateTime<Utc>, Uuid),
}

impl Cursor {
    /// Encodes the cursor.
    pub fn encode(&self) -> String {
        let d = match self.direction {
            Direction::Next => 'n',
            Direction::Previous => 'p',
        };
        let o = match self.order {
            KeysetOrder::CreatedAt => "",
            KeysetOrder::ModifiedAt => "m|",
        };
        let text = format!(
            "{d}|{o}{}|{}",
            self.position.0.timestamp_micros(),
            self.position.1
        );
        URL_SAFE_NO_PAD.encode(text)
    }

    /// The cursor a client passed back in a query (`None` when absent or empty) of a list in
    /// `(created_at, id)` order, or a 400.
    pub fn from_param(v: &Option<String>) -> Result<Option<Cursor>, ApiError> {
        Cursor::from_param_in(v, KeysetOrder::CreatedAt)
    }

    /// [`Cursor::from_param`] for a list in `order`.
    pub fn from_param_in(
        v: &Option<String>,
        order: KeysetOrder,
    ) -> Result<Option<Cursor>, ApiError> {
        v.as_deref()
            .filter(|c| !c.is_empty())
            .map(|c| Cursor::decode_in(c, order))
            .transpose()
    }

    /// Decodes a cursor of a list in `(created_at, id)` order; a malformed one is a 400.
    pub fn decode(text: &str) -> Result<Cursor, ApiError> {
        Cursor::decode_in(text, KeysetOrder::CreatedAt)
    }

    /// Decodes a cursor of a list in `order`: a malformed one, or one minted under another
    /// order (e.g. reused after adding or removing `modified_after`), is a 400.
    pub fn decode_in(text: &str, order: KeysetOrder) -> Result<Cursor, ApiError> {
        let c = Cursor::decode_any(text)?;
        if c.order != order {
            return Err(ApiError::bad(
                "Invalid cursor: it belongs to a list in another order. Lists filtered by \
                 modified_after or modified_before are ordered by modified_at, all others by \
                 created_at; keep every query parameter except cursor and page_size the same \
                 while paging.",
            ));
        }
        Ok(c)
    }

    fn decode_any(text: &str) -> Result<Cursor, ApiError> {
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
        let mut next = parts.next();
        let order = if next == Some("m") {
            next = parts.next();
            KeysetOrder::ModifiedAt
        } else {
            KeysetOrder::CreatedAt
        };
        let micros: i64 = next.and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let id: Uuid = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        if parts.next().is_some() {
            return Err(bad());
        }
        let at = DateTime::<Utc>::from_timestamp_micros(micros).ok_or_else(bad)?;
        Ok(Cursor {
            direction,
            order,
            position: (at, id),
        })
    }
}

/// [`paginate_in`] for a list in `(created_at, id)` order.
pub fn paginate<T>(
    rows: Vec<T>,
    limit: i64,
    cursor: Option<Cursor>,
    position: impl Fn(&T) -> (DateTime<Utc>, Uuid),
) -> (Vec<T>, Option<String>, Option<String>) {
    paginate_in(rows, limit, cursor, KeysetOrder::CreatedAt, position)
}

/// Trims a keyset fetch of `limit + 1` rows to one page and computes its cursors.
///
/// `cursor` is the request's cursor; rows are in ascending `order` (a backwards fetch was
/// already reversed) and `position` gives a row's key in that order. Returns the page with
/// its `next` and `previous` cursors.
pub fn paginate_in<T>(
    mut rows: Vec<T>,
    limit: i64,
    cursor: Option<Cursor>,
    order: KeysetOrder,
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
                        order,
                        position: position(last),
                    }
                    .encode()
                }),
                has_previous.then(|| {
                    Cursor {
                        direction: Direction::Previous,
                        order,
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

/// A keyset position: `(created_at, id)` or `(modified_at, id)`.
pub type Position = (DateTime<Utc>, Uuid);

/// Splits a cursor into keyset bounds `(after, before)`.
pub fn bounds(cursor: Option<Cursor>) -> (Option<Position>, Option<Position>) {
    match cursor {
        Some(Cursor {
            direction: Direction::Next,
            position,
            ..
        }) => (Some(position), None),
        Some(Cursor {
            direction: Direction::Previous,
            position,
            ..
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
            order: KeysetOrder::CreatedAt,
            position: (
                DateTime::<Utc>::from_timestamp_micros(1_700_000_000_123_456).expect("ts"),
                Uuid::from_u128(7),
            ),
        };
        assert_eq!(Cursor::decode(&c.encode()).expect("decode"), c);
        let m = Cursor {
            order: KeysetOrder::ModifiedAt,
            ..c
        };
        assert_eq!(
            Cursor::decode_in(&m.encode(), KeysetOrder::ModifiedAt).expect("decode"),
            m
        );
        // A cursor is only good for the order it was minted in.
        assert!(Cursor::decode(&m.encode()).is_err());
        assert!(Cursor::decode_in(&c.encode(), KeysetOrder::ModifiedAt).is_err());
        for bad in [
            "",
            "abc",
            "!!!",
            &URL_SAFE_NO_PAD.encode("x|1|2"),
            &URL_SAFE_NO_PAD.encode("n|m|1"),
            &URL_SAFE_NO_PAD.encode("n|c|1|00000000-0000-0000-0000-000000000007"),
        ] {
            assert!(Cursor::decode(bad).is_err(), "{bad}");
            assert!(
                Cursor::decode_in(bad, KeysetOrder::ModifiedAt).is_err(),
                "{bad}"
            );
        }
    }
}
