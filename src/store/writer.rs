//! What the history's writer thread does with what it is handed: changed tasks go to the
//! journal, a whole snapshot becomes the main file (and an empty journal). Synchronous,
//! so the bench measures exactly what the thread writes.

use super::journal::{self, Change};
use super::{format, journal_path, next_epoch, reset_journal, write_main};
use crate::task::TaskEntry;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The journal is compacted once it holds more than this share of the main file (and at
/// least [`COMPACT_MIN_BYTES`]): large enough that a few tasks changing every second cost
/// a whole write only every quarter of an hour or so at 100 000 tasks, small enough that
/// replaying it adds little to a start (BENCHMARKS.md).
const COMPACT_FRACTION: u64 = 8;
const COMPACT_MIN_BYTES: u64 = 4 << 20;

/// The first line of a file, at most this long (a header is a few dozen bytes).
const HEADER_MAX: u64 = 4096;

pub struct HistoryWriter {
    path: PathBuf,
    /// Whether the files on disk have been looked at yet (lazily: the window reads the
    /// history first, and nothing is written before).
    looked: bool,
    /// The epoch of the main file on disk when it is one this build may append a journal
    /// to; `None`: none yet, or written by another layout or derivation.
    epoch: Option<u64>,
    /// The journal on disk belongs to `epoch` and may be appended to.
    journal_ready: bool,
    journal_len: u64,
    main_len: u64,
    /// The main file's size and time as last seen, to notice it replaced or deleted from
    /// outside (a journal over a file that is gone would be lost).
    main_stamp: Option<(u64, std::time::SystemTime)>,
    /// Handed over and not yet on disk.
    pending_full: Option<Vec<Arc<TaskEntry>>>,
    pending: Vec<Change>,
    /// A whole snapshot is wanted: there is no main file to append to, or the journal
    /// has grown past the compaction threshold.
    wants_full: bool,
    bytes_written: u64,
}

impl HistoryWriter {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            looked: false,
            epoch: None,
            journal_ready: false,
            journal_len: 0,
            main_len: 0,
            main_stamp: None,
            pending_full: None,
            pending: Vec::new(),
            wants_full: false,
            bytes_written: 0,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every task as it is now: replaces anything handed over before and not yet written.
    pub fn push_full(&mut self, snapshot: Vec<Arc<TaskEntry>>) {
        self.pending_full = Some(snapshot);
        self.pending.clear();
    }

    /// Changes since the last hand-over, written after anything handed over before.
    pub fn push_changes(&mut self, changes: Vec<Change>) {
        self.pending.extend(changes);
    }

    /// Whether everything handed over is on disk.
    pub fn is_idle(&self) -> bool {
        self.pending_full.is_none() && self.pending.is_empty()
    }

    /// A whole snapshot would help: changes cannot be appended (no main file this build
    /// can extend) or the journal is due for compaction.
    pub fn wants_full(&self) -> bool {
        self.wants_full
    }

    /// Bytes written to disk so far (both files, temp files included).
    pub fn bytes_written(&self) -> u64 {
        self.bytes_written
    }

    /// Writes what was handed over. Anything not written stays pending for the next call
    /// (a failed write is retried, never dropped).
    pub fn write(&mut self) -> io::Result<()> {
        // Nothing handed over writes nothing (a read-only window's writer waits idle).
        if self.is_idle() {
            return Ok(());
        }
        if !self.looked {
            self.look();
            self.looked = true;
        }
        if let Some(full) = self.pending_full.take() {
            let epoch = next_epoch(self.epoch);
            match write_main(&self.path, &full, epoch, || Ok(())) {
                Ok(len) => {
                    self.bytes_written += len;
                    self.main_len = len;
                    self.epoch = Some(epoch);
                    self.main_stamp = stamp(&self.path);
                    self.journal_ready = false;
                    self.wants_full = false;
                }
                Err(e) => {
                    self.pending_full = Some(full);
                    return Err(e);
                }
            }
        }
        if !self.pending.is_empty() && stamp(&self.path) != self.main_stamp {
            self.look();
        }
        let Some(epoch) = self.epoch else {
            if !self.pending.is_empty() {
                self.wants_full = true;
            }
            return Ok(());
        };
        if !self.journal_ready {
            let len = reset_journal(&self.path, epoch)?;
            self.bytes_written += len;
            self.journal_len = len;
            self.journal_ready = true;
        }
        if self.pending.is_empty() {
            return Ok(());
        }
        if !journal_path(&self.path).exists() {
            // Deleted from outside: the lines it held are in no file now. Everything
            // goes whole instead (the pending changes stay until it does).
            self.epoch = None;
            self.journal_ready = false;
            self.wants_full = true;
            return Ok(());
        }
        let written = self.append()?;
        self.bytes_written += written;
        self.pending.clear();
        let threshold = (self.main_len / COMPACT_FRACTION).max(COMPACT_MIN_BYTES);
        if self.journal_len > threshold {
            self.wants_full = true;
        }
        Ok(())
    }

    /// Appends the pending changes and fsyncs; returns the bytes written.
    fn append(&mut self) -> io::Result<u64> {
        // Only the last line about an id matters; a retry after a failure may repeat
        // lines, which replays the same.
        let mut last: std::collections::HashMap<&str, usize> = Default::default();
        for (i, c) in self.pending.iter().enumerate() {
            last.insert(c.id(), i);
        }
        let lines: Vec<Change> = self
            .pending
            .iter()
            .enumerate()
            .filter(|(i, c)| last.get(c.id()) == Some(i))
            .map(|(_, c)| c.clone())
            .collect();
        let mut bytes = Vec::with_capacity(lines.len() * 1600 + 1);
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(journal_path(&self.path))?;
        // A line cut short by a crash or a failed write: the next line starts on its own.
        let len = file.metadata()?.len();
        if len > 0 {
            let mut byte = [0u8];
            file.seek(SeekFrom::Start(len - 1))?;
            file.read_exact(&mut byte)?;
            if byte[0] != b'\n' {
                bytes.push(b'\n');
            }
        }
        journal::encode(&lines, &mut bytes)?;
        file.write_all(&bytes)?;
        file.sync_data()?;
        self.journal_len = len + bytes.len() as u64;
        Ok(bytes.len() as u64)
    }

    /// Which main file and journal are on disk: whether changes may be appended.
    fn look(&mut self) {
        self.epoch = first_line(&self.path).and_then(|l| format::current_epoch(&l));
        self.main_len = fs::metadata(&self.path).map_or(0, |m| m.len());
        self.main_stamp = stamp(&self.path);
        let journal = journal_path(&self.path);
        self.journal_ready = self
            .epoch
            .zip(first_line(&journal))
            .is_some_and(|(epoch, line)| journal::extends(&line, epoch));
        self.journal_len = fs::metadata(&journal).map_or(0, |m| m.len());
    }
}

fn stamp(path: &Path) -> Option<(u64, std::time::SystemTime)> {
    let m = fs::metadata(path).ok()?;
    Some((m.len(), m.modified().ok()?))
}

fn first_line(path: &Path) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    File::open(path)
        .ok()?
        .take(HEADER_MAX)
        .read_to_end(&mut head)
        .ok()?;
    let end = memchr::memchr(b'\n', &head)?;
    head.truncate(end);
    Some(head)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::entries;
    use crate::store::{FILE_NAME, Loaded, load, save};

    fn shared(n: usize) -> Vec<Arc<TaskEntry>> {
        entries(n).into_iter().map(Arc::new).collect()
    }

    fn loaded(path: &Path) -> (Vec<TaskEntry>, bool) {
        match load(path) {
            Loaded::Tasks { tasks, rewrite } => (tasks, rewrite),
            other => panic!("{other:?}"),
        }
    }

    fn noted(entry: &TaskEntry, note: &str) -> Change {
        let mut e = entry.clone();
        e.note = note.into();
        Change::Upsert(Arc::new(e))
    }

    #[test]
    fn changes_are_appended_to_the_journal_only() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join(FILE_NAME);
        let all = entries(20);
        save(&path, &all).expect("save");
        let main = fs::read(&path).expect("main");
        let mut w = HistoryWriter::new(path.clone());
        w.push_changes(vec![
            noted(&all[3], "three"),
            Change::Removed(all[4].id.clone()),
        ]);
        w.write().expect("append");
        assert!(w.is_idle() && !w.wants_full());
        assert_eq!(fs::read(&path).expect("main"), main, "main file untouched");
        let journal_len = fs::metadata(journal_path(&path)).expect("journal").len();
        assert!(
            w.bytes_written() < journal_len,
            "only the new lines written"
        );
        let (back, rewrite) = loaded(&path);
        assert!(rewrite, "a journal with changes is compacted after a load");
        assert_eq!(back.len(), 19);
        assert_eq!(back[3].note, "three");
        assert!(back.iter().all(|t| t.id != all[4].id));
    }

    #[test]
    fn without_a_main_file_a_full_write_is_asked_for_and_nothing_is_lost() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join(FILE_NAME);
        let all = shared(3);
        let mut w = HistoryWriter::new(path.clone());
        w.push_changes(vec![Change::Upsert(all[0].clone())]);
        w.write().expect("nothing to append to");
        assert!(w.wants_full() && !w.is_idle(), "kept until a full write");
        assert!(matches!(load(&path), Loaded::Missing));
        w.push_full(all.clone());
        w.write().expect("full");
        assert!(w.is_idle() && !w.wants_full());
        let (back, rewrite) = loaded(&path);
        assert_eq!((back.len(), rewrite), (3, false));
    }

    #[test]
    fn compaction_writes_the_whole_file_and_an_empty_journal() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join(FILE_NAME);
        let all = entries(5);
        save(&path, &all).expect("save");
        let mut w = HistoryWriter::new(path.clone());
        w.push_changes(vec![noted(&all[0], "before")]);
        w.write().expect("append");
        let mut now: Vec<Arc<TaskEntry>> = all.iter().cloned().map(Arc::new).collect();
        Arc::make_mut(&mut now[0]).note = "compacted".into();
        w.push_full(now);
        w.push_changes(vec![noted(&all[1], "after")]);
        w.write().expect("compact");
        let journal = fs::read(journal_path(&path)).expect("journal");
        assert_eq!(
            journal.iter().filter(|&&b| b == b'\n').count(),
            2,
            "header + 1"
        );
        let (back, _) = loaded(&path);
        assert_eq!(
            (back[0].note.as_str(), back[1].note.as_str()),
            ("compacted", "after")
        );
    }

    #[test]
    fn a_crash_between_the_new_file_and_the_new_journal_replays_nothing_old() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join(FILE_NAME);
        let all = entries(4);
        save(&path, &all).expect("save");
        let mut w = HistoryWriter::new(path.clone());
        w.push_changes(vec![
            noted(&all[0], "old"),
            Change::Removed(all[1].id.clone()),
        ]);
        w.write().expect("append");
        let old_journal = fs::read(journal_path(&path)).expect("journal");
        // Compacted with a newer state, then the old journal put back: as if the process
        // died after the rename of the main file and before the journal's.
        let mut now = all.clone();
        now[0].note = "new".into();
        now.remove(1);
        save(&path, &now).expect("compact");
        fs::write(journal_path(&path), &old_journal).expect("old journal");
        let (back, rewrite) = loaded(&path);
        assert_eq!(back.len(), 3);
        assert_eq!(back[0].note, "new", "the old line is not applied");
        assert!(!rewrite);
        // And the next writer starts a journal of its own instead of appending to that one.
        let mut w = HistoryWriter::new(path.clone());
        w.push_changes(vec![noted(&now[2], "later")]);
        w.write().expect("append");
        let (back, _) = loaded(&path);
        assert_eq!(
            (back[0].note.as_str(), back[2].note.as_str()),
            ("new", "later")
        );
    }

    #[test]
    fn a_failed_append_is_retried_after_a_torn_line() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join(FILE_NAME);
        let all = entries(3);
        save(&path, &all).expect("save");
        // A torn line at the end, as a crash mid-append leaves it.
        let mut f = OpenOptions::new()
            .append(true)
            .open(journal_path(&path))
            .expect("open");
        f.write_all(b"{\"id\":\"torn").expect("torn");
        drop(f);
        let mut w = HistoryWriter::new(path.clone());
        w.push_changes(vec![noted(&all[2], "after the tear")]);
        w.write().expect("append");
        let (back, _) = loaded(&path);
        assert_eq!(back[2].note, "after the tear");
    }

    #[test]
    fn a_main_file_deleted_from_outside_gets_a_full_write_not_a_journal_line() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join(FILE_NAME);
        let all = entries(2);
        save(&path, &all).expect("save");
        let mut w = HistoryWriter::new(path.clone());
        w.push_changes(vec![noted(&all[0], "one")]);
        w.write().expect("append");
        fs::remove_file(&path).expect("gone");
        w.push_changes(vec![noted(&all[1], "two")]);
        w.write().expect("kept");
        assert!(w.wants_full() && !w.is_idle());
        // The same for a journal deleted from outside.
        save(&path, &all).expect("save");
        let mut w = HistoryWriter::new(path.clone());
        w.push_changes(vec![noted(&all[0], "one")]);
        w.write().expect("append");
        fs::remove_file(journal_path(&path)).expect("gone");
        w.push_changes(vec![noted(&all[1], "two")]);
        w.write().expect("kept");
        assert!(w.wants_full() && !w.is_idle());
        w.push_full(all.iter().cloned().map(Arc::new).collect());
        w.write().expect("full");
        assert!(w.is_idle() && journal_path(&path).exists());
    }

    #[test]
    fn an_older_main_file_gets_a_full_write_before_any_journal() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join(FILE_NAME);
        // As written before the journal existed: no epoch.
        let mut old = Vec::new();
        format::write(&mut old, &entries(2), 1).expect("write");
        let old = String::from_utf8(old)
            .expect("utf-8")
            .replacen("\"epoch\":1,", "", 1);
        fs::write(&path, old).expect("old file");
        assert!(loaded(&path).1, "loaded, it is written again");
        let mut w = HistoryWriter::new(path.clone());
        w.push_changes(vec![Change::Removed("x".into())]);
        w.write().expect("write");
        assert!(w.wants_full());
        assert!(!journal_path(&path).exists());
    }
}
