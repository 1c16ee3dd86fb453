//! What survives a restart: every task in the grid (id, last record, when it was last
//! asked, the user's note), as one JSON file in the platform's data directory, written
//! atomically (temp file, fsync, rename) by a background thread (`saver`). Never the
//! token. The file's layout is `format`'s.

mod format;
mod saver;

pub use saver::Saver;

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

/// Writes the tasks atomically: a reader (or a crash at any point) sees the old file or
/// the new one, never a half-written one.
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
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    // Unique per write: the background writer and the save on exit must never share one.
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("json.tmp-{}-{seq}", std::process::id()));
    let result = (|| {
        let file = File::create(&tmp)?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        format::write(&mut out, tasks)?;
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
    /// The tasks; `rewrite`: the file loads, but more slowly than it would in this
    /// build's layout (written by an older build), so it is worth writing again.
    Tasks {
        tasks: Vec<TaskEntry>,
        rewrite: bool,
    },
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
    match format::read(&bytes) {
        Ok((tasks, rewrite)) => Loaded::Tasks { tasks, rewrite },
        Err(ReadError::Damaged(e)) => {
            move_aside(path, format!("{} is damaged: {e}", path.display()))
        }
        Err(ReadError::Newer(version)) => move_aside(
            path,
            format!(
                "{} was written by a newer version (format {version})",
                path.display()
            ),
        ),
    }
}

/// How many tasks the file holds, without moving anything aside (for checks from outside
/// the app, such as tests watching a running instance).
pub fn load_readonly(path: &Path) -> Option<usize> {
    format::count(&fs::read(path).ok()?)
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
}
