//! The few fields an error answer is read for (`error.code`, `error.message`, `code`,
//! `message`, `detail`, `trace_id`), found without building the body: every other value
//! is skipped with `IgnoredAny`, so an error answer of 31 MB of tiny items costs its
//! text, not the gigabytes a whole `serde_json::Value` of it would.

use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// What an error body says. A field of another type than a string reads as absent, as a
/// `Value`'s `as_str` did; a later duplicate key wins, as in a `Value`.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct ErrorBody {
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub code: Option<String>,
    pub message: Option<String>,
    pub detail: Option<String>,
    pub trace_id: Option<String>,
}

impl ErrorBody {
    /// `None` when the body is not JSON.
    pub fn read(body: &str) -> Option<Self> {
        serde_json::from_str::<Body>(body).ok().map(|b| b.0)
    }
}

struct Body(ErrorBody);

impl<'de> de::Deserialize<'de> for Body {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TopVisitor).map(Body)
    }
}

/// Ignores every value that is not the top-level object.
macro_rules! scalars_are_nothing {
    ($out:ty) => {
        fn visit_bool<E>(self, _: bool) -> Result<$out, E> {
            Ok(Default::default())
        }
        fn visit_i64<E>(self, _: i64) -> Result<$out, E> {
            Ok(Default::default())
        }
        fn visit_u64<E>(self, _: u64) -> Result<$out, E> {
            Ok(Default::default())
        }
        fn visit_f64<E>(self, _: f64) -> Result<$out, E> {
            Ok(Default::default())
        }
        fn visit_unit<E>(self) -> Result<$out, E> {
            Ok(Default::default())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<$out, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(Default::default())
        }
    };
}

struct TopVisitor;

impl<'de> Visitor<'de> for TopVisitor {
    type Value = ErrorBody;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    scalars_are_nothing!(ErrorBody);

    fn visit_str<E>(self, _: &str) -> Result<ErrorBody, E> {
        Ok(ErrorBody::default())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ErrorBody, A::Error> {
        let mut out = ErrorBody::default();
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Error => {
                    let inner = map.next_value::<Inner>()?;
                    out.error_code = inner.code;
                    out.error_message = inner.message;
                }
                Key::Code => out.code = map.next_value::<Text>()?.0,
                Key::Message => out.message = map.next_value::<Text>()?.0,
                Key::Detail => out.detail = map.next_value::<Text>()?.0,
                Key::TraceId => out.trace_id = map.next_value::<Text>()?.0,
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

/// The keys looked for; any other is `Other` (and its text is not kept).
enum Key {
    Error,
    Code,
    Message,
    Detail,
    TraceId,
    Other,
}

impl<'de> de::Deserialize<'de> for Key {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E>(self, v: &str) -> Result<Key, E> {
                Ok(match v {
                    "error" => Key::Error,
                    "code" => Key::Code,
                    "message" => Key::Message,
                    "detail" => Key::Detail,
                    "trace_id" => Key::TraceId,
                    _ => Key::Other,
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// `error`'s `code` and `message`, when it is an object.
#[derive(Default)]
struct Inner {
    code: Option<String>,
    message: Option<String>,
}

impl<'de> de::Deserialize<'de> for Inner {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Inner;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            scalars_are_nothing!(Inner);
            fn visit_str<E>(self, _: &str) -> Result<Inner, E> {
                Ok(Inner::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Inner, A::Error> {
                let mut out = Inner::default();
                while let Some(key) = map.next_key::<Key>()? {
                    match key {
                        Key::Code => out.code = map.next_value::<Text>()?.0,
                        Key::Message => out.message = map.next_value::<Text>()?.0,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_any(V)
    }
}

/// A string value; any other value (skipped unbuilt) is `None`.
struct Text(Option<String>);

impl<'de> de::Deserialize<'de> for Text {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_unit<E>(self) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text, E> {
                Ok(Text(Some(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Text, E> {
                Ok(Text(Some(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Text, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_fields_and_skips_the_rest() {
        let body = r#"{"junk": [[[[]]]], "error": {"code": "api_error", "message": "boom",
            "x": [1]}, "trace_id": "t", "code": 5, "message": ["no"], "detail": "d"}"#;
        assert_eq!(
            ErrorBody::read(body),
            Some(ErrorBody {
                error_code: Some("api_error".into()),
                error_message: Some("boom".into()),
                code: None,
                message: None,
                detail: Some("d".into()),
                trace_id: Some("t".into()),
            })
        );
        assert_eq!(ErrorBody::read("[1, 2]"), Some(ErrorBody::default()));
        assert_eq!(
            ErrorBody::read(r#"{"error": "just words"}"#),
            Some(ErrorBody::default())
        );
        assert_eq!(ErrorBody::read("<html>"), None);
        assert_eq!(ErrorBody::read("{\"a\": NaN}"), None);
    }
}
