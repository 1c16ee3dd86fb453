//! What survives a restart: every task in the grid (id, last record, when it was last
//! asked, the user's note), in the platform's data directory. Never the token.
//!
//! Two files: `history.json` holds every task (layout: `format`), written whole and
//! atomically (temp file, fsync, rename); `history.journal` beside it holds the changes
//! made since, one line per changed task (`journal`), so a change costs its own size and
//! not the whole file's. A background thread (`saver`, `writer`) appends to the journal
//! and writes the whole file again once the journal has grown large (a compaction).
//! When the window hands its book to that thread is `policy` (`SavePolicy`).

mod format;
mod journal;
mod policy;
mod saver;
mod writer;

pub use journal::Change;
pub use policy::{BookState, Next, Plan, SavePolicy};
pub use saver::{Saver, Written};
pub use writer::HistoryWriter;

use crate::task::TaskEntry;
use format::ReadError;
use std::borrow::Borrow;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = "history.json";
/// Overrides the data directory (tests, portable installs).
pub const ENV_DATA_DIR: &str = "SEEDANCE_DATA_DIR";

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

/// The journal of the history at `path` (`history.journal` beside `history.json`).
pub fn journal_path(path: &Path) -> PathBuf {
    path.with_extension("journal")
}

/// A new epoch for the main file: never one an earlier file (or a journal left beside
/// it) could have had, also after the file was moved aside and the count lost.
fn next_epoch(previous: Option<u64>) -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    now.max(previous.map_or(1, |p| p.saturating_add(1)))
}

/// Writes every task (a compaction): the main file atomically with a new epoch, then an
/// empty journal for it. A reader (or a crash at any point) sees the old file or the new
/// one, never a half-written one, and never the old journal over the new file.
pub fn save<T: Borrow<TaskEntry>>(path: &Path, tasks: &[T]) -> io::Result<()> {
    save_with(path, tasks, || Ok(()))
}

/// `save`, with a hook between the fsync of the temp file and the rename, so tests can
/// fail (or crash) exactly there.
pub fn save_with<T: Borrow<TaskEntry>>(
    path: &Path,
    tasks: &[T],
    before_rename: impl FnOnce() -> io::Result<()>,
) -> io::Result<()> {
    let epoch = next_epoch(None);
    write_main(path, tasks, epoch, before_rename)?;
    reset_journal(path, epoch)?;
    Ok(())
}

/// Writes `bytes` to `to` atomically (temp file, fsync, rename, fsync of the folder);
/// returns how many bytes were written.
fn write_atomically(
    to: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
    before_rename: impl FnOnce() -> io::Result<()>,
) -> io::Result<u64> {
    let dir = to.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    // Unique per write: the background writer and the save on exit must never share one.
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut name = to.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp-{}-{seq}", std::process::id()));
    let tmp = to.with_file_name(name);
    let result = (|| {
        let file = File::create(&tmp)?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        write(&mut out)?;
        out.flush()?;
        out.get_ref().sync_all()?;
        let len = out.get_ref().metadata()?.len();
        drop(out);
        before_rename()?;
        fs::rename(&tmp, to)?;
        // The rename itself must reach the disk too, or a power cut could undo it.
        #[cfg(unix)]
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(len)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// The main file alone, naming `epoch`; returns its size.
fn write_main<T: Borrow<TaskEntry>>(
    path: &Path,
    tasks: &[T],
    epoch: u64,
    before_rename: impl FnOnce() -> io::Result<()>,
) -> io::Result<u64> {
    write_atomically(path, |out| format::write(out, tasks, epoch), before_rename)
}

/// An empty journal for the main file of `epoch`, in place of the old one; returns its
/// size. Only after that file is on disk: until then the old journal still belongs to the
/// old file, and after it, the old journal names an epoch no file has.
fn reset_journal(path: &Path, epoch: u64) -> io::Result<u64> {
    write_atomically(
        &journal_path(path),
        |out| out.write_all(&journal::header(epoch)),
        || Ok(()),
    )
}

#[derive(Debug)]
pub enum Loaded {
    /// No history yet (first start).
    Missing,
    /// The tasks; `rewrite`: worth writing whole again: the file loads more slowly than
    /// it would in this build's layout (written by an older build), it has no epoch so no
    /// journal can extend it, or its journal held changes (compacted at the next write).
    Tasks {
        tasks: Vec<TaskEntry>,
        rewrite: bool,
    },
    /// The file is damaged (not JSON, not a history); it was moved aside (not deleted) so
    /// the user can recover it, and the app starts empty.
    MovedAside { reason: String, moved_to: PathBuf },
    /// The file is there but could not be used as it is: written by a newer version, or
    /// not readable (permissions, an I/O error, a lock on Windows), or damaged but could
    /// not be moved aside. It is left alone, and nothing may be written over it.
    Unreadable { reason: String },
}

/// The tasks, and whether they are worth writing whole again (see [`Loaded::Tasks`]).
type Read = Option<(Vec<TaskEntry>, bool)>;

/// Reads the main file and replays its journal. Moves nothing. `None`: no file yet.
fn read(path: &Path) -> Result<Read, (ReadError, String)> {
    // One read, then `from_slice`: several times faster than `from_reader`, which goes
    // through `io::Read` byte by byte (measured: 100 000 tasks, 107 MB).
    let unreadable = |e: io::Error, path: &Path| {
        let reason = format!("cannot read {}: {e}", path.display());
        (ReadError::Io, reason)
    };
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(unreadable(e, path)),
    };
    let parsed = format::read(&bytes).map_err(|e| {
        let reason = match &e {
            ReadError::Damaged(e) => format!("{} is damaged: {e}", path.display()),
            ReadError::Newer(version) => format!(
                "{} was written by a newer version of the app (format {version})",
                path.display()
            ),
            ReadError::Io => String::new(),
        };
        (e, reason)
    })?;
    drop(bytes);
    let journal = journal_path(path);
    let journal_bytes = match fs::read(&journal) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
        // Not replayed, the journal would be lost by the next compaction: leave both.
        Err(e) => return Err(unreadable(e, &journal)),
    };
    // No epoch (a file from before the journal): written again, so changes can be appended.
    let rewrite = parsed.rewrite || parsed.epoch.is_none();
    match journal::read(&journal_bytes, parsed.epoch) {
        journal::Read::Nothing => Ok(Some((parsed.tasks, rewrite))),
        journal::Read::Newer(version) => Err((
            ReadError::Newer(version),
            format!(
                "{} was written by a newer version of the app (format {version})",
                journal.display()
            ),
        )),
        // Compacted at the next write: the next start reads one file again.
        journal::Read::Changes { changes, skipped } => {
            let compact = rewrite || !changes.is_empty() || skipped > 0;
            Ok(Some((journal::replay(parsed.tasks, changes), compact)))
        }
    }
}

pub fn load(path: &Path) -> Loaded {
    match read(path) {
        Ok(None) => Loaded::Missing,
        Ok(Some((tasks, rewrite))) => Loaded::Tasks { tasks, rewrite },
        Err((ReadError::Damaged(_), reason)) => move_aside(path, reason),
        Err((ReadError::Newer(_) | ReadError::Io, reason)) => Loaded::Unreadable { reason },
    }
}

/// How many tasks the history holds, journal included, without moving anything aside
/// (for checks from outside the app, such as tests watching a running instance).
pub fn load_readonly(path: &Path) -> Option<usize> {
    Some(read(path).ok()??.0.len())
}

fn move_aside(path: &Path, reason: String) -> Loaded {
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let aside = path.with_file_name(format!("history.unreadable-{stamp}.json"));
    match fs::rename(path, &aside) {
        Ok(()) => {
            // Its journal goes with it (it means nothing without it); a journal that stays
            // names an epoch no new file will have, so it is harmless either way.
            let journal = journal_path(path);
            if journal.exists() {
                let _ = fs::rename(
                    &journal,
                    path.with_file_name(format!("history.unreadable-{stamp}.journal")),
                );
            }
            Loaded::MovedAside {
                reason,
                moved_to: aside,
            }
        }
        Err(e) => Loaded::Unreadable {
            reason: format!("{reason}; it could not be moved aside either ({e})"),
        },
    }
}

/// The history's lock: one window writes the history at a time. Held (an OS file lock
/// on `history.lock` beside it) for as long as the value lives; the OS drops it when the
/// process ends, also on a crash.
#[derive(Debug)]
pub struct HistoryLock {
    _file: File,
}

/// Takes the history's lock without waiting. `Ok(None)`: another instance holds it.
pub fn lock(path: &Path) -> io::Result<Option<HistoryLock>> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path.with_extension("lock"))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(HistoryLock { _file: file })),
        Err(fs::TryLockError::WouldBlock) => Ok(None),
        Err(fs::TryLockError::Error(e)) => Err(e),
    }
}

/// What the window gets at start: the history, and whether it may write it.
#[derive(Debug)]
pub struct Opened {
    pub loaded: Loaded,
    /// `Some`: the lock is held by this process. `None` with `busy`: another window.
    pub lock: Option<HistoryLock>,
    pub busy: bool,
}

/// Locks, then loads. A file another instance holds is read but never moved aside.
pub fn open(path: &Path) -> Opened {
    match lock(path) {
        Ok(Some(lock)) => Opened {
            loaded: load(path),
            lock: Some(lock),
            busy: false,
        },
        Ok(None) => Opened {
            loaded: match read(path) {
                Ok(Some((tasks, _))) => Loaded::Tasks {
                    tasks,
                    rewrite: false,
                },
                Ok(None) | Err(_) => Loaded::Missing,
            },
            lock: None,
            busy: true,
        },
        // No lock to be had (a read-only folder, a file system without locks): load as
        // before; the writes will say what is wrong.
        Err(_) => Opened {
            loaded: load(path),
            lock: None,
            busy: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{ApiError, ErrorKind, Status, TaskRecord};
    use crate::engine::Outcome;
    use serde_json::json;
    use std::sync::Arc;

    pub(super) fn entries(n: usize) -> Vec<TaskEntry> {
        (0..n)
            .map(|i| {
                let id = format!("{i:08x}-0000-4000-8000-000000000000");
                let mut e = TaskEntry::new(id.clone());
                match i % 4 {
                    0 => e.apply(Outcome::NotFound),
                    1 => e.apply(Outcome::Error(Arc::new(ApiError::new(ErrorKind::Network, "down")))),
                    _ => {
                        let status = if i % 4 == 2 { "running" } else { "succeeded" };
                        // A minute old: a running task created days ago would be stale.
                        let created_at = (crate::task::unix_now() - 60.0).round();
                        let v = json!({"id": id, "created_at": created_at, "x-unknown": [1, 2],
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
        let Loaded::Tasks {
            tasks: after,
            rewrite: false,
        } = load(&path)
        else {
            panic!("loaded")
        };
        assert_eq!(after.len(), before.len());
        for (a, b) in before.iter().zip(&after) {
            assert_eq!(a.id, b.id);
            assert_eq!(a.status, b.status);
            assert_eq!(a.note, b.note);
            assert_eq!(a.checked_at, b.checked_at);
            // Every derived field and the raw text, read back from the stored fields.
            assert_eq!(a.record, b.record);
            assert_eq!(
                a.record.as_ref().map(|r| r.raw()),
                b.record.as_ref().map(|r| r.raw())
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

    /// A history with one task whose stored fields say model "stale" while its raw record
    /// says "fresh": which one a load shows tells whether the fields were trusted.
    /// Both layouts: one line (the whole-document parse) and one task per line (the fast
    /// path); both must agree.
    fn load_one(derivation: Option<u32>, fields_id: &str) -> Option<String> {
        let task = json!({
            "id": "a", "status": "succeeded",
            "record": {"id": "a", "request": {"model": "fresh"},
                "response": {"success": true, "data": {"status": "succeeded"}}},
            "fields": {"id": fields_id, "status": "succeeded", "model": "stale"}
        });
        let header = match derivation {
            Some(d) => format!(
                "{{\"version\":{},\"derivation\":{d},\"tasks\":[",
                format::VERSION
            ),
            None => format!("{{\"version\":{},\"tasks\":[", format::VERSION),
        };
        let models: Vec<Option<String>> = [
            format!("{header}{task}]}}"),
            format!("{header}\n{task}\n]}}\n"),
        ]
        .into_iter()
        .map(|text| {
            let dir = tempfile::tempdir().expect("tmp");
            let path = dir.path().join(FILE_NAME);
            fs::write(&path, text).expect("write");
            let Loaded::Tasks { tasks, .. } = load(&path) else {
                panic!("loaded")
            };
            assert_eq!(tasks.len(), 1);
            assert_eq!(tasks[0].status, Status::Succeeded);
            tasks[0].record.as_ref().and_then(|r| r.model.clone())
        })
        .collect();
        assert_eq!(models[0], models[1], "both layouts read alike");
        models[0].clone()
    }

    #[test]
    fn stored_fields_are_used_only_when_derived_the_same_way() {
        let current = Some(TaskRecord::DERIVATION);
        assert_eq!(load_one(current, "a").as_deref(), Some("stale"));
        // Written by a build that read records differently, or before fields were stored.
        assert_eq!(
            load_one(Some(TaskRecord::DERIVATION + 1), "a").as_deref(),
            Some("fresh")
        );
        assert_eq!(load_one(None, "a").as_deref(), Some("fresh"));
        // Fields that belong to another task are not trusted.
        assert_eq!(load_one(current, "b").as_deref(), Some("fresh"));
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
        let journal = fs::read(journal_path(&path)).expect("journal");
        let leftovers: Vec<_> = fs::read_dir(dir.path()).expect("dir").collect();
        assert_eq!(
            leftovers.len(),
            2,
            "the file and its journal; the temp file is cleaned up"
        );
        assert!(matches!(load(&path), Loaded::Tasks { tasks, .. } if tasks.len() == 3));
        assert_eq!(fs::read(journal_path(&path)).expect("journal"), journal);
    }

    #[test]
    fn corrupt_file_is_moved_aside_and_reported() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join(FILE_NAME);
        fs::write(&path, b"{\"version\":1,\"tasks\":[{\"id\":\"a\"},").expect("write");
        match load(&path) {
            Loaded::MovedAside { reason, moved_to } => {
                assert!(reason.contains("damaged"), "{reason}");
                assert!(moved_to.exists());
                assert!(!path.exists());
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(load(&path), Loaded::Missing));
    }

    #[test]
    fn a_file_from_a_newer_version_is_left_alone() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join(FILE_NAME);
        let newer = br#"{"version": 99, "tasks": []}"#;
        fs::write(&path, newer).expect("write");
        match load(&path) {
            Loaded::Unreadable { reason } => assert!(reason.contains("newer"), "{reason}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(fs::read(&path).expect("still there"), newer);
    }

    #[test]
    fn a_file_that_cannot_be_read_is_left_alone() {
        let dir = tempfile::tempdir().expect("tmp");
        // A directory where the file should be: reading it fails with an I/O error, as a
        // permission problem or a Windows lock would.
        let path = dir.path().join(FILE_NAME);
        fs::create_dir(&path).expect("dir");
        assert!(matches!(load(&path), Loaded::Unreadable { .. }));
        assert!(path.is_dir(), "not moved aside");
    }

    #[test]
    fn a_second_instance_reads_but_does_not_get_the_lock() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join(FILE_NAME);
        save(&path, &entries(3)).expect("save");
        let first = open(&path);
        assert!(first.lock.is_some() && !first.busy);
        let second = open(&path);
        assert!(second.lock.is_none() && second.busy);
        assert!(matches!(second.loaded, Loaded::Tasks { ref tasks, .. } if tasks.len() == 3));
        drop(first);
        let third = open(&path);
        assert!(third.lock.is_some(), "the lock goes with its holder");
    }
}
