//! JSON text re-emitted through a serde serializer while it is parsed, without volatile keys.
//!
//! Why: the content hash is defined over `serde_json`'s compact text of the parsed values
//! (hashes stored by earlier versions must stay valid), while the raw data now arrives as
//! text copied from the provider's answer, in whatever escaping and spacing the provider
//! used. Walking the text with the parser's events and handing each event to the serializer
//! gives exactly the bytes that parsing into a `Value` and serialising it would, without
//! building the tree: strings without escapes are borrowed, numbers take the same `u64` /
//! `i64` / `f64` path, and only keys with escapes allocate.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{self, Serialize, SerializeMap, SerializeSeq, Serializer};

/// JSON text that serialises as its parsed value, objects without the `volatile` keys at any
/// depth.
pub(crate) struct Transcode<'a> {
    pub(crate) text: &'a str,
    pub(crate) volatile: &'a [&'a str],
}

impl Serialize for Transcode<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut de = serde_json::Deserializer::from_str(self.text);
        let out = (&mut de)
            .deserialize_any(Any {
                ser: s,
                volatile: self.volatile,
            })
            .map_err(ser::Error::custom)?;
        de.end().map_err(ser::Error::custom)?;
        Ok(out)
    }
}

/// Hands every parser event of one value to `ser`.
struct Any<'v, S> {
    ser: S,
    volatile: &'v [&'v str],
}

fn to_de<E: de::Error>(e: impl fmt::Display) -> E {
    E::custom(e)
}

impl<'de, S: Serializer> Visitor<'de> for Any<'_, S> {
    type Value = S::Ok;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<S::Ok, E> {
        self.ser.serialize_bool(v).map_err(to_de)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<S::Ok, E> {
        self.ser.serialize_i64(v).map_err(to_de)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<S::Ok, E> {
        self.ser.serialize_u64(v).map_err(to_de)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<S::Ok, E> {
        self.ser.serialize_f64(v).map_err(to_de)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<S::Ok, E> {
        self.ser.serialize_str(v).map_err(to_de)
    }

    fn visit_unit<E: de::Error>(self) -> Result<S::Ok, E> {
        self.ser.serialize_unit().map_err(to_de)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<S::Ok, A::Error> {
        let mut out = self.ser.serialize_seq(seq.size_hint()).map_err(to_de)?;
        while seq
            .next_element_seed(Element {
                out: &mut out,
                volatile: self.volatile,
            })?
            .is_some()
        {}
        out.end().map_err(to_de)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<S::Ok, A::Error> {
        let mut out = self.ser.serialize_map(None).map_err(to_de)?;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if self.volatile.contains(&key.as_ref()) {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            out.serialize_key(key.as_ref()).map_err(to_de)?;
            map.next_value_seed(Member {
                out: &mut out,
                volatile: self.volatile,
            })?;
        }
        out.end().map_err(to_de)
    }
}

/// An object key, borrowed from the text unless it has escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// The parser positioned on a value, serialised once when the serializer asks for it.
struct Pending<'v, D> {
    de: RefCell<Option<D>>,
    volatile: &'v [&'v str],
}

impl<'de, D: Deserializer<'de>> Serialize for Pending<'_, D> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let de = self
            .de
            .borrow_mut()
            .take()
            .ok_or_else(|| ser::Error::custom("a value was serialised twice"))?;
        de.deserialize_any(Any {
            ser: s,
            volatile: self.volatile,
        })
        .map_err(ser::Error::custom)
    }
}

/// The next element of an array, written into the array being serialised.
struct Element<'o, 'v, O> {
    out: &'o mut O,
    volatile: &'v [&'v str],
}

impl<'de, O: SerializeSeq> DeserializeSeed<'de> for Element<'_, '_, O> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.out
            .serialize_element(&Pending {
                de: RefCell::new(Some(d)),
                volatile: self.volatile,
            })
            .map_err(to_de)
    }
}

/// The value of an object member, written into the object being serialised.
struct Member<'o, 'v, O> {
    out: &'o mut O,
    volatile: &'v [&'v str],
}

impl<'de, O: SerializeMap> DeserializeSeed<'de> for Member<'_, '_, O> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.out
            .serialize_value(&Pending {
                de: RefCell::new(Some(d)),
                volatile: self.volatile,
            })
            .map_err(to_de)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;
    use serde_json::Value;

    /// A copy of `v` without its volatile keys: what the hash is defined over (also the
    /// reference of `hash`'s tests).
    pub(crate) fn strip(v: &Value, volatile: &[&str]) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .filter(|(k, _)| !volatile.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), strip(v, volatile)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(|v| strip(v, volatile)).collect()),
            other => other.clone(),
        }
    }

    #[test]
    fn transcoding_equals_parsing_then_serialising() {
        let volatile = ["thumb_url", "attachment_url"];
        for text in [
            r#"{"z": [1, 2.50, -3, 1e2, -0.0, null, true, false, {"thumb_url": "x", "k": {}}],
               "a\u00e9": "\u00e9 \"q\" \/ \n \u0001 \ud83d\ude00 <\u003c>",
               "m": {"attachment_url": {"deep": [1]}}, "big": 12345678901234567890,
               "neg": -9223372036854775808, "e": [], "o": {}, "s": ""}"#,
            "[]",
            "  \"plain\"  ",
            "[[[]], {\"attachment_url\": 1}]",
            "3.141592653589793",
        ] {
            let parsed: Value = serde_json::from_str(text).unwrap();
            let expected = strip(&parsed, &volatile).to_string();
            let got = serde_json::to_string(&Transcode {
                text,
                volatile: &volatile,
            })
            .unwrap();
            assert_eq!(got, expected, "{text}");
        }
    }

    #[test]
    fn invalid_text_is_an_error() {
        for text in ["{", "[1,]", "1 2"] {
            assert!(
                serde_json::to_string(&Transcode {
                    text,
                    volatile: &[]
                })
                .is_err()
            );
        }
    }
}
