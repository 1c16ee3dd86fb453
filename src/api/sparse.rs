//! A record's JSON text read into the small tree the record model looks at, instead of a
//! whole `serde_json::Value`. A `Value` costs many times its text in memory (an empty
//! array of 2 bytes is a 32-byte `Value`, each object a B-tree node of hundreds), so a
//! server that pads a record with nested junk could make one answer of 32 MB cost
//! gigabytes. Here only the places the record model reads are built ([`ROOT`]: a key the
//! model reads under a parent it reads it from, the first [`MAX_ITEMS`] items of the one
//! list it scans), and a container where the model wants a plain value is built as an
//! empty or one-item stand-in. Everything else is checked and skipped, so that a number
//! no `f64` can hold is found (and named) wherever it is. What is built is also held to a
//! [`Budget`]: a record past it cannot be read, and fails alone.

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::fmt;

/// Where the record model reads a value, and what it reads there.
pub(super) enum Shape {
    /// A plain value (a string, a number, a boolean). A container found here is built as
    /// a stand-in that is only as empty as the original: the model asks no more of it.
    Leaf,
    /// An object of which these keys are read.
    Object(&'static [(&'static str, &'static Shape)]),
    /// A list whose first [`MAX_ITEMS`] items are read so.
    List(&'static Shape),
}

static LEAF: Shape = Shape::Leaf;

/// A failure reason: a word, or an object with a code and a message (`state::reason`).
static REASON: Shape = Shape::Object(&[("code", &LEAF), ("message", &LEAF), ("msg", &LEAF)]);

/// The reason keys of `state::REASON_KEYS`, and where the status and links are.
static CONTENT: Shape = Shape::Object(&[
    ("status", &LEAF),
    ("video_url", &LEAF),
    ("last_frame_url", &LEAF),
    ("error", &REASON),
    ("error_message", &REASON),
    ("reason", &REASON),
    ("message", &REASON),
    ("fail_reason", &REASON),
]);

static DATA: Shape = Shape::Object(&[
    ("status", &LEAF),
    ("video_url", &LEAF),
    ("last_frame_url", &LEAF),
    ("model", &LEAF),
    ("task_id", &LEAF),
    ("id", &LEAF),
    ("content", &CONTENT),
    ("error", &REASON),
    ("error_message", &REASON),
    ("reason", &REASON),
    ("message", &REASON),
    ("fail_reason", &REASON),
]);

static RESPONSE: Shape = Shape::Object(&[
    ("success", &LEAF),
    ("trace_id", &LEAF),
    ("data", &DATA),
    ("error", &REASON),
    ("message", &REASON),
]);

static TEXT_ITEM: Shape = Shape::Object(&[("type", &LEAF), ("text", &LEAF)]);
static TEXT_ITEMS: Shape = Shape::List(&TEXT_ITEM);

/// `duration` is the gallery's (the length the request asked for).
static REQUEST: Shape = Shape::Object(&[
    ("model", &LEAF),
    ("prompt", &LEAF),
    ("duration", &LEAF),
    ("content", &TEXT_ITEMS),
]);

/// Every place the record model (`record.rs`), the state reader (`state.rs`), a
/// listing's owner check (`listing.rs`) and the gallery read.
pub(super) static ROOT: Shape = Shape::Object(&[
    ("id", &LEAF),
    ("response", &RESPONSE),
    ("request", &REQUEST),
    ("created_at", &LEAF),
    ("started_at", &LEAF),
    ("finished_at", &LEAF),
    ("elapsed", &LEAF),
    ("trace_id", &LEAF),
    ("user_id", &LEAF),
    ("application_id", &LEAF),
    ("error", &REASON),
    ("fail_reason", &REASON),
    ("message", &REASON),
]);

/// The reader scans `request.content` for its first text item; requests carry a handful.
const MAX_ITEMS: usize = 64;

/// Stands in for the keys left out of an object, so an object that had only unknown
/// keys still reads as non-empty ("an error object is present") as it would whole. A
/// key of its own (not one the model reads), so a tree written out and read again reads
/// the same.
pub(super) const DROPPED: &str = "(dropped)";

/// How much one record may build. [`ROOT`] keeps a record's tree to a few hundred
/// values (64 text items of up to 6 are the most of it), so the value limit is a guard, not a
/// rule any record meets; the text limit is what a record's own strings may hold (a
/// prompt is a few KB; 4 MB leaves room for megabyte fields, which are shown clipped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Budget {
    pub values: usize,
    pub text_bytes: usize,
}

impl Budget {
    pub const RECORD: Self = Self {
        values: 4096,
        text_bytes: 4 * 1024 * 1024,
    };
}

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

/// A record's text as read.
#[derive(Debug)]
pub(super) struct Read {
    /// The parts the record model reads (with the token hidden in its strings).
    pub tree: Value,
    /// How many values the whole text holds, read or skipped.
    pub values: usize,
    /// Whether a string of the text, read or skipped, held the token once its escapes
    /// were decoded (`"TOK\u0045N"`) or with hidden characters between its letters.
    pub token_seen: bool,
}

/// The parts of `text` (one JSON value) the record model reads, within [`Budget::RECORD`].
pub(super) fn read(text: &str, token: Option<&str>) -> Result<Read, Unreadable> {
    read_within(text, token, Budget::RECORD)
}

pub(super) fn read_within(
    text: &str,
    token: Option<&str>,
    budget: Budget,
) -> Result<Read, Unreadable> {
    let ctx = Ctx {
        path: RefCell::new(Vec::new()),
        budget,
        built: Cell::new((0, 0)),
        values: Cell::new(0),
        token: token.map(str::trim).filter(|t| !t.is_empty()),
        token_seen: Cell::new(false),
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let seed = Seed {
        shape: Some(&ROOT),
        ctx: &ctx,
    };
    let tree = seed
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| describe(&e, &ctx.path.borrow()))?;
    Ok(Read {
        tree,
        values: ctx.values.get(),
        token_seen: ctx.token_seen.get(),
    })
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

/// What one reading shares across its values.
struct Ctx<'t> {
    path: RefCell<Vec<Step>>,
    budget: Budget,
    /// Values and bytes of text built so far.
    built: Cell<(usize, usize)>,
    values: Cell<usize>,
    token: Option<&'t str>,
    token_seen: Cell<bool>,
}

impl Ctx<'_> {
    /// Counts what is built; past the budget the record cannot be read.
    fn charge<E: de::Error>(&self, values: usize, bytes: usize) -> Result<(), E> {
        let (v, b) = self.built.get();
        let (v, b) = (v + values, b + bytes);
        self.built.set((v, b));
        if v > self.budget.values || b > self.budget.text_bytes {
            return Err(E::custom(format!(
                "too large: more than {} values or {} KB of text to keep",
                self.budget.values,
                self.budget.text_bytes / 1024
            )));
        }
        Ok(())
    }

    /// The string with the token hidden (and noted) when it holds it.
    fn screen(&self, s: &str) -> Option<String> {
        let hidden = crate::text::redacted_if_held(s, self.token?)?;
        self.token_seen.set(true);
        Some(hidden)
    }
}

#[derive(Clone, Copy)]
struct Seed<'c, 't> {
    /// How to build this value; `None`: only check it.
    shape: Option<&'static Shape>,
    ctx: &'c Ctx<'t>,
}

impl Seed<'_, '_> {
    fn child(self, shape: Option<&'static Shape>) -> Self {
        Self {
            shape: self.shape.and(shape),
            ctx: self.ctx,
        }
    }

    fn scalar<E: de::Error>(self, v: Value) -> Result<Value, E> {
        self.ctx.values.set(self.ctx.values.get() + 1);
        if self.shape.is_none() {
            return Ok(Value::Null);
        }
        self.ctx.charge(1, 0)?;
        Ok(v)
    }

    fn string<E: de::Error>(self, v: Cow<'_, str>) -> Result<Value, E> {
        self.ctx.values.set(self.ctx.values.get() + 1);
        let screened = self.ctx.screen(&v);
        if self.shape.is_none() {
            return Ok(Value::Null);
        }
        self.ctx.charge(1, v.len())?;
        Ok(Value::String(screened.unwrap_or_else(|| v.into_owned())))
    }
}

impl<'de> DeserializeSeed<'de> for Seed<'_, '_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// A key, read as text and screened for the token like any string.
struct KeySeed<'c, 't>(&'c Ctx<'t>);

impl<'de> DeserializeSeed<'de> for KeySeed<'_, '_> {
    type Value = String;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed<'_, '_> {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E>(self, v: &str) -> Result<String, E> {
        Ok(self.0.screen(v).unwrap_or_else(|| v.to_owned()))
    }
}

impl<'de> Visitor<'de> for Seed<'_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        self.scalar(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.scalar(Value::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        self.scalar(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        // JSON has no NaN or infinity: serde_json never hands one over.
        self.scalar(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.string(Cow::Borrowed(v))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        self.string(Cow::Owned(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.scalar(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.scalar(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.ctx.values.set(self.ctx.values.get() + 1);
        let items_shape = match self.shape {
            Some(Shape::List(item)) => Some(*item),
            _ => None,
        };
        let mut items = Vec::new();
        let mut i = 0;
        loop {
            let child = self.child(items_shape.filter(|_| i < MAX_ITEMS));
            self.ctx.path.borrow_mut().push(Step::Index(i));
            let Some(v) = seq.next_element_seed(child)? else {
                self.ctx.path.borrow_mut().pop();
                break;
            };
            self.ctx.path.borrow_mut().pop();
            if child.shape.is_some() {
                items.push(v);
            }
            i += 1;
        }
        match self.shape {
            None => Ok(Value::Null),
            Some(Shape::List(_)) => {
                self.ctx.charge(1, 0)?;
                Ok(Value::Array(items))
            }
            // A stand-in only as empty as the list was.
            Some(_) => {
                self.ctx.charge(2, 0)?;
                Ok(Value::Array(if i > 0 {
                    vec![Value::Null]
                } else {
                    Vec::new()
                }))
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.ctx.values.set(self.ctx.values.get() + 1);
        let fields: &[(&str, &Shape)] = match self.shape {
            Some(Shape::Object(fields)) => fields,
            _ => &[],
        };
        let mut out = Map::new();
        let mut dropped = false;
        while let Some(key) = map.next_key_seed(KeySeed(self.ctx))? {
            let shape = fields.iter().find(|(k, _)| *k == key).map(|(_, s)| *s);
            let child = self.child(shape);
            self.ctx.path.borrow_mut().push(Step::Key(key));
            let v = map.next_value_seed(child)?;
            let Some(Step::Key(key)) = self.ctx.path.borrow_mut().pop() else {
                continue;
            };
            if child.shape.is_some() {
                out.insert(key, v);
            } else {
                dropped = true;
            }
        }
        if self.shape.is_none() {
            return Ok(Value::Null);
        }
        if dropped {
            self.ctx.charge(1, 0)?;
            out.insert(DROPPED.to_owned(), Value::Null);
        }
        self.ctx.charge(1, 0)?;
        Ok(Value::Object(out))
    }
}

/// Every key of [`ROOT`], for tests that generate records reaching each place.
#[cfg(test)]
pub(super) fn schema_keys() -> Vec<&'static str> {
    fn walk(shape: &Shape, out: &mut Vec<&'static str>) {
        match shape {
            Shape::Leaf => {}
            Shape::List(item) => walk(item, out),
            Shape::Object(fields) => {
                for (k, s) in *fields {
                    if !out.contains(k) {
                        out.push(k);
                    }
                    walk(s, out);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(&ROOT, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tree(text: &str) -> Value {
        read(text, None).expect("readable").tree
    }

    #[test]
    fn keeps_what_the_reader_needs_and_marks_the_rest() {
        let v = tree(
            r#"{"id": "a", "junk": [[[[]]]], "response": {"data": {"seed": 1, "status": "ok"}}}"#,
        );
        assert_eq!(v["id"], "a");
        assert_eq!(v["response"]["data"]["status"], "ok");
        assert!(v.get("junk").is_none());
        assert!(v["response"]["data"].get("seed").is_none());
        assert_eq!(v["response"]["data"][DROPPED], Value::Null);
        let only_unknown = tree(r#"{"error": {"detail": 1}}"#);
        assert_eq!(
            only_unknown["error"].as_object().map(Map::len),
            Some(1),
            "an object of unknown keys stays non-empty"
        );
    }

    #[test]
    fn a_number_out_of_range_is_named_by_its_path() {
        let e = read(r#"{"id": "a", "created_at": 1e309}"#, None).expect_err("out of range");
        assert_eq!(e.0, "number out of range at created_at");
        let e = read(
            r#"{"id": "a", "response": {"data": {"x": [1, -1e309]}}}"#,
            None,
        )
        .expect_err("nested");
        assert_eq!(e.0, "number out of range at response.data.x[1]");
        assert!(read("{\"id\": NaN}", None).is_err());
    }

    #[test]
    fn only_the_places_the_model_reads_are_built() {
        let long: Vec<Value> = (0..1000)
            .map(|i| json!({"type": "text", "text": i, "junk": [[[]]]}))
            .collect();
        let text = json!({"request": {"content": long}}).to_string();
        let v = tree(&text);
        let items = v["request"]["content"].as_array().expect("list");
        assert_eq!(items.len(), MAX_ITEMS);
        assert_eq!(items[0], json!({"type": "text", "text": 0, DROPPED: null}));

        // A known key under a parent the model does not read it from is not built, nor
        // what is nested where the model wants a plain value: a stand-in as empty as it.
        let read = read(
            r#"{"id": "a", "data": [[[[{"id": {}}]]]], "response": {"data":
                {"status": [[1], [2]], "error": {"code": [[[]]], "message": {}}},
                "message": []}, "request": {"content": [[], [[]], {"text": {"a": 1}}]}}"#,
            None,
        )
        .expect("readable");
        assert_eq!(
            read.tree,
            json!({"id": "a", DROPPED: null, "response": {"data":
                {"status": [null], "error": {"code": [null], "message": {}}},
                "message": []}, "request": {"content": [[], [null], {"text": {DROPPED: null}}]}})
        );
        assert!(read.values > 20, "every value is counted: {}", read.values);
    }

    #[test]
    fn what_is_built_keeps_to_the_budget() {
        let small = Budget {
            values: 40,
            text_bytes: 100,
        };
        let items: Vec<Value> = (0..30)
            .map(|i| json!({"type": "text", "text": i}))
            .collect();
        let text = json!({"id": "a", "request": {"content": items}}).to_string();
        let e = read_within(&text, None, small).expect_err("too many values");
        assert!(e.0.starts_with("too large: more than 40 values"), "{}", e.0);
        assert!(e.0.contains(" at request.content["), "{}", e.0);
        let text = json!({"id": "a", "request": {"model": "m".repeat(200)}}).to_string();
        let e = read_within(&text, None, small).expect_err("too much text");
        assert!(e.0.ends_with(" at request.model"), "{}", e.0);
        // Text that is only checked costs nothing of the budget.
        let text = json!({"id": "a", "junk": "j".repeat(10_000), "more": [[[[]]]]}).to_string();
        assert!(read_within(&text, None, small).is_ok());
    }

    #[test]
    fn an_escaped_token_is_found_and_hidden() {
        let token = "sk-SPARSE-secret-42";
        let text = r#"{"id": "a", "request": {"model": "echo sk-SPARSE-s\u0065cret-42"},
            "other": "sk-SPA\u001b[31mRSE-secret-42"}"#;
        let read = read(text, Some(token)).expect("readable");
        assert!(read.token_seen);
        assert_eq!(read.tree["request"]["model"], "echo [token hidden]");
        let clean =
            super::read(r#"{"id": "a", "x": "nothing \u0041"}"#, Some(token)).expect("readable");
        assert!(!clean.token_seen);
        let in_a_key = super::read(r#"{"id": "a", "sk-SPARSE-s\u0065cret-42": 1}"#, Some(token))
            .expect("readable");
        assert!(in_a_key.token_seen, "keys are strings too");
    }
}
