//! The journal beside the history (`history.journal`): the changes made since the main
//! file was last written whole, so a changed task costs one line instead of the whole file.
//!
//! Layout: JSON lines. The first line names the main file it extends
//! (`{"journal":1,"derivation":2,"epoch":…}`); each further line is a changed task in the
//! main file's own per-task form, or `{"removed":"<id>"}`. Replayed in order over the
//! main file, the last line about an id wins.
//!
//! Crash safety: lines are only ever appended (then fsynced), so a crash cuts at most the
//! last line short; a line that does not parse is skipped. A new journal replaces the old
//! one by rename, after the main file with a new epoch is on disk: a journal left from
//! before (a crash between the two) names the old epoch and is not replayed, so its
//! changes, already in the main file, are never applied over newer ones.

use super::format;
use crate::api::TaskRecord;
use crate::task::TaskEntry;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::Arc;

pub const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Header {
    journal: u32,
    derivation: u32,
    epoch: u64,
}

#[derive(Serialize, Deserialize)]
struct Removal<'a> {
    removed: &'a str,
}

/// The first line of a journal extending the main file of `epoch`.
pub fn header(epoch: u64) -> Vec<u8> {
    let header = Header {
        journal: VERSION,
        derivation: TaskRecord::DERIVATION,
        epoch,
    };
    let mut line = serde_json::to_vec(&header).unwrap_or_default();
    line.push(b'\n');
    line
}

/// Whether a journal starting with `first_line` may be appended to over the main file of
/// `epoch` by this build.
pub fn extends(first_line: &[u8], epoch: u64) -> bool {
    serde_json::from_slice::<Header>(first_line.trim_ascii_end()).is_ok_and(|h| {
        h.journal == VERSION && h.derivation == TaskRecord::DERIVATION && h.epoch == epoch
    })
}

/// One change to the history.
#[derive(Debug, Clone)]
pub enum Change {
    Upsert(Arc<TaskEntry>),
    Removed(String),
}

impl Change {
    pub fn id(&self) -> &str {
        match self {
            Self::Upsert(e) => &e.id,
            Self::Removed(id) => id,
        }
    }
}

/// Appends the lines of `changes` to `out`.
pub fn encode(changes: &[Change], out: &mut Vec<u8>) -> io::Result<()> {
    for change in changes {
        match change {
            Change::Upsert(entry) => format::write_task(&mut *out, entry)?,
            Change::Removed(id) => serde_json::to_writer(&mut *out, &Removal { removed: id })
                .map_err(io::Error::other)?,
        }
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// What a journal holds for the main file of a given epoch.
#[derive(Debug)]
pub enum Read {
    /// No journal, or one of another epoch (already in the main file) or whose first line
    /// is not a header: nothing to replay.
    Nothing,
    /// Written by a newer version of the app: the history must be left alone.
    Newer(u32),
    /// The changes in order, and how many lines were skipped (cut short by a crash).
    Changes { changes: Vec<Line>, skipped: usize },
}

/// One replayed line.
#[derive(Debug)]
pub enum Line {
    Upsert(TaskEntry),
    Removed(String),
}

pub fn read(bytes: &[u8], main_epoch: Option<u64>) -> Read {
    let Some(main_epoch) = main_epoch else {
        return Read::Nothing;
    };
    let header_end = memchr::memchr(b'\n', bytes).unwrap_or(bytes.len());
    let Ok(header) = serde_json::from_slice::<Header>(bytes[..header_end].trim_ascii_end()) else {
        return Read::Nothing;
    };
    if header.journal > VERSION {
        return Read::Newer(header.journal);
    }
    if header.epoch != main_epoch {
        return Read::Nothing;
    }
    let fields_current = header.derivation == TaskRecord::DERIVATION;
    let body = bytes.get(header_end + 1..).unwrap_or_default();
    let lines: Vec<&[u8]> = body
        .split(|&b| b == b'\n')
        .map(<[u8]>::trim_ascii)
        .filter(|l| !l.is_empty())
        .collect();
    // A long journal (just before it is compacted) is parsed on every core, like the file.
    let parsed: Vec<Option<Line>> = lines
        .into_par_iter()
        .map(|line| {
            if let Some(entry) = format::read_task(line, fields_current) {
                return Some(Line::Upsert(entry));
            }
            let removal: Removal = serde_json::from_slice(line).ok()?;
            Some(Line::Removed(removal.removed.to_owned()))
        })
        .collect();
    let skipped = parsed.iter().filter(|p| p.is_none()).count();
    Read::Changes {
        changes: parsed.into_iter().flatten().collect(),
        skipped,
    }
}

/// The main file's tasks with the journal's changes applied: a changed task keeps its
/// place, a new one comes last, as in the window's book.
pub fn replay(tasks: Vec<TaskEntry>, changes: Vec<Line>) -> Vec<TaskEntry> {
    if changes.is_empty() {
        return tasks;
    }
    let mut slots: Vec<Option<TaskEntry>> = tasks.into_iter().map(Some).collect();
    let mut index: HashMap<String, usize> = slots
        .iter()
        .enumerate()
        .filter_map(|(i, t)| Some((t.as_ref()?.id.clone(), i)))
        .collect();
    for change in changes {
        match change {
            Line::Upsert(entry) => match index.get(&entry.id) {
                Some(&i) => slots[i] = Some(entry),
                None => {
                    index.insert(entry.id.clone(), slots.len());
                    slots.push(Some(entry));
                }
            },
            Line::Removed(id) => {
                if let Some(i) = index.remove(&id) {
                    slots[i] = None;
                }
            }
        }
    }
    slots.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::entries;

    fn journal(epoch: u64, changes: &[Change]) -> Vec<u8> {
        let mut out = header(epoch);
        encode(changes, &mut out).expect("encode");
        out
    }

    fn ids(tasks: &[TaskEntry]) -> Vec<&str> {
        tasks.iter().map(|t| t.id.as_str()).collect()
    }

    fn replayed(main: Vec<TaskEntry>, bytes: &[u8], epoch: u64) -> (Vec<TaskEntry>, usize) {
        match read(bytes, Some(epoch)) {
            Read::Changes { changes, skipped } => (replay(main, changes), skipped),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn upserts_and_removals_replay_in_order() {
        let all = entries(4);
        let mut changed = all[1].clone();
        changed.note = "changed".into();
        let mut extra = TaskEntry::new("new");
        extra.note = "new one".into();
        let bytes = journal(
            5,
            &[
                Change::Upsert(Arc::new(all[1].clone())),
                Change::Upsert(Arc::new(changed)),
                Change::Removed(all[2].id.clone()),
                Change::Upsert(Arc::new(extra)),
                Change::Removed("never-there".into()),
            ],
        );
        let (back, skipped) = replayed(all.clone(), &bytes, 5);
        assert_eq!(skipped, 0);
        assert_eq!(ids(&back), [&all[0].id, &all[1].id, &all[3].id, "new"]);
        assert_eq!(back[1].note, "changed", "the last line about an id wins");
        assert_eq!(back[1].record, all[1].record, "records come back whole");
        assert_eq!(back[3].note, "new one");
    }

    #[test]
    fn a_line_cut_short_is_skipped() {
        let all = entries(3);
        let mut changed = all[0].clone();
        changed.note = "kept".into();
        let mut bytes = journal(5, &[Change::Upsert(Arc::new(changed.clone()))]);
        let whole = bytes.len();
        changed.note = "lost in the crash".into();
        encode(&[Change::Upsert(Arc::new(changed))], &mut bytes).expect("encode");
        for cut in [whole + 1, whole + 40, bytes.len() - 2] {
            let (back, skipped) = replayed(all.clone(), &bytes[..cut], 5);
            assert_eq!(skipped, 1, "cut at {cut}");
            assert_eq!(back[0].note, "kept");
            assert_eq!(back.len(), 3);
        }
        // Appended after a torn line (the next session's writer starts a new line first).
        let mut torn = bytes[..whole + 40].to_vec();
        torn.push(b'\n');
        encode(&[Change::Removed(all[2].id.clone())], &mut torn).expect("encode");
        let (back, skipped) = replayed(all.clone(), &torn, 5);
        assert_eq!((back.len(), skipped), (2, 1));
    }

    #[test]
    fn a_journal_of_another_epoch_is_not_replayed() {
        let bytes = journal(4, &[Change::Removed("a".into())]);
        assert!(matches!(read(&bytes, Some(5)), Read::Nothing));
        assert!(matches!(read(&bytes, None), Read::Nothing));
        assert!(matches!(read(b"", Some(4)), Read::Nothing));
        assert!(matches!(read(b"{\"jour", Some(4)), Read::Nothing));
        assert!(extends(&header(4), 4) && !extends(&header(4), 5));
        let newer = b"{\"journal\":9,\"derivation\":2,\"epoch\":4}\n";
        assert!(matches!(read(newer, Some(4)), Read::Newer(9)));
    }
}
