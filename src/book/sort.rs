//! Sorting 100 000 rows within a frame: one compact key per row (prefix integers, no
//! pointer chasing per comparison), the insertion index as the last tie-breaker.

use super::{Column, Sort, TaskBook};
use crate::task::{TaskEntry, unix_now};
use std::borrow::Cow;
use std::sync::Arc;

/// A row's text for sorting; borrowed where the entry holds it, owned where it is built.
type TextKey = fn(&TaskEntry) -> Option<Cow<'_, str>>;

/// The first eight bytes, big-endian: orders like the string itself, as one integer.
fn prefix_key(s: &str) -> u64 {
    (prefix_key16(s) >> 64) as u64
}

/// The first sixteen bytes, the same way. Sixteen, not eight for text columns: prompts and ids often share
/// their first eight ("Shot 12…", "cgt-2025…"), and every tie costs a comparison of the
/// full strings, far apart in memory (measured: sorting 100 000 prompts "Shot {i}: …"
/// took 56 ms on eight bytes, see BENCHMARKS.md for sixteen).
fn prefix_key16(s: &str) -> u128 {
    let mut buf = [0u8; 16];
    for (b, c) in buf.iter_mut().zip(s.bytes()) {
        *b = c;
    }
    u128::from_be_bytes(buf)
}

/// An f64 as a u64 in the same order (IEEE total order); `None` sorts last either way.
fn numeric_key(value: Option<f64>, asc: bool) -> u64 {
    match value {
        None => u64::MAX,
        Some(v) => {
            let bits = v.to_bits();
            let ordered = if bits >> 63 == 1 {
                !bits
            } else {
                bits | (1 << 63)
            };
            // Descending flips the key; u64::MAX stays reserved for "missing".
            if asc {
                ordered.min(u64::MAX - 1)
            } else {
                (!ordered).min(u64::MAX - 1)
            }
        }
    }
}

fn sort_numeric(
    entries: &[Arc<TaskEntry>],
    asc: bool,
    key: impl Fn(&TaskEntry) -> Option<f64>,
) -> Vec<usize> {
    let mut keys: Vec<(u64, u32)> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (numeric_key(key(e), asc), i as u32))
        .collect();
    keys.sort_unstable();
    keys.into_iter().map(|(_, i)| i as usize).collect()
}

fn sort_text(entries: &[Arc<TaskEntry>], asc: bool, key: TextKey) -> Vec<usize> {
    // (missing, prefix, full text, index): the prefix settles most comparisons without
    // touching the strings.
    let mut keys: Vec<(bool, u128, Cow<'_, str>, u32)> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| match key(e) {
            Some(t) => (false, prefix_key16(&t), t, i as u32),
            None => (true, 0, Cow::Borrowed(""), i as u32),
        })
        .collect();
    keys.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| {
                let o = a.1.cmp(&b.1).then_with(|| a.2.cmp(&b.2));
                if asc { o } else { o.reverse() }
            })
            .then(a.3.cmp(&b.3))
    });
    keys.into_iter().map(|(_, _, _, i)| i as usize).collect()
}

/// By failure code, then message, borrowed from the entries (building each row's
/// "code: message" text made this the slowest column to sort).
fn sort_reason(entries: &[Arc<TaskEntry>], asc: bool) -> Vec<usize> {
    let mut keys: Vec<(Option<(&str, &str)>, u32)> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let key = match e.reason() {
                (None, None) => None,
                (code, message) => Some((code.unwrap_or(""), message.unwrap_or(""))),
            };
            (key, i as u32)
        })
        .collect();
    keys.sort_unstable_by(|a, b| {
        let o = match (&a.0, &b.0) {
            (Some(x), Some(y)) => {
                let o = x.cmp(y);
                if asc { o } else { o.reverse() }
            }
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        };
        o.then(a.1.cmp(&b.1))
    });
    keys.into_iter().map(|(_, i)| i as usize).collect()
}

impl TaskBook {
    /// Sorts by extracting one compact key per row first and sorting those (contiguous,
    /// no pointer chasing per comparison); ties fall back to the insertion index, which
    /// makes the unstable sort stable. 100 000 rows: see BENCHMARKS.md.
    pub(super) fn recompute_sorted(&mut self) {
        let entries = &self.entries;
        let Sort {
            column,
            ascending: asc,
        } = self.sort;
        let now = unix_now();
        let record = |e: &TaskEntry| e.record.clone();
        self.sorted = match column {
            Column::Status => sort_numeric(entries, asc, |e| {
                // Rank first; unknown words ("Other") then by their first bytes.
                let word = prefix_key(e.status.as_str()) >> 8;
                Some(((u64::from(e.status.rank()) << 56) | word) as f64)
            }),
            Column::Created => sort_numeric(entries, asc, |e| record(e)?.created_at),
            Column::Elapsed => sort_numeric(entries, asc, |e| e.elapsed(now)),
            Column::Id => sort_text(entries, asc, |e| Some(Cow::Borrowed(e.id.as_str()))),
            Column::Model => sort_text(entries, asc, |e| {
                e.record.as_deref()?.model.as_deref().map(Cow::Borrowed)
            }),
            Column::Prompt => sort_text(entries, asc, |e| {
                e.record.as_deref()?.prompt.as_deref().map(Cow::Borrowed)
            }),
            Column::TraceId => sort_text(entries, asc, |e| e.trace_id().map(Cow::Borrowed)),
            Column::Video => sort_text(entries, asc, |e| {
                e.record.as_deref()?.video_url.as_deref().map(Cow::Borrowed)
            }),
            Column::LastFrame => sort_text(entries, asc, |e| {
                e.record
                    .as_deref()?
                    .last_frame_url
                    .as_deref()
                    .map(Cow::Borrowed)
            }),
            Column::Reason => sort_reason(entries, asc),
        };
        self.sorted_dirty = false;
    }
}
