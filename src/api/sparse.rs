//! A record's JSON text read into the small tree the record model looks at, instead of a
//! whole `serde_json::Value`. A `Value` costs many times its text in memory (an empty
//! array of 2 bytes is a 32-byte `Value`, each object a B-tree node of hundreds), so a
//! server that pads a record with nested junk could make one answer of 32 MB cost
//! gigabytes. Here only the keys the reader knows are built, no deeper than it looks, and
//! at most [`MAX_ITEMS`] items of a list; everything else is checked and skipped, so that
//! a number no `f64` can hold is found (and named) wherever it is.

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::cell::RefCell;
use std::fmt;

/// Every key the record model and the state reader look up (`record.rs`, `state.rs`),
/// and the owner fields a listing compares.
pub(super) const KEYS: [&str; 28] = [
    "id",
    "response",
    "data",
    "content",
    "status",
    "error",
    "message",
    "code",
    "success",
    "created_at",
    "started_at",
    "finished_at",
    "elapsed",
    "request",
    "model",
    "video_url",
    "last_frame_url",
    "fail_reason",
    "reason",
    "error_message",
    "msg",
    "task_id",
    "trace_id",
    "text",
    "type",
    "prompt",
    "user_id",
    "application_id",
];

/// The reader goes at most 5 levels down (`response.data.content.error.code`).
const MAX_DEPTH: usize = 6;

/// The reader scans `request.content` for its first text item; requests carry a handful.
const MAX_ITEMS: usize = 64;

/// Stands in for the keys left out of an object, so an object that had only unknown
/// keys still reads as non-empty ("an error object is present") as it would whole.
const DROPPED: &str = "\u{0}dropped";

/// One step of the path to a value, for the message of a record that cannot be read.
enum Step {
    Key(String),
    Index(usize),
}

/// Why a record's text could not be read, and where (`number out of range at created_at`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable(pub String);

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The parts of `text` (one JSON value) the record model reads.
pub fn read(text: &str) -> Result<Value, Unreadable> {
    let path = RefCell::new(Vec::new());
    let mut de = serde_json::Deserializer::from_str(text);
    let seed = Seed {
        depth: 0,
        keep: true,
        path: &path,
    };
    let value = seed
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| describe(&e, &path.borrow()))?;
    Ok(value)
}

/// serde_json's message without its "at line 1 column 40" (the path says more), and the
/// path to the value it was reading.
fn describe(e: &serde_json::Error, path: &[Step]) -> Unreadable {
    let full = e.to_string();
    let what = full.split(" at line ").next().unwrap_or(&full).to_owned();
    if path.is_empty() {
        return Unreadable(what);
    }
    let mut at = String::new();
    for step in path {
        match step {
            Step::Key(k) => {
                if !at.is_empty() {
                    at.push('.');
                }
                at.extend(k.chars().filter(|c| !c.is_control()).take(64));
            }
            Step::Index(i) => at.push_str(&format!("[{i}]")),
        }
    }
    Unreadable(format!("{what} at {at}"))
}

#[derive(Clone, Copy)]
struct Seed<'p> {
    depth: usize,
    /// Build this value (otherwise only check it).
    keep: bool,
    path: &'p RefCell<Vec<Step>>,
}

impl Seed<'_> {
    fn child(self, keep: bool) -> Self {
        Self {
            depth: self.depth + 1,
            keep: self.keep && keep && self.depth < MAX_DEPTH,
            path: self.path,
        }
    }

    fn kept(self, v: Value) -> Value {
        if self.keep { v } else { Value::Null }
    }
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(self.kept(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(self.kept(Value::Number(v.into())))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(self.kept(Value::Number(v.into())))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // JSON has no NaN or infinity: serde_json never hands one over.
        Ok(self.kept(Number::from_f64(v).map_or(Value::Null, Value::Number)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(if self.keep {
            Value::String(v.to_owned())
        } else {
            Value::Null
        })
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(self.kept(Value::String(v)))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        let mut i = 0;
        loop {
            let child = self.child(i < MAX_ITEMS);
            self.path.borrow_mut().push(Step::Index(i));
            let Some(v) = seq.next_element_seed(child)? else {
                self.path.borrow_mut().pop();
                break;
            };
            self.path.borrow_mut().pop();
            if child.keep {
                items.push(v);
            }
            i += 1;
        }
        Ok(self.kept(Value::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let child = self.child(KEYS.contains(&key.as_str()));
            let keep = child.keep;
            self.path.borrow_mut().push(Step::Key(key));
            let v = map.next_value_seed(child)?;
            let Some(Step::Key(key)) = self.path.borrow_mut().pop() else {
                continue;
            };
            if keep {
                out.insert(key, v);
            } else if self.keep {
                out.insert(DROPPED.to_owned(), Value::Null);
            }
        }
        Ok(self.kept(Value::Object(out)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_what_the_reader_needs_and_marks_the_rest() {
        let v = read(
            r#"{"id": "a", "junk": [[[[]]]], "response": {"data": {"seed": 1, "status": "ok"}}}"#,
        )
        .expect("readable");
        assert_eq!(v["id"], "a");
        assert_eq!(v["response"]["data"]["status"], "ok");
        assert!(v.get("junk").is_none());
        assert!(v["response"]["data"].get("seed").is_none());
        assert_eq!(v["response"]["data"][DROPPED], Value::Null);
        let only_unknown = read(r#"{"error": {"detail": 1}}"#).expect("readable");
        assert_eq!(
            only_unknown["error"].as_object().map(Map::len),
            Some(1),
            "an object of unknown keys stays non-empty"
        );
    }

    #[test]
    fn a_number_out_of_range_is_named_by_its_path() {
        let e = read(r#"{"id": "a", "created_at": 1e309}"#).expect_err("out of range");
        assert_eq!(e.0, "number out of range at created_at");
        let e =
            read(r#"{"id": "a", "response": {"data": {"x": [1, -1e309]}}}"#).expect_err("nested");
        assert_eq!(e.0, "number out of range at response.data.x[1]");
        assert!(read("{\"id\": NaN}").is_err());
    }

    #[test]
    fn arrays_and_depth_are_bounded() {
        let long: Vec<Value> = (0..1000)
            .map(|i| json!({"type": "text", "text": i}))
            .collect();
        let text = json!({"request": {"content": long}}).to_string();
        let v = read(&text).expect("readable");
        assert_eq!(
            v["request"]["content"].as_array().map(Vec::len),
            Some(MAX_ITEMS)
        );
        let deep =
            read(r#"{"data":{"data":{"data":{"data":{"data":{"data":{"data":{"data":1}}}}}}}}"#)
                .expect("readable");
        let mut at = &deep;
        let mut levels = 0;
        while let Some(next) = at.get("data") {
            at = next;
            levels += 1;
        }
        assert_eq!(levels, MAX_DEPTH);
    }
}
