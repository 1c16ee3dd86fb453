//! What survives a restart: every task in the grid (id, last record, when it was last
//! asked, the user's note), as one JSON file in the platform's data directory, written
//! atomically (temp file, fsync, rename) by a background thread. Never the token.

use crate::api::{ApiError, ErrorKind, Status, TaskRecord};
use crate::task::TaskEntry;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

pub const FILE_NAME: &str = "history.json";
/// Overrides the data directory (tests, portable installs).
pub const ENV_DATA_DIR: &str = "SEEDANCE_DATA_DIR";
const VERSION: u32 = 1;

/// `$SEEDANCE_DATA_DIR`, else the platform's data directory (XDG_DATA_HOME on Linux,
/// Application Support on macOS, AppData on Windows).
pub fn data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(ENV_DATA_DIR).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("cloud", "AceDataCloud", "seedance-tasks")
        .map(|p| p.data_dir().to_path_buf())
}

pub fn history_path() -> Option<PathBuf> {
    data_dir().map(|d| d.join(FILE_NAME))
}

#[derive(Serialize)]
struct FileOut<'a> {
    version: u32,
    tasks: Vec<TaskOut<'a>>,
}

#[derive(Serialize)]
struct TaskOut<'a> {
    id: &'a str,
    status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    record: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    checked_at: Option<f64>,
    #[serde(skip_serializing_if = "str::is_empty")]
    note: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorOut<'a>>,
}

#[derive(Serialize, Deserialize)]
struct ErrorOut<'a> {
    #[serde(borrow)]
    code: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    message: std::borrow::Cow<'a, str>,
    http_status: Option<u16>,
}

#[derive(Deserialize)]
struct FileIn {
    version: u32,
    #[serde(default)]
    tasks: Vec<TaskIn>,
}

#[derive(Deserialize)]
struct TaskIn {
    id: String,
    #[serde(default)]
    status: String,
    /// Kept as text by the first pass; parsed on the worker threads of `into_entries`.
    #[serde(default)]
    record: Option<Box<serde_json::value::RawValue>>,
    #[serde(default)]
    checked_at: Option<f64>,
    #[serde(default)]
    note: String,
    #[serde(default)]
    error: Option<ErrorIn>,
}

#[derive(Deserialize)]
struct ErrorIn {
    code: Option<String>,
    message: String,
    http_status: Option<u16>,
}

fn status_from_word(word: &str) -> Status {
    match word {
        "not_found" => Status::NotFound,
        "error" => Status::Error,
        other => Status::from_word(other),
    }
}

impl TaskIn {
    fn into_entry(self) -> TaskEntry {
        let mut entry = TaskEntry::new(self.id);
        entry.awaiting = false;
        entry.checked_at = self.checked_at;
        entry.note = self.note;
        entry.record = self
            .record
            .and_then(|raw| serde_json::from_str::<Value>(raw.get()).ok())
            .and_then(TaskRecord::from_value)
            .map(Arc::new);
        entry.status = match &entry.record {
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
        entry
    }
}

/// Writes the tasks atomically: a reader (or a crash at any point) sees the old file or
/// the new one, never a half-written one.
pub fn save(path: &Path, tasks: &[TaskEntry]) -> io::Result<()> {
    save_with(path, tasks, || Ok(()))
}

/// `save`, with a hook between the fsync of the temp file and the rename, so tests can
/// fail (or crash) exactly there.
pub fn save_with(
    path: &Path,
    tasks: &[TaskEntry],
    before_rename: impl FnOnce() -> io::Result<()>,
) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    // Unique per write: the background writer and the save on exit must never share one.
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("json.tmp-{}-{seq}", std::process::id()));
    let result = (|| {
        let file = File::create(&tmp)?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let doc = FileOut {
            version: VERSION,
            tasks: tasks
                .iter()
                .map(|t| TaskOut {
                    id: &t.id,
                    status: t.status.as_str(),
                    record: t.record.as_ref().map(|r| &r.raw),
                    checked_at: t.checked_at,
                    note: &t.note,
                    error: t.error.as_ref().map(|e| ErrorOut {
                        code: e.code.as_deref().map(Into::into),
                        message: e.message.as_str().into(),
                        http_status: e.http_status,
                    }),
                })
                .collect(),
        };
        serde_json::to_writer(&mut out, &doc).map_err(io::Error::other)?;
        out.flush()?;
        out.get_ref().sync_all()?;
        drop(out);
        before_rename()?;
        fs::rename(&tmp, path)?;
        // The rename itself must reach the disk too, or a power cut could undo it.
        #[cfg(unix)]
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[derive(Debug)]
pub enum Loaded {
    /// No history yet (first start).
    Missing,
    Tasks(Vec<TaskEntry>),
    /// The file could not be read or parsed; it was moved aside (not deleted) so the user
    /// can recover it, and the app starts empty.
    MovedAside {
        reason: String,
        moved_to: Option<PathBuf>,
    },
}

pub fn load(path: &Path) -> Loaded {
    // One read, then `from_slice`: several times faster than `from_reader`, which goes
    // through `io::Read` byte by byte (measured: 100 000 tasks, 107 MB).
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Loaded::Missing,
        Err(e) => return move_aside(path, format!("cannot read {}: {e}", path.display())),
    };
    let parsed: Result<FileIn, _> = serde_json::from_slice(&bytes);
    drop(bytes);
    match parsed {
        Ok(doc) if doc.version <= VERSION => Loaded::Tasks(into_entries(doc.tasks)),
        Ok(doc) => move_aside(
            path,
            format!(
                "{} was written by a newer version (format {})",
                path.display(),
                doc.version
            ),
        ),
        Err(e) => move_aside(path, format!("{} is damaged: {e}", path.display())),
    }
}

/// Reading the records is the other half of the load: split it over the cores.
fn into_entries(tasks: Vec<TaskIn>) -> Vec<TaskEntry> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads < 2 || tasks.len() < 2_000 {
        return tasks.into_iter().map(TaskIn::into_entry).collect();
    }
    let chunk = tasks.len().div_ceil(threads);
    let mut chunks: Vec<Vec<TaskIn>> = Vec::with_capacity(threads);
    let mut rest = tasks;
    while rest.len() > chunk {
        let tail = rest.split_off(chunk);
        chunks.push(rest);
        rest = tail;
    }
    chunks.push(rest);
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|c| scope.spawn(move || c.into_iter().map(TaskIn::into_entry).collect::<Vec<_>>()))
            .collect();
        // `into_entry` has no indexing or unwrap: a join error cannot happen in practice.
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// How many tasks the file holds, without moving anything aside (for checks from outside
/// the app, such as tests watching a running instance).
pub fn load_readonly(path: &Path) -> Option<usize> {
    let doc: FileIn = serde_json::from_slice(&fs::read(path).ok()?).ok()?;
    Some(doc.tasks.len())
}

fn move_aside(path: &Path, reason: String) -> Loaded {
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let aside = path.with_file_name(format!("history.unreadable-{stamp}.json"));
    match fs::rename(path, &aside) {
        Ok(()) => Loaded::MovedAside {
            reason,
            moved_to: Some(aside),
        },
        Err(_) => Loaded::MovedAside {
            reason,
            moved_to: None,
        },
    }
}

type Job = (Vec<TaskEntry>, Option<mpsc::Sender<()>>);

/// Writes snapshots on a background thread; a burst of changes costs one write (the
/// thread always writes the newest snapshot it has). Writes happen in the order sent, so
/// the newest snapshot is always the one left on disk.
pub struct Saver {
    tx: mpsc::Sender<Job>,
    last_error: Arc<Mutex<Option<String>>>,
}

impl Saver {
    pub fn start(path: PathBuf) -> Self {
        let (tx, rx) = mpsc::channel::<Job>();
        let last_error = Arc::new(Mutex::new(None));
        let err = last_error.clone();
        let spawned = std::thread::Builder::new()
            .name("seedance-save".into())
            .spawn(move || {
                while let Ok((mut snapshot, reply)) = rx.recv() {
                    let mut replies: Vec<mpsc::Sender<()>> = reply.into_iter().collect();
                    while let Ok((newer, reply)) = rx.try_recv() {
                        snapshot = newer;
                        replies.extend(reply);
                    }
                    let result = save(&path, &snapshot);
                    if let Ok(mut slot) = err.lock() {
                        *slot = result.err().map(|e| {
                            format!("could not save the history to {}: {e}", path.display())
                        });
                    }
                    for r in replies {
                        let _ = r.send(());
                    }
                }
            });
        if let Err(e) = spawned
            && let Ok(mut slot) = last_error.lock()
        {
            *slot = Some(format!("could not start the history writer: {e}"));
        }
        Self { tx, last_error }
    }

    pub fn save(&self, snapshot: Vec<TaskEntry>) {
        let _ = self.tx.send((snapshot, None));
    }

    /// Saves and waits until it is on disk (or `timeout` passes): for the save on exit.
    pub fn save_and_wait(&self, snapshot: Vec<TaskEntry>, timeout: std::time::Duration) -> bool {
        let (reply_tx, reply_rx) = mpsc::channel();
        if self.tx.send((snapshot, Some(reply_tx))).is_err() {
            return false;
        }
        reply_rx.recv_timeout(timeout).is_ok()
    }

    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|e| e.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Outcome;
    use serde_json::json;

    fn entries(n: usize) -> Vec<TaskEntry> {
        (0..n)
            .map(|i| {
                let id = format!("{i:08x}-0000-4000-8000-000000000000");
                let mut e = TaskEntry::new(id.clone());
                match i % 4 {
                    0 => e.apply(Outcome::NotFound),
                    1 => e.apply(Outcome::Error(Arc::new(ApiError::new(ErrorKind::Network, "down")))),
                    _ => {
                        let status = if i % 4 == 2 { "running" } else { "succeeded" };
                        let v = json!({"id": id, "created_at": 1766329436.5, "x-unknown": [1, 2],
                            "request": {"model": "m", "content": [{"type": "text", "text": format!("prompt «{i}», with \"quotes\"\n")}]},
                            "response": {"success": true, "data": {"status": status}}});
                        e.apply(Outcome::Found(Arc::new(TaskRecord::from_value(v).expect("record"))));
                    }
                }
                e.note = if i % 3 == 0 { format!("note {i}") } else { String::new() };
                e
            })
            .collect()
    }

    #[test]
    fn round_trip_of_ten_thousand_tasks() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join(FILE_NAME);
        let before = entries(10_000);
        save(&path, &before).expect("save");
        let Loaded::Tasks(after) = load(&path) else {
            panic!("loaded")
        };
        assert_eq!(after.len(), before.len());
        for (a, b) in before.iter().zip(&after) {
            assert_eq!(a.id, b.id);
            assert_eq!(a.status, b.status);
            assert_eq!(a.note, b.note);
            // serde_json's default float parsing may differ in the last bit; µs are plenty.
            let (x, y) = (a.checked_at.unwrap_or(0.0), b.checked_at.unwrap_or(0.0));
            assert!((x - y).abs() < 1e-6, "{x} vs {y}");
            assert_eq!(
                a.record.as_ref().map(|r| &r.raw),
                b.record.as_ref().map(|r| &r.raw)
            );
            assert_eq!(a.reason_text(), b.reason_text());
            assert!(!b.awaiting);
        }
        assert!(
            after
                .iter()
                .any(|e| e.status == Status::Running && e.is_unfinished())
        );
    }

    #[test]
    fn failure_before_rename_keeps_the_old_file() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join(FILE_NAME);
        save(&path, &entries(3)).expect("first save");
        let old = fs::read(&path).expect("read");
        let err = save_with(&path, &entries(50), || {
            Err(io::Error::other("simulated crash"))
        });
        assert!(err.is_err());
        assert_eq!(fs::read(&path).expect("read"), old, "old file intact");
        let leftovers: Vec<_> = fs::read_dir(dir.path()).expect("dir").collect();
        assert_eq!(leftovers.len(), 1, "the temp file is cleaned up");
    }

    #[test]
    fn corrupt_file_is_moved_aside_and_reported() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join(FILE_NAME);
        fs::write(&path, b"{\"version\":1,\"tasks\":[{\"id\":\"a\"},").expect("write");
        match load(&path) {
            Loaded::MovedAside {
                reason,
                moved_to: Some(aside),
            } => {
                assert!(reason.contains("damaged"), "{reason}");
                assert!(aside.exists());
                assert!(!path.exists());
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(load(&path), Loaded::Missing));
        fs::write(&path, br#"{"version": 99, "tasks": []}"#).expect("write");
        assert!(matches!(load(&path), Loaded::MovedAside { .. }));
    }

    #[test]
    fn saver_writes_the_latest_snapshot() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("sub").join(FILE_NAME);
        let saver = Saver::start(path.clone());
        saver.save(entries(1));
        saver.save(entries(7));
        let start = std::time::Instant::now();
        while !matches!(load(&path), Loaded::Tasks(t) if t.len() == 7) {
            assert!(
                start.elapsed() < std::time::Duration::from_secs(10),
                "saved"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(saver.last_error(), None);
    }
}
