//! Reading the API's answers to `retrieve` and `retrieve_batch` from their text, item by
//! item. Memory is the answer's text (at most 32 MB, held while it is read) and what is
//! kept of it, not the shapes it was sent in: a batch answer is walked without building
//! it, each item's `id` is read first, and only the first item of each id that was asked
//! about is read into a record (see `sparse`: only the places the record model reads,
//! within a budget). A record that cannot be read fails alone, with the reason; the
//! others of its batch are answered.

use super::error::excerpt;
use super::{ApiError, ErrorKind, TaskRecord};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::collections::HashSet;
use std::fmt;
use std::time::Duration;

/// What one batch answer says about the ids asked.
#[derive(Debug, Default)]
pub struct BatchAnswer {
    /// At most one record per id asked, in the answer's order.
    pub records: Vec<TaskRecord>,
    /// Ids asked about whose record came but could not be read, each with its error.
    pub unreadable: Vec<(String, ApiError)>,
}

/// The body as text, with the token as written cut out of it before anything is parsed:
/// records, error messages and excerpts alike. (A token the JSON writes escaped,
/// `TOK\u0045N`, only shows once decoded: the readers hide it there, see `sparse` and
/// `client::hide_token`.) The bytes are reused when they are UTF-8 and hold no token, so
/// an answer of 31 MB is not copied.
pub(super) fn body_text(body: Vec<u8>, token: &str) -> String {
    let text = String::from_utf8(body)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    crate::text::redact_owned(text, token)
}

/// A 2xx answer that is an error of the call (`{"success": false, "error": {…}}`: a record
/// always has an `id`, a batch answer `items`), or one that is not JSON at all.
pub(super) fn check(
    status: u16,
    body: &str,
    trace: Option<String>,
    wait: Option<Duration>,
) -> Result<(), ApiError> {
    let envelope = serde_json::from_str::<Envelope>(body).map_err(|e| ApiError {
        http_status: Some(status),
        trace_id: trace.clone(),
        ..ApiError::new(
            ErrorKind::Decode,
            format!("the answer is not JSON ({e}): {}", excerpt(body)),
        )
    })?;
    if (envelope.failed || envelope.has_error) && !envelope.is_data {
        return Err(ApiError::from_response(status, body, trace, wait));
    }
    Ok(())
}

/// The answer to `retrieve`: `None` when it has no usable `id` (`{}` is how the API says
/// it does not know the task).
pub(super) fn single(body: &str, token: &str) -> Result<Option<TaskRecord>, ApiError> {
    let raw: &RawValue = serde_json::from_str(body).map_err(not_json)?;
    TaskRecord::from_json_with(raw, Some(token)).map_err(|why| unreadable(&why))
}

/// [`batch`] on a blocking thread: walking an answer of 30 MB takes a while (seconds in a
/// debug build), and on a runtime worker it would hold up the other requests' bodies
/// until their timeouts struck.
pub(super) async fn batch_off_thread(
    body: String,
    asked: Vec<String>,
    token: std::sync::Arc<str>,
) -> Result<BatchAnswer, ApiError> {
    tokio::task::spawn_blocking(move || batch(&body, &asked, &token))
        .await
        .unwrap_or_else(|e| {
            Err(ApiError::new(
                ErrorKind::Decode,
                format!("reading the answer stopped: {e}"),
            ))
        })
}

/// The answer to `retrieve_batch` for `asked`: items of other ids are dropped unread.
pub(super) fn batch(body: &str, asked: &[String], token: &str) -> Result<BatchAnswer, ApiError> {
    let wanted: HashSet<String> = asked.iter().map(|id| id.to_ascii_lowercase()).collect();
    let mut reader = Items {
        wanted: &wanted,
        token,
        seen: HashSet::with_capacity(asked.len()),
        answer: BatchAnswer::default(),
    };
    let mut de = serde_json::Deserializer::from_str(body);
    de::Deserializer::deserialize_any(&mut de, Top(&mut reader)).map_err(|e| {
        if e.is_data() {
            ApiError::new(ErrorKind::Decode, e.to_string())
        } else {
            not_json(e)
        }
    })?;
    Ok(reader.answer)
}

fn not_json(e: serde_json::Error) -> ApiError {
    ApiError::new(ErrorKind::Decode, format!("the answer is not JSON ({e})"))
}

fn unreadable(why: &super::record::Unreadable) -> ApiError {
    ApiError::new(
        ErrorKind::Decode,
        format!("the API's record could not be read: {why}"),
    )
}

/// The top-level fields [`check`] looks at; every value is skipped, not built.
#[derive(Default)]
struct Envelope {
    failed: bool,
    has_error: bool,
    is_data: bool,
}

impl<'de> de::Deserialize<'de> for Envelope {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Envelope;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Envelope, A::Error> {
                let mut out = Envelope::default();
                while let Some(key) = map.next_key::<KeyName>()? {
                    match key.0 {
                        Some("success") => out.failed = map.next_value::<FalseFlag>()?.0,
                        Some("error") => out.has_error = map.next_value::<ObjectFlag>()?.0,
                        Some("id" | "items") => {
                            out.is_data = true;
                            map.next_value::<IgnoredAny>()?;
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(out)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Envelope, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Envelope::default())
            }
            fn visit_bool<E>(self, _: bool) -> Result<Envelope, E> {
                Ok(Envelope::default())
            }
            fn visit_i64<E>(self, _: i64) -> Result<Envelope, E> {
                Ok(Envelope::default())
            }
            fn visit_u64<E>(self, _: u64) -> Result<Envelope, E> {
                Ok(Envelope::default())
            }
            fn visit_f64<E>(self, _: f64) -> Result<Envelope, E> {
                Ok(Envelope::default())
            }
            fn visit_str<E>(self, _: &str) -> Result<Envelope, E> {
                Ok(Envelope::default())
            }
            fn visit_unit<E>(self) -> Result<Envelope, E> {
                Ok(Envelope::default())
            }
        }
        d.deserialize_any(V)
    }
}

/// A key kept only when it is one of the few the readers here look for.
struct KeyName(Option<&'static str>);

const NAMES: [&str; 6] = ["success", "error", "id", "items", "count", "user_id"];

impl<'de> de::Deserialize<'de> for KeyName {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = KeyName;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E>(self, v: &str) -> Result<KeyName, E> {
                Ok(KeyName(NAMES.iter().copied().find(|n| *n == v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// `success` is exactly `false`.
struct FalseFlag(bool);

impl<'de> de::Deserialize<'de> for FalseFlag {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <&RawValue>::deserialize(d)?;
        Ok(Self(raw.get() == "false"))
    }
}

/// `error` is an object.
struct ObjectFlag(bool);

impl<'de> de::Deserialize<'de> for ObjectFlag {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <&RawValue>::deserialize(d)?;
        Ok(Self(raw.get().starts_with('{')))
    }
}

struct Items<'w> {
    wanted: &'w HashSet<String>,
    token: &'w str,
    /// Ids already answered (lower case): a second item of the same id is dropped.
    seen: HashSet<String>,
    answer: BatchAnswer,
}

impl Items<'_> {
    fn item(&mut self, raw: &RawValue) {
        let Some(id) = item_id(raw) else {
            return;
        };
        let key = id.to_ascii_lowercase();
        if !self.wanted.contains(&key) || !self.seen.insert(key) {
            return;
        }
        match TaskRecord::from_json_with(raw, Some(self.token)) {
            Ok(Some(record)) => self.answer.records.push(record),
            // `item_id` found an id, so the record has one too.
            Ok(None) => {}
            Err(why) => self.answer.unreadable.push((id, unreadable(&why))),
        }
    }
}

/// The top-level object of a batch answer: `items` is walked, every other value skipped.
struct Top<'a, 'w>(&'a mut Items<'w>);

impl<'de> Visitor<'de> for Top<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the batch answer, a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<KeyName>()? {
            if key.0 == Some("items") {
                map.next_value_seed(ItemList(&mut *self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// `items`: a list (or null, for none).
struct ItemList<'a, 'w>(&'a mut Items<'w>);

impl<'de> DeserializeSeed<'de> for ItemList<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemList<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("`items` of the batch answer as a list")
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(raw) = seq.next_element::<&'de RawValue>()? {
            self.0.item(raw);
        }
        Ok(())
    }
}

/// An item's `id` as the record model reads it (trimmed text of a string or a number),
/// found without building the item.
fn item_id(raw: &RawValue) -> Option<String> {
    item_text(raw, "id")
}

/// An item's top-level `key` (one of `NAMES`) read as [`item_id`] reads the id.
pub(super) fn item_text(raw: &RawValue, key: &'static str) -> Option<String> {
    struct V(&'static str);
    impl<'de> Visitor<'de> for V {
        type Value = Option<&'de RawValue>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a record")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut id = None;
            while let Some(key) = map.next_key::<KeyName>()? {
                if key.0 == Some(self.0) {
                    id = Some(map.next_value::<&'de RawValue>()?);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(id)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    let mut de = serde_json::Deserializer::from_str(raw.get());
    let id = de::Deserializer::deserialize_any(&mut de, V(key)).ok()??;
    let text = id.get();
    let id = if text.starts_with('"') {
        serde_json::from_str::<String>(text).ok()?.trim().to_owned()
    } else {
        serde_json::from_str::<serde_json::Number>(text)
            .ok()?
            .to_string()
    };
    (!id.is_empty()).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const T: &str = "answer-test-token-123";

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("id-{i}")).collect()
    }

    #[test]
    fn keeps_the_first_item_of_each_asked_id_only() {
        let body = json!({"items": [
            {"id": "x", "a": [[[[]]]]},
            {"id": "ID-0", "response": {"data": {"status": "running"}}},
            {"id": "id-0", "response": {"data": {"status": "failed"}}},
            {"id": " id-1 "},
            [1, 2], 7, "id-2", null
        ], "count": 8})
        .to_string();
        let answer = batch(&body, &ids(3), T).expect("readable");
        let got: Vec<(&str, &str)> = answer
            .records
            .iter()
            .map(|r| (r.id.as_str(), r.status.as_str()))
            .collect();
        assert_eq!(got, vec![("ID-0", "running"), ("id-1", "pending")]);
        assert!(answer.unreadable.is_empty());
    }

    #[test]
    fn a_bad_record_fails_alone_with_its_reason() {
        let body = r#"{"items": [
            {"id": "id-0", "created_at": 1e309},
            {"id": "id-1", "elapsed": -1e309, "response": {"data": {"status": "succeeded"}}},
            {"id": "id-2", "response": {"data": {"status": "succeeded"}}},
            {"id": "other", "created_at": 1e309}
        ]}"#;
        let answer = batch(body, &ids(3), T).expect("the batch is read");
        assert_eq!(answer.records.len(), 1);
        assert_eq!(answer.records[0].id, "id-2");
        let bad: Vec<(&str, String)> = answer
            .unreadable
            .iter()
            .map(|(id, e)| (id.as_str(), e.message.clone()))
            .collect();
        assert_eq!(
            bad,
            vec![
                (
                    "id-0",
                    "the API's record could not be read: number out of range at created_at".into()
                ),
                (
                    "id-1",
                    "the API's record could not be read: number out of range at elapsed".into()
                ),
            ]
        );
    }

    #[test]
    fn shapes_that_are_no_batch_answer() {
        assert_eq!(
            batch("{}", &ids(1), T).map(|a| a.records.len()).ok(),
            Some(0)
        );
        assert_eq!(
            batch(r#"{"items": null}"#, &ids(1), T)
                .map(|a| a.records.len())
                .ok(),
            Some(0)
        );
        for body in [
            "[1,2]",
            r#"{"items": 3}"#,
            r#"{"items": {"a": 1}}"#,
            "{\"items\": [NaN]}",
        ] {
            let e = batch(body, &ids(1), T).expect_err(body);
            assert_eq!(e.kind, ErrorKind::Decode, "{body}");
        }
    }

    #[test]
    fn error_bodies_and_non_json_are_told_apart() {
        let error = r#"{"success": false, "error": {"code": "invalid_token", "message": "bad"}}"#;
        assert!(check(200, error, None, None).is_err_and(|e| e.is_auth()));
        let record = r#"{"id": "a", "success": false, "error": {"code": "x"}}"#;
        assert!(check(200, record, None, None).is_ok(), "a record is data");
        let e = check(200, "<html>proxy login</html>", None, None).expect_err("html");
        assert_eq!(e.kind, ErrorKind::Decode);
        assert!(e.message.contains("proxy login"));
        assert!(check(200, "{\"items\": [Infinity]}", None, None).is_err());
        assert!(check(200, r#"{"items": [], "n": 1e309}"#, None, None).is_ok());
    }

    #[test]
    fn a_single_answer() {
        assert!(single("{}", T).expect("readable").is_none());
        assert!(single("[1]", T).expect("readable").is_none());
        let r = single("{\"id\": \"a\",\n  \"created_at\": 1766329436}", T)
            .expect("readable")
            .expect("record");
        assert_eq!(
            r.raw_json().get(),
            r#"{"id":"a","created_at":1766329436}"#,
            "compact"
        );
        let e = single(r#"{"id": "a", "finished_at": 1e400}"#, T).expect_err("bad");
        assert!(
            e.message.ends_with("number out of range at finished_at"),
            "{e}"
        );
    }
}
