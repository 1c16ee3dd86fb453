//! The layout of `history.json`: one JSON document with one task per line, so a load can
//! read the lines on every core at once. A JSON string never holds a raw line break, so
//! every line break in the file is one this writer put between two tasks. Any other layout
//! of the same document (a file edited by hand, or written before this layout) still
//! loads, through one whole-document parse.
//!
//! Each task stores its raw record as the API sent it and, beside it, the fields the app
//! read from it (`TaskRecord`'s serde form), so a start does not read 100 000 records
//! again. The fields are trusted only when the file's `derivation` matches this build's.

use crate::api::{ApiError, ErrorKind, Status, TaskRecord};
use crate::library::{SavedFile, SavedTask};
use crate::task::{TaskEntry, Vanished};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use std::borrow::Borrow;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct TaskOut<'a> {
    id: &'a str,
    status: &'a str,
    /// The raw record, as the API sent it.
    #[serde(skip_serializing_if = "Option::is_none")]
    record: Option<&'a RawValue>,
    /// What the app read from `record`.
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<&'a TaskRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    checked_at: Option<f64>,
    /// When an answer last carried the record (for "last seen" once the API forgets it).
    #[serde(skip_serializing_if = "Option::is_none")]
    seen_at: Option<f64>,
    /// The API no longer knows the task: the record is the last one it sent.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    vanished: bool,
    #[serde(skip_serializing_if = "str::is_empty")]
    note: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorOut<'a>>,
    /// The task's files in the local library, as recorded when they were saved.
    #[serde(skip_serializing_if = "Option::is_none")]
    saved: Option<SavedOut<'a>>,
}

#[derive(Serialize)]
struct SavedOut<'a> {
    video: SavedFileOut<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_frame: Option<SavedFileOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sidecar: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_frame_error: Option<&'a str>,
}

#[derive(Serialize)]
struct SavedFileOut<'a> {
    path: &'a str,
    size: u64,
    sha256: &'a str,
}

impl<'a> SavedFileOut<'a> {
    /// `None` for a path that is not UTF-8 (JSON cannot hold it as it is): the history
    /// then does not remember the file, and the window finds it by its sidecar instead.
    fn of(file: &'a SavedFile) -> Option<Self> {
        Some(Self {
            path: file.path.to_str()?,
            size: file.size,
            sha256: &file.sha256,
        })
    }
}

impl<'a> SavedOut<'a> {
    fn of(saved: &'a SavedTask) -> Option<Self> {
        Some(Self {
            video: SavedFileOut::of(&saved.video)?,
            last_frame: saved.last_frame.as_ref().and_then(SavedFileOut::of),
            sidecar: saved.sidecar.as_deref().and_then(Path::to_str),
            last_frame_error: saved.last_frame_error.as_deref(),
        })
    }
}

#[derive(Serialize)]
struct ErrorOut<'a> {
    code: Option<&'a str>,
    message: &'a str,
    http_status: Option<u16>,
}

impl<'a> From<&'a TaskEntry> for TaskOut<'a> {
    fn from(t: &'a TaskEntry) -> Self {
        Self {
            id: &t.id,
            status: t.status.as_str(),
            record: t.record.as_ref().map(|r| r.raw_json()),
            fields: t.record.as_deref(),
            checked_at: t.checked_at,
            seen_at: t.seen_at,
            vanished: t.vanished.is_some(),
            note: &t.note,
            error: t.error.as_ref().map(|e| ErrorOut {
                code: e.code.as_deref(),
                message: &e.message,
                http_status: e.http_status,
            }),
            saved: t.saved.as_deref().and_then(SavedOut::of),
        }
    }
}

#[derive(Deserialize)]
struct FileIn<'a> {
    version: u32,
    /// `TaskRecord::DERIVATION` of the stored fields; absent in files written before the
    /// fields were stored.
    #[serde(default)]
    derivation: u32,
    /// Absent in files written before the journal (their journal is never replayed).
    #[serde(default)]
    epoch: Option<u64>,
    #[serde(default, borrow)]
    tasks: Vec<TaskIn<'a>>,
}

#[derive(Deserialize)]
struct TaskIn<'a> {
    id: String,
    #[serde(default)]
    status: String,
    /// Kept as text: parsed only when the stored fields cannot be used.
    #[serde(default)]
    record: Option<Box<RawValue>>,
    /// Text until the derivation is known to match: fields of another build's shape must
    /// not make the file unreadable.
    #[serde(default, borrow)]
    fields: Option<&'a RawValue>,
    #[serde(default)]
    checked_at: Option<f64>,
    #[serde(default)]
    seen_at: Option<f64>,
    #[serde(default)]
    vanished: bool,
    #[serde(default)]
    note: String,
    #[serde(default)]
    error: Option<ErrorIn>,
    /// Absent in files written before the library, and for tasks not saved.
    #[serde(default)]
    saved: Option<SavedIn>,
}

#[derive(Deserialize)]
struct SavedIn {
    video: SavedFileIn,
    #[serde(default)]
    last_frame: Option<SavedFileIn>,
    #[serde(default)]
    sidecar: Option<PathBuf>,
    #[serde(default)]
    last_frame_error: Option<String>,
}

#[derive(Deserialize)]
struct SavedFileIn {
    path: PathBuf,
    size: u64,
    sha256: String,
}

impl From<SavedFileIn> for SavedFile {
    fn from(f: SavedFileIn) -> Self {
        Self {
            path: f.path,
            size: f.size,
            sha256: f.sha256,
        }
    }
}

#[derive(Deserialize)]
struct ErrorIn {
    code: Option<String>,
    message: String,
    http_status: Option<u16>,
}

/// The grid's own words for outcomes without a record, besides the record's statuses.
fn status_from_word(word: &str) -> Status {
    match word {
        "not_found" => Status::NotFound,
        "error" => Status::Error,
        other => Status::from_word(other),
    }
}

impl TaskIn<'_> {
    /// `fields_current`: whether the stored fields were read the way this build reads
    /// records (else the raw record is read again).
    fn into_entry(self, fields_current: bool) -> TaskEntry {
        let mut entry = TaskEntry::new(self.id);
        entry.awaiting = false;
        entry.checked_at = self.checked_at;
        entry.note = self.note;
        let stored = self
            .fields
            .filter(|_| fields_current)
            .and_then(|f| serde_json::from_str::<TaskRecord>(f.get()).ok())
            .filter(|f| f.id == entry.id);
        entry.record = match (self.record, stored) {
            // Raw text with line breaks (a file edited by hand, pretty-printed) is read
            // again, which stores it compact: written back as it is, it would break the
            // one-task-per-line layout for good.
            (Some(raw), Some(fields)) if !raw.get().contains(['\n', '\r']) => {
                Some(fields.with_raw_json(raw))
            }
            (Some(raw), _) => serde_json::from_str::<Value>(raw.get())
                .ok()
                .and_then(TaskRecord::from_value),
            (None, _) => None,
        }
        .map(Arc::new);
        entry.seen_at = self.seen_at;
        entry.status = match &entry.record {
            // A task the API forgot keeps its last record but is not found.
            Some(_) if self.vanished => {
                entry.vanished = Some(Vanished::new(self.seen_at.or(self.checked_at)));
                Status::NotFound
            }
            Some(r) => r.status.clone(),
            None => status_from_word(&self.status),
        };
        entry.error = self.error.map(|e| {
            Arc::new(ApiError {
                code: e.code,
                http_status: e.http_status,
                ..ApiError::new(ErrorKind::Network, e.message)
            })
        });
        entry.saved = self.saved.map(|s| {
            Arc::new(SavedTask {
                id: entry.id.clone(),
                video: s.video.into(),
                last_frame: s.last_frame.map(Into::into),
                sidecar: s.sidecar,
                last_frame_error: s.last_frame_error,
            })
        });
        entry
    }
}

pub fn write<T: Borrow<TaskEntry>>(
    out: &mut impl Write,
    tasks: &[T],
    epoch: u64,
) -> io::Result<()> {
    writeln!(
        out,
        "{{\"version\":{VERSION},\"derivation\":{},\"epoch\":{epoch},\"tasks\":[",
        TaskRecord::DERIVATION
    )?;
    for (i, task) in tasks.iter().enumerate() {
        write_task(&mut *out, task.borrow())?;
        out.write_all(if i + 1 < tasks.len() { b",\n" } else { b"\n" })?;
    }
    out.write_all(b"]}\n")
}

/// One task as one line of JSON (no line break): the main file's and the journal's.
pub fn write_task(out: &mut impl Write, task: &TaskEntry) -> io::Result<()> {
    serde_json::to_writer(out, &TaskOut::from(task)).map_err(io::Error::other)
}

/// One task written by [`write_task`]; `None` when the line is not one (cut short by a
/// crash, or another kind of line).
pub fn read_task(line: &[u8], fields_current: bool) -> Option<TaskEntry> {
    let task: TaskIn = serde_json::from_slice(line).ok()?;
    Some(task.into_entry(fields_current))
}

/// The epoch of a file in this build's layout and derivation, from its first line alone
/// (the writer checks which journal it may append to without reading 150 MB). `None`:
/// another layout, another derivation or no epoch, so a full write must come first.
pub fn current_epoch(first_line: &[u8]) -> Option<u64> {
    let head = first_line.trim_ascii_end();
    if !head.ends_with(br#""tasks":["#) {
        return None;
    }
    let closed = [head, b"]}"].concat();
    let header: FileIn = serde_json::from_slice(&closed).ok()?;
    (header.version == VERSION && header.derivation == TaskRecord::DERIVATION)
        .then_some(header.epoch)
        .flatten()
}

#[derive(Debug)]
pub enum ReadError {
    Damaged(serde_json::Error),
    /// Written by a newer version of the app, in a format this one does not know.
    Newer(u32),
    /// The file could not be read at all (the reason says why).
    Io,
}

/// What a history file holds.
#[derive(Debug)]
pub struct Parsed {
    pub tasks: Vec<TaskEntry>,
    /// The file should be written again: it is not in this writer's layout, or its fields
    /// were derived another way (it loads, but more slowly, until it is rewritten).
    pub rewrite: bool,
    /// The file's epoch (`None` before the journal existed).
    pub epoch: Option<u64>,
}

pub fn read(bytes: &[u8]) -> Result<Parsed, ReadError> {
    if let Some(read) = read_by_lines(bytes) {
        return read;
    }
    let doc: FileIn = serde_json::from_slice(bytes).map_err(ReadError::Damaged)?;
    if doc.version > VERSION {
        return Err(ReadError::Newer(doc.version));
    }
    let fields_current = doc.derivation == TaskRecord::DERIVATION;
    // Records without current fields are parsed from their raw text here: worth the cores.
    let tasks = doc
        .tasks
        .into_par_iter()
        .map(|t| t.into_entry(fields_current))
        .collect();
    Ok(Parsed {
        tasks,
        rewrite: true,
        epoch: doc.epoch,
    })
}

/// The fast path, for files in this writer's layout: `None` when the file is not in it (or
/// a line does not parse), so the caller parses the whole document and reports exactly
/// what is wrong.
fn read_by_lines(bytes: &[u8]) -> Option<Result<Parsed, ReadError>> {
    let header_end = memchr::memchr(b'\n', bytes)?;
    let head = bytes[..header_end].trim_ascii_end();
    // The header must end by opening the task list, or tasks on its line would be lost.
    if !head.ends_with(br#""tasks":["#) {
        return None;
    }
    let closed = [head, b"]}"].concat();
    let header: FileIn = serde_json::from_slice(&closed).ok()?;
    if header.version > VERSION {
        return Some(Err(ReadError::Newer(header.version)));
    }
    let body = bytes[header_end + 1..]
        .trim_ascii_end()
        .strip_suffix(b"]}")?;
    let fields_current = header.derivation == TaskRecord::DERIVATION;
    let mut lines = Vec::new();
    let mut start = 0;
    // Every task but the last ends with a comma, as the JSON document requires.
    let mut last_seen = false;
    for end in memchr::memchr_iter(b'\n', body).chain(std::iter::once(body.len())) {
        let line = body[start..end].trim_ascii();
        start = end + 1;
        if line.is_empty() {
            continue;
        }
        if last_seen {
            return None;
        }
        lines.push(match line.strip_suffix(b",") {
            Some(task) => task,
            None => {
                last_seen = true;
                line
            }
        });
    }
    if !lines.is_empty() && !last_seen {
        return None;
    }
    let tasks = lines
        .into_par_iter()
        .map(|line| read_task(line, fields_current))
        .collect::<Option<Vec<_>>>()?;
    Some(Ok(Parsed {
        tasks,
        rewrite: !fields_current,
        epoch: header.epoch,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::entries;
    use serde_json::json;

    fn written(tasks: &[TaskEntry]) -> Vec<u8> {
        let mut out = Vec::new();
        write(&mut out, tasks, 7).expect("write");
        out
    }

    fn ids(tasks: &[TaskEntry]) -> Vec<&str> {
        tasks.iter().map(|t| t.id.as_str()).collect()
    }

    /// The tasks, and whether the fast path took the file.
    fn loaded(bytes: &[u8]) -> (Vec<TaskEntry>, bool) {
        let fast = read_by_lines(bytes).is_some();
        (read(bytes).expect("loads").tasks, fast)
    }

    #[test]
    fn a_task_the_api_forgot_comes_back_forgotten_with_its_record() {
        // Entries 2 and 3 have records (0 is not found, 1 an error).
        let mut tasks = entries(4).split_off(2);
        let known = tasks[0].record.clone().expect("a record");
        tasks[0].apply(crate::task::Outcome::NotFound);
        let last_seen = tasks[0].vanished.as_ref().and_then(|v| v.last_seen);
        assert!(tasks[0].vanished.is_some() && tasks[0].status == Status::NotFound);
        let (loaded, _) = loaded(&written(&tasks));
        let t = &loaded[0];
        assert_eq!(t.status, Status::NotFound);
        assert_eq!(
            t.record.as_deref().map(|r| &r.id),
            Some(&known.id),
            "the record stays"
        );
        assert_eq!(t.vanished.as_ref().and_then(|v| v.last_seen), last_seen);
        assert!(t.reason_text().contains("no longer knows this task"));
        assert!(loaded[1].vanished.is_none());
    }

    fn saved(id: &str, frame: bool) -> SavedTask {
        let file = |name: &str, size| SavedFile {
            path: PathBuf::from(format!("/lib/2026-12/2026-12-01 20.01 Boat-{name}")),
            size,
            sha256: format!("{:064x}", size),
        };
        SavedTask {
            id: id.to_owned(),
            video: file("d9e576bd.mp4", 20_000_000),
            last_frame: frame.then(|| file("d9e576bd.last-frame.png", 41_000)),
            sidecar: Some(PathBuf::from(
                "/lib/2026-12/2026-12-01 20.01 Boat-d9e576bd.json",
            )),
            last_frame_error: (!frame).then(|| "last frame: the link has expired".to_owned()),
        }
    }

    #[test]
    fn saved_files_come_back_with_their_task_and_older_lines_load_without() {
        let mut tasks = entries(4);
        tasks[2].saved = Some(Arc::new(saved(&tasks[2].id, true)));
        tasks[3].saved = Some(Arc::new(saved(&tasks[3].id, false)));
        let bytes = written(&tasks);
        let (back, fast) = loaded(&bytes);
        assert!(fast);
        assert_eq!(back[0].saved, None);
        assert_eq!(back[1].saved, None);
        assert_eq!(back[2].saved, tasks[2].saved);
        assert_eq!(back[3].saved, tasks[3].saved);
        // Also through the whole-document parse (another layout).
        let doc: Value = serde_json::from_slice(&bytes).expect("JSON");
        let line = &doc["tasks"][2];
        assert_eq!(line["saved"]["video"]["size"], 20_000_000);
        assert_eq!(line["saved"]["last_frame"]["size"], 41_000);
        let pretty = serde_json::to_vec_pretty(&doc).expect("pretty");
        assert_eq!(read(&pretty).expect("loads").tasks[2].saved, tasks[2].saved);
        assert!(line.get("saved").is_some() && doc["tasks"][0].get("saved").is_none());

        // A line written before the library: no `saved` key, nothing saved.
        let record =
            json!({"id": "a", "response": {"success": true, "data": {"status": "succeeded"}}});
        let text = format!(
            "{{\"version\":1,\"derivation\":{},\"tasks\":[\n{}\n]}}\n",
            TaskRecord::DERIVATION,
            json!({"id": "a", "status": "succeeded", "record": record})
        );
        let (old, fast) = loaded(text.as_bytes());
        assert!(fast);
        assert_eq!(old[0].status, Status::Succeeded);
        assert!(old[0].saved.is_none());
    }

    #[cfg(unix)]
    #[test]
    fn a_path_json_cannot_hold_is_left_out_not_the_whole_history() {
        use std::os::unix::ffi::OsStrExt;
        let mut tasks = entries(4);
        let mut odd = saved(&tasks[3].id, true);
        odd.video.path = PathBuf::from(std::ffi::OsStr::from_bytes(b"/lib/\xff.mp4"));
        tasks[3].saved = Some(Arc::new(odd));
        let (back, _) = loaded(&written(&tasks));
        assert_eq!(back.len(), 4);
        assert!(
            back[3].saved.is_none(),
            "found again by its sidecar instead"
        );
    }

    #[test]
    fn one_task_per_line_in_one_json_document() {
        let tasks = entries(5);
        let bytes = written(&tasks);
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        // The prompts hold line breaks; the file has only the ones between tasks.
        assert_eq!(text.lines().count(), tasks.len() + 2, "{text}");
        let doc: Value = serde_json::from_slice(&bytes).expect("valid JSON");
        assert_eq!(doc["tasks"].as_array().map(Vec::len), Some(5));
        assert_eq!(doc["derivation"], TaskRecord::DERIVATION);
        assert!(
            matches!(
                read_by_lines(&bytes),
                Some(Ok(Parsed {
                    rewrite: false,
                    epoch: Some(7),
                    ..
                }))
            ),
            "fast, nothing to rewrite"
        );
        let empty = format!(
            "{{\"version\":1,\"derivation\":{},\"epoch\":7,\"tasks\":[\n]}}\n",
            TaskRecord::DERIVATION
        );
        assert_eq!(written(&[]), empty.as_bytes());
        assert!(matches!(read(&written(&[])), Ok(p) if p.tasks.is_empty() && !p.rewrite));
        assert_eq!(
            current_epoch(empty.lines().next().unwrap_or_default().as_bytes()),
            Some(7)
        );
        let older = format!(
            "{{\"version\":1,\"derivation\":{},\"tasks\":[",
            TaskRecord::DERIVATION
        );
        assert_eq!(
            current_epoch(older.as_bytes()),
            None,
            "no epoch: no journal"
        );
    }

    #[test]
    fn other_layouts_of_the_same_document_load_the_same_tasks_and_heal() {
        let tasks = entries(40);
        let doc: Value = serde_json::from_slice(&written(&tasks)).expect("JSON");
        let compact = serde_json::to_vec(&doc).expect("compact");
        let pretty = serde_json::to_vec_pretty(&doc).expect("pretty");
        for bytes in [compact, pretty] {
            assert!(read_by_lines(&bytes).is_none(), "not this writer's layout");
            let Parsed {
                tasks: back,
                rewrite,
                epoch,
            } = read(&bytes).expect("loads");
            assert!(rewrite, "worth writing again in this layout");
            assert_eq!(epoch, Some(7), "the epoch is read from any layout");
            assert_eq!(ids(&back), ids(&tasks));
            for (a, b) in tasks.iter().zip(&back) {
                // Compact again, so the record equals the one first read from the API.
                assert_eq!(a.record, b.record);
            }
            let (again, fast) = loaded(&written(&back));
            assert!(fast, "written back, the file is in this layout again");
            assert_eq!(ids(&again), ids(&tasks));
        }
    }

    #[test]
    fn tasks_on_the_header_line_are_not_lost() {
        let record =
            json!({"id": "a", "response": {"success": true, "data": {"status": "queued"}}});
        let text =
            format!("{{\"version\":1,\"tasks\":[{{\"id\":\"a\",\"record\":{record}}}\n]}}\n");
        let (tasks, fast) = loaded(text.as_bytes());
        assert!(!fast);
        assert_eq!(ids(&tasks), ["a"]);
        assert_eq!(tasks[0].status, Status::Queued);
    }

    #[test]
    fn fields_of_another_shape_are_read_again_from_the_record() {
        let record = json!({"id": "a", "request": {"model": "fresh"}});
        for fields in [json!({"id": 5}), json!("text"), json!({"status": ["x"]})] {
            let line = json!({"id": "a", "status": "pending", "record": record, "fields": fields});
            let text = format!(
                "{{\"version\":1,\"derivation\":{},\"tasks\":[\n{line}\n]}}\n",
                TaskRecord::DERIVATION
            );
            let (tasks, fast) = loaded(text.as_bytes());
            assert!(fast);
            assert_eq!(
                tasks[0].record.as_ref().and_then(|r| r.model.as_deref()),
                Some("fresh"),
                "{fields}"
            );
        }
    }

    /// A history saved by the derivation before string errors were read: its stored
    /// fields say "pending" with no reason; loaded now, the record is read again.
    #[test]
    fn fields_of_an_older_derivation_are_read_again_with_the_new_reasons() {
        let record = json!({"id": "a", "created_at": 1766329436.091,
            "response": {"success": false, "error": "timeout"}});
        let old_fields = json!({"id": "a", "status": "pending", "created_at": 1766329436.091});
        let line = json!({"id": "a", "status": "pending", "record": record, "fields": old_fields});
        let text = format!("{{\"version\":1,\"derivation\":1,\"tasks\":[\n{line}\n]}}\n");
        let (tasks, fast) = loaded(text.as_bytes());
        assert!(fast);
        assert_eq!(tasks[0].status, Status::Failed);
        assert_eq!(tasks[0].reason(), (None, Some("timeout")));
        assert!(
            matches!(read(text.as_bytes()), Ok(Parsed { rewrite: true, .. })),
            "written again with the fields of this derivation"
        );
    }

    #[test]
    fn commas_between_lines_are_checked() {
        let bytes = written(&entries(3));
        let text = String::from_utf8(bytes).expect("utf-8");
        let missing = text.replacen("},\n", "}\n", 1);
        let trailing = text.replacen("}\n]}", "},\n]}", 1);
        for broken in [missing, trailing] {
            assert!(read_by_lines(broken.as_bytes()).is_none());
            assert!(matches!(
                read(broken.as_bytes()),
                Err(ReadError::Damaged(_))
            ));
        }
        let crlf = text.replace('\n', "\r\n");
        assert_eq!(loaded(crlf.as_bytes()).0.len(), 3);
        assert!(
            loaded(crlf.as_bytes()).1,
            "CRLF line ends still take the fast path"
        );
    }

    #[test]
    fn a_damaged_line_is_reported_not_skipped() {
        let mut bytes = written(&entries(10));
        let at = memchr::memmem::find(&bytes, b"\"note\"").expect("a note");
        bytes[at] = b'?';
        assert!(matches!(read(&bytes), Err(ReadError::Damaged(_))));
        let newer = b"{\"version\":99,\"derivation\":2,\"tasks\":[\n]}\n";
        assert!(matches!(read(newer), Err(ReadError::Newer(99))));
    }

    #[test]
    fn many_tasks_read_on_several_threads_in_order() {
        let tasks = entries(3_000);
        let (back, fast) = loaded(&written(&tasks));
        assert!(fast);
        assert_eq!(ids(&back), ids(&tasks));
    }
}
