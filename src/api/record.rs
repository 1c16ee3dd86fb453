use super::Status;
use super::sparse;
pub use super::sparse::Unreadable;
use super::state::{self, Failure, text};
use super::time::{parse_timestamp, plausible_duration, plausible_time};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use std::fmt;
use std::sync::OnceLock;

/// One task as the API describes it. Every field but `id` may be absent or null; a field
/// of another type than expected reads as unknown, except where the status is read from
/// (see [`Self::from_json`]). The raw JSON is kept so the detail view can show fields this
/// model does not know.
///
/// The serde form is the derived fields only (the history stores them beside the raw
/// record, so a start does not re-derive 100 000 records); `raw` is not part of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRecord {
    pub id: String,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<f64>,
    /// Seconds the task took, when it is finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_frame_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    /// The upstream `cgt-…` id, useful when talking to support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_id: Option<String>,
    #[serde(skip)]
    raw: RawRecord,
}

/// The record as JSON text, parsed again only when something needs its fields (the details
/// panel, an export). Holding text instead of a `Value` tree is what makes a history of
/// 100 000 tasks load fast and small: building `Value`s for 100 000 records of 1.1 KB took
/// about 1 s of CPU (measured), and a `Value` takes several times its text's size in memory.
#[derive(Clone)]
struct RawRecord {
    text: Box<RawValue>,
    parsed: OnceLock<Value>,
}

impl RawRecord {
    fn new(text: Box<RawValue>) -> Self {
        Self {
            text,
            parsed: OnceLock::new(),
        }
    }
}

impl Default for RawRecord {
    fn default() -> Self {
        Self::new(null_raw())
    }
}

fn null_raw() -> Box<RawValue> {
    RawValue::NULL.to_owned()
}

/// The record's text without the whitespace between its tokens: the history keeps one
/// task per line, so a record sent pretty-printed must not bring its line breaks along.
/// (A line break inside a JSON string is always escaped, so only whitespace goes.)
fn compact(text: &RawValue) -> Box<RawValue> {
    let s = text.get();
    let mut out = String::with_capacity(s.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in s.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !matches!(c, ' ' | '\n' | '\r' | '\t') {
            out.push(c);
        }
    }
    if out.len() == s.len() {
        return text.to_owned();
    }
    // Removing whitespace between tokens keeps valid JSON valid.
    RawValue::from_string(out).unwrap_or_else(|_| text.to_owned())
}

/// A record's text above this many bytes is not kept as it came: a record is about 1 KB,
/// and one with a long prompt or many reference items a few dozen; 256 KB is far past
/// any the API sends, and small enough that [`TaskRecord::raw`]'s tree of it stays a few
/// MB for each record that the details panel, the gallery and the library look at.
pub const RAW_MAX_BYTES: usize = 256 * 1024;

/// Nor above this many values (a small text of tiny nested lists is what builds big).
pub const RAW_MAX_VALUES: usize = 8192;

/// The key of the note a record kept trimmed carries, saying so.
pub const TRIMMED_NOTE_KEY: &str = sparse::DROPPED;

/// The raw text to keep of a record read by `sparse`: the text itself when it is small
/// and holds no escaped token; else rebuilt, the token hidden, from the whole text when
/// that is small, or from what `sparse` read (the places the record model, a listing and
/// the gallery read; the details panel, exports, the library, Generate again and Continue
/// then see only those), with a note
/// that the rest was dropped. So [`TaskRecord::raw`] parses a bounded text.
fn kept_raw(text: &RawValue, read: &sparse::Read, token: Option<&str>) -> Box<RawValue> {
    let small = text.get().len() <= RAW_MAX_BYTES && read.values <= RAW_MAX_VALUES;
    if small && !read.token_seen {
        return compact(text);
    }
    if small
        && let Some(token) = token
        && let Ok(mut whole) = serde_json::from_str::<Value>(text.get())
    {
        crate::text::redact_json(&mut whole, token);
        return serde_json::value::to_raw_value(&whole).unwrap_or_else(|_| null_raw());
    }
    let mut tree = read.tree.clone();
    if let Value::Object(map) = &mut tree {
        let why = if small {
            "the record held the API token".to_owned()
        } else {
            format!(
                "the record was {} KB of {} values",
                text.get().len() / 1024,
                read.values
            )
        };
        map.insert(
            TRIMMED_NOTE_KEY.to_owned(),
            Value::String(format!(
                "{why}: only the fields this app reads were kept; \
                 lists and objects it does not read are dropped"
            )),
        );
    }
    serde_json::value::to_raw_value(&tree).unwrap_or_else(|_| null_raw())
}

impl PartialEq for RawRecord {
    fn eq(&self, other: &Self) -> bool {
        self.text.get() == other.text.get()
    }
}

impl fmt::Debug for RawRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.text, f)
    }
}

fn path<'a>(root: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().try_fold(root, |v, k| v.get(k))
}

impl TaskRecord {
    /// The version of the derivation in `from_value`. Bump it whenever `from_value` would
    /// read a record differently: a history written under another version has its stored
    /// fields ignored and every record read again from its raw JSON.
    ///
    /// 2: statuses and reasons in every shape (string errors, `data.reason`, upstream
    /// words such as `timeout`, a top-level `error` without `response`).
    /// 3: times more than a day ahead and durations over ten years read as unknown.
    pub const DERIVATION: u32 = 3;

    /// Seconds after creation past which an unfinished task is no longer asked about:
    /// the longest `execution_expires_after` the API accepts (72 h). Upstream has given
    /// up on such a task even if its record never said so.
    pub const STALE_AFTER_SECONDS: f64 = 72.0 * 3600.0;

    /// Still unfinished (any unfinished status, unknown words included) although it was
    /// created more than [`Self::STALE_AFTER_SECONDS`] before `now` (Unix seconds). A
    /// record without a creation time is never stale: there is nothing to measure from.
    pub fn is_stale(&self, now: f64) -> bool {
        self.status.is_unfinished()
            && self
                .created_at
                .is_some_and(|c| now - c > Self::STALE_AFTER_SECONDS)
    }

    /// Whether asking again could still change the answer: unfinished and not stale. The
    /// one predicate the watch and `wait` use to decide to keep asking.
    pub fn is_live(&self, now: f64) -> bool {
        self.status.is_unfinished() && !self.is_stale(now)
    }

    /// [`Self::is_live`] at the system clock's now.
    pub fn is_live_now(&self) -> bool {
        self.is_live(super::time::unix_now())
    }

    /// The record as the API sent it (parsed on first use, then kept); for a record read
    /// from an answer, with the token hidden and, past [`RAW_MAX_BYTES`] or
    /// [`RAW_MAX_VALUES`], trimmed to the fields this app reads, with a note under
    /// [`TRIMMED_NOTE_KEY`].
    pub fn raw(&self) -> &Value {
        self.raw.parsed.get_or_init(|| {
            // The text was produced by serde_json (from a `Value` or a checked `RawValue`),
            // so it always parses; `Null` is only a guard.
            serde_json::from_str(self.raw.text.get()).unwrap_or(Value::Null)
        })
    }

    /// The record as the API sent it, parsed for the caller and not kept: for exports of
    /// many records, which would otherwise keep a `Value` of each one for good.
    pub fn raw_owned(&self) -> Value {
        match self.raw.parsed.get() {
            Some(v) => v.clone(),
            None => serde_json::from_str(self.raw.text.get()).unwrap_or(Value::Null),
        }
    }

    /// The record as the API sent it, as compact JSON text (what the history stores).
    pub fn raw_json(&self) -> &RawValue {
        &self.raw.text
    }

    /// A record from fields stored earlier (by the history) and its raw JSON text, without
    /// reading the raw record again.
    pub fn with_raw_json(mut self, raw: Box<RawValue>) -> Self {
        self.raw = RawRecord::new(raw);
        self
    }

    /// Reads a record; `None` when the value has no usable `id` (the API answers `{}` for
    /// an unknown task).
    pub fn from_value(raw: Value) -> Option<Self> {
        // Serialising a `Value` cannot fail (its map keys are strings).
        let text = serde_json::value::to_raw_value(&raw).unwrap_or_else(|_| null_raw());
        Self::derive(&raw, text)
    }

    /// Reads a record from the JSON text the API sent, building only the parts the fields
    /// come from (see `sparse`): `Ok(None)` when it has no usable `id` (a string or a
    /// number), an error naming the value when the text holds one no record can (a number
    /// out of `f64` range anywhere), when a value the status is read from has the wrong
    /// type (`"status": 7`, see `state::check_needed`: without its status a record says
    /// nothing) or when what would be built passes `sparse`'s budget. Any other field of
    /// the wrong type reads as unknown (`"model": true`, `"created_at": "soon"`), as in
    /// [`Self::from_value`], which refuses nothing but a missing id.
    pub fn from_json(text: &RawValue) -> Result<Option<Self>, Unreadable> {
        Self::from_json_with(text, None)
    }

    /// [`Self::from_json`] with `token` hidden wherever a string holds it once decoded
    /// (`"TOK\u0045N"`, or split by an escape): the literal token is cut from the answer
    /// before it is read (`answer::body_text`), an escaped one only shows here.
    pub(super) fn from_json_with(
        text: &RawValue,
        token: Option<&str>,
    ) -> Result<Option<Self>, Unreadable> {
        Ok(Self::read_json(text, token)?.map(|(record, _)| record))
    }

    /// [`Self::from_json_with`], and the owner the record names (`user_id`), for a listing.
    pub(super) fn read_json(
        text: &RawValue,
        token: Option<&str>,
    ) -> Result<Option<(Self, Option<String>)>, Unreadable> {
        let read = sparse::read(text.get(), token)?;
        state::check_needed(&read.tree).map_err(|e| Unreadable(e.to_string()))?;
        let owner = super::listing::id_text(read.tree.get("user_id"));
        let raw = kept_raw(text, &read, token);
        Ok(Self::derive(&read.tree, raw).map(|r| (r, owner)))
    }

    fn derive(raw: &Value, raw_text: Box<RawValue>) -> Option<Self> {
        let id = text(raw.get("id"))?;
        let (status, failure) = state::read(raw);
        let response = raw.get("response");
        let data = response.and_then(|r| r.get("data"));

        let url = |key: &str| {
            text(data.and_then(|d| d.get(key)))
                .or_else(|| text(data.and_then(|d| path(d, &["content", key]))))
        };

        let prompt = raw
            .get("request")
            .and_then(|r| r.get("content"))
            .and_then(Value::as_array)
            .and_then(|items| {
                items
                    .iter()
                    .find(|i| i.get("type").and_then(Value::as_str) == Some("text"))
            })
            .and_then(|i| text(i.get("text")))
            .or_else(|| text(path(raw, &["request", "prompt"])));

        // A time far in the future or a duration of decades is a broken clock or a hostile
        // record: shown as unknown rather than as a date no one can read.
        let now = super::time::unix_now();
        let when = |key: &str| {
            raw.get(key)
                .and_then(parse_timestamp)
                .and_then(|t| plausible_time(t, now))
        };
        let created_at = when("created_at");
        let started_at = when("started_at");
        let finished_at = when("finished_at");
        let elapsed = raw
            .get("elapsed")
            .and_then(|v| match v {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            })
            .and_then(plausible_duration)
            .or_else(|| {
                let end = finished_at?;
                let start = started_at.or(created_at)?;
                plausible_duration(end - start)
            });

        Some(Self {
            status,
            model: text(path(raw, &["request", "model"]))
                .or_else(|| text(data.and_then(|d| d.get("model")))),
            prompt,
            created_at,
            started_at,
            finished_at,
            elapsed,
            video_url: url("video_url"),
            last_frame_url: url("last_frame_url"),
            failure,
            trace_id: text(raw.get("trace_id"))
                .or_else(|| text(response.and_then(|r| r.get("trace_id")))),
            upstream_id: text(data.and_then(|d| d.get("task_id")))
                .or_else(|| text(data.and_then(|d| d.get("id")))),
            id,
            raw: RawRecord::new(raw_text),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fixture(name: &str) -> Value {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(path).expect("fixture");
        serde_json::from_str(&text).expect("fixture is JSON")
    }

    fn record(name: &str) -> TaskRecord {
        TaskRecord::from_value(fixture(name)).expect("record")
    }

    #[test]
    fn documented_success() {
        let r = record("doc-retrieve-succeeded.json");
        assert_eq!(r.id, "9462ca25-468b-45a5-9e75-6f516dedcc80");
        assert_eq!(r.status, Status::Succeeded);
        assert_eq!(r.model.as_deref(), Some("doubao-seedance-1-0-pro-250528"));
        assert!(
            r.prompt
                .as_deref()
                .is_some_and(|p| p.starts_with("Multiple shots."))
        );
        assert_eq!(r.created_at, Some(1766329436.091));
        assert_eq!(
            r.video_url.as_deref(),
            Some(
                "https://platform.cdn.acedata.cloud/seedance/d1c2e49e-d854-4a2e-b0c0-88e520f82e2e.mp4"
            )
        );
        assert_eq!(r.last_frame_url, None);
        assert_eq!(r.failure, None);
        assert_eq!(
            r.trace_id.as_deref(),
            Some("24b1b09c-5649-4290-98db-eab23e5efcac")
        );
        assert_eq!(r.upstream_id.as_deref(), Some("cgt-20251221230356-sxgt7"));
    }

    #[test]
    fn raw_upstream_content_shape() {
        let r = record("var-succeeded-content-shape.json");
        assert_eq!(r.status, Status::Succeeded);
        assert!(r.video_url.as_deref().is_some_and(|u| u.ends_with(".mp4")));
        assert!(
            r.last_frame_url
                .as_deref()
                .is_some_and(|u| u.ends_with(".png"))
        );
        assert_eq!(r.created_at, Some(1743414619.0));
        assert_eq!(r.upstream_id.as_deref(), Some("cgt-20250331175019-x7k2p"));
        assert_eq!(
            r.raw()["response"]["data"]["seed"],
            json!(10),
            "unknown fields kept"
        );
    }

    #[test]
    fn unfinished_states() {
        assert_eq!(
            record("var-pending-no-response.json").status,
            Status::Pending
        );
        assert_eq!(record("var-queued.json").status, Status::Queued);
        let running = record("var-running.json");
        assert_eq!(running.status, Status::Running);
        assert_eq!(running.started_at, Some(1766329440.5));
        assert_eq!(running.finished_at, None);
        assert_eq!(running.elapsed, None);
        assert_eq!(running.failure, None);
    }

    #[test]
    fn failed_with_response_error() {
        let r = record("var-failed-error.json");
        assert_eq!(r.status, Status::Failed);
        let f = r.failure.expect("failure");
        assert_eq!(f.code.as_deref(), Some("bad_request"));
        assert!(
            f.message
                .as_deref()
                .is_some_and(|m| m.contains("sensitive information"))
        );
        assert_eq!(r.elapsed, Some(65.1));
    }

    #[test]
    fn failed_with_upstream_status() {
        let r = record("var-failed-upstream-status.json");
        assert_eq!(r.status, Status::Failed);
        assert_eq!(r.model.as_deref(), Some("doubao-seedance-1-0-pro-250528"));
        let f = r.failure.expect("failure");
        assert_eq!(
            f.code.as_deref(),
            Some("OutputAudioSensitiveContentDetected")
        );
        assert!(
            f.summary()
                .starts_with("OutputAudioSensitiveContentDetected: The request failed")
        );
    }

    #[test]
    fn a_big_record_keeps_a_trimmed_raw_text_that_reads_the_same() {
        let junk = "[[]],".repeat(60_000);
        let text = format!(
            r#"{{"id": "big", "junk": [{junk}[]], "request": {{"model": "m", "duration": 5,
            "content": [{{"type": "text", "text": "hello"}}, {junk}[]]}},
            "response": {{"success": true, "data": {{"status": "succeeded", "seed": 3,
            "video_url": "https://cdn.example/v.mp4", "error": {{"detail": 1}}}}}}}}"#
        );
        assert!(text.len() > RAW_MAX_BYTES);
        let raw = RawValue::from_string(text).expect("JSON");
        let r = TaskRecord::from_json(&raw)
            .expect("readable")
            .expect("record");
        assert!(
            r.raw_json().get().len() < 4096,
            "{}",
            r.raw_json().get().len()
        );
        let note = r.raw()[TRIMMED_NOTE_KEY].as_str().expect("a note");
        assert!(
            note.contains("only the fields this app reads were kept"),
            "{note}"
        );
        assert_eq!(
            r.raw()["request"]["duration"],
            json!(5),
            "the gallery's field"
        );
        assert!(r.raw().get("junk").is_none());
        // Read again from the trimmed text (as a history whose fields are stale is), the
        // record is the same.
        let again = TaskRecord::from_value(r.raw_owned()).expect("record");
        assert_eq!(again.with_raw_json(r.raw_json().to_owned()), r);

        // Many values in a small text are trimmed too.
        let small = format!(
            r#"{{"id": "many", "x": [{}0]}}"#,
            "0,".repeat(RAW_MAX_VALUES)
        );
        let raw = RawValue::from_string(small).expect("JSON");
        let r = TaskRecord::from_json(&raw)
            .expect("readable")
            .expect("record");
        assert!(r.raw().get(TRIMMED_NOTE_KEY).is_some());
        // A small record is kept as it came.
        let raw = RawValue::from_string(r#"{"id": "s", "seed": [1, 2]}"#.into()).expect("JSON");
        let r = TaskRecord::from_json(&raw)
            .expect("readable")
            .expect("record");
        assert_eq!(r.raw_json().get(), r#"{"id":"s","seed":[1,2]}"#);
    }

    #[test]
    fn empty_object_is_no_record() {
        assert_eq!(
            TaskRecord::from_value(fixture("var-empty-object.json")),
            None
        );
    }

    #[test]
    fn batch_items_all_parse() {
        for name in ["doc-retrieve-batch.json", "var-batch-partial.json"] {
            let v = fixture(name);
            let items = v["items"].as_array().expect("items");
            assert_eq!(items.len() as u64, v["count"].as_u64().expect("count"));
            for item in items {
                let r = TaskRecord::from_value(item.clone()).expect("record");
                assert_eq!(r.status, Status::Succeeded);
            }
        }
    }

    /// What the history relies on: the stored fields plus the raw text give back the very
    /// record `from_value` read, for every fixture.
    #[test]
    fn stored_fields_and_raw_text_rebuild_the_record() {
        let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
        let mut seen = 0;
        for file in std::fs::read_dir(dir).expect("fixtures") {
            let name = file.expect("entry").file_name();
            let name = name.to_string_lossy();
            // The media fixtures beside the records are not records.
            if !name.ends_with(".json") {
                continue;
            }
            let v = fixture(&name);
            let items = match v.get("items").and_then(Value::as_array) {
                Some(items) => items.clone(),
                None => vec![v],
            };
            for r in items.into_iter().filter_map(TaskRecord::from_value) {
                let fields = serde_json::to_string(&r).expect("fields");
                assert!(!fields.contains("\"raw\""), "raw is not part of the fields");
                let raw = r.raw_json().to_owned();
                let back = serde_json::from_str::<TaskRecord>(&fields)
                    .expect("fields parse")
                    .with_raw_json(raw);
                assert_eq!(back, r, "{name:?}");
                assert_eq!(back.raw(), r.raw());
                seen += 1;
            }
        }
        assert!(seen >= 8, "only {seen} records in the fixtures");
    }

    #[test]
    fn raw_is_parsed_on_demand_and_kept_only_when_asked_to() {
        let r = record("doc-retrieve-succeeded.json");
        assert!(r.raw.parsed.get().is_none(), "not parsed up front");
        let owned = r.raw_owned();
        assert!(r.raw.parsed.get().is_none(), "an export does not keep it");
        assert_eq!(&owned, r.raw());
        assert!(r.raw.parsed.get().is_some(), "the details panel does");
        assert_eq!(owned, fixture("doc-retrieve-succeeded.json"));
    }

    #[test]
    fn tolerates_odd_types() {
        let r = TaskRecord::from_value(json!({
            "id": "x", "created_at": "2025-03-31T09:50:19Z", "elapsed": "12.5",
            "request": {"model": 7, "content": "not a list"},
            "response": {"success": true, "data": {"status": "Moderating", "video_url": ""}}
        }))
        .expect("record");
        assert_eq!(r.status, Status::Other("Moderating".into()));
        assert_eq!(r.model.as_deref(), Some("7"));
        assert_eq!(r.prompt, None);
        assert_eq!(r.video_url, None, "an empty url is no url");
        assert_eq!(r.elapsed, Some(12.5));
        assert_eq!(r.created_at, Some(1743414619.0));
        let empty_response = TaskRecord::from_value(json!({"id": "y", "response": {}}));
        assert_eq!(empty_response.map(|r| r.status), Some(Status::Pending));
        let fail_reason = TaskRecord::from_value(json!({
            "id": "z", "response": {"data": {"status": "failed", "fail_reason": "quota"}}
        }));
        assert_eq!(
            fail_reason
                .and_then(|r| r.failure)
                .and_then(|f| f.message)
                .as_deref(),
            Some("quota")
        );
    }

    mod arbitrary {
        use proptest::prelude::*;
        use serde_json::{Map, Number, Value};

        /// The keys the reader looks at (the sparse reader's own list), so generated trees
        /// reach every branch of it, and one key it ignores.
        fn keys() -> Vec<&'static str> {
            super::super::sparse::schema_keys()
                .into_iter()
                .chain(["other"])
                .collect()
        }

        /// Words the reader gives meaning to, beside arbitrary text.
        const WORDS: &[&str] = &[
            "succeeded",
            "failed",
            "error",
            "timeout",
            "canceled",
            "running",
            "queued",
            "text",
            "Moderating",
            "",
            "  ",
            "1766329436.091",
            "2025-03-31T09:50:19Z",
        ];

        fn leaf() -> impl Strategy<Value = Value> {
            prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(Value::from),
                any::<f64>().prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
                proptest::sample::select(WORDS).prop_map(Value::from),
                ".{0,12}".prop_map(Value::String),
            ]
        }

        /// Any JSON tree, its objects keyed mostly by the record's real keys.
        pub fn json() -> impl Strategy<Value = Value> {
            leaf().prop_recursive(5, 96, 6, |inner| {
                prop_oneof![
                    proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                    proptest::collection::vec((proptest::sample::select(keys()), inner), 0..7)
                        .prop_map(|pairs| {
                            Value::Object(
                                pairs
                                    .into_iter()
                                    .map(|(k, v)| (k.to_owned(), v))
                                    .collect::<Map<_, _>>(),
                            )
                        }),
                ]
            })
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_any_json(v in arbitrary::json()) {
            let _ = TaskRecord::from_value(v);
        }

        /// With an id, any tree is a record with a status, and its stored fields read
        /// back to the same record (what the history relies on).
        #[test]
        fn any_tree_with_an_id_is_a_record_with_a_status(v in arbitrary::json()) {
            let v = match v {
                Value::Object(mut m) => {
                    m.insert("id".into(), json!("p"));
                    Value::Object(m)
                }
                other => json!({"id": "p", "response": other}),
            };
            let r = TaskRecord::from_value(v);
            proptest::prop_assert!(r.is_some());
            let r = r.expect("checked");
            proptest::prop_assert!(!r.status.as_str().is_empty());
            let fields = serde_json::to_string(&r).expect("fields");
            let back = serde_json::from_str::<TaskRecord>(&fields)
                .expect("fields parse")
                .with_raw_json(r.raw_json().to_owned());
            proptest::prop_assert_eq!(back, r);
        }

        /// The text reader (`sparse`: only the keys the reader looks at) derives the very
        /// record the whole-tree reader does, raw text included.
        #[test]
        fn the_text_reader_reads_what_the_tree_reader_does(v in arbitrary::json()) {
            let v = match v {
                Value::Object(mut m) => {
                    m.insert("id".into(), json!("p"));
                    Value::Object(m)
                }
                other => json!({"id": "p", "response": other.clone(), "request": {"content": [other]}}),
            };
            let text = RawValue::from_string(v.to_string()).expect("JSON");
            match TaskRecord::from_json(&text) {
                Ok(from_text) => proptest::prop_assert_eq!(from_text, TaskRecord::from_value(v)),
                // Refused only where the status is read from: the whole tree says the same.
                Err(why) => proptest::prop_assert_eq!(
                    Err(why.0),
                    state::check_needed(&v).map_err(|e| e.to_string())
                ),
            }
        }

        #[test]
        fn stored_status_reads_back_the_same(word in ".{0,12}") {
            let status = Status::from_word(&word);
            let text = serde_json::to_string(&status).expect("status");
            proptest::prop_assert_eq!(serde_json::from_str::<Status>(&text).ok(), Some(status));
        }

        #[test]
        fn never_panics_on_structured_noise(
            status in proptest::option::of(".{0,12}"),
            created in proptest::option::of(proptest::num::f64::ANY),
            success in proptest::option::of(proptest::bool::ANY),
            elapsed in ".{0,8}",
        ) {
            let v = json!({
                "id": "p", "created_at": created, "elapsed": elapsed,
                "response": {"success": success, "data": {"status": status}, "error": {"code": status}}
            });
            let r = TaskRecord::from_value(v);
            proptest::prop_assert!(r.is_some());
        }
    }
}
