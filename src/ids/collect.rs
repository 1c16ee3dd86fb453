//! What both strategies report into: ids once each in first-seen order, duplicates
//! counted, rejections distinct, capped and clipped.

// Task ids are random (UUID v4) and the paste is the user's own, so foldhash's fast
// folded multiply spreads them as well as SipHash would at a fraction of the cost;
// resistance to crafted collisions buys nothing here.
use foldhash::HashSet;

use super::shape::ascii_str;
use super::{Extraction, MAX_REJECTED, MAX_REJECTED_TEXT_CHARS, RejectReason, Rejected};

#[derive(Default)]
pub(super) struct Collector {
    pub(super) ids: Vec<String>,
    /// Keyed by the id's numeric value so that lookups need no lowercase copy of the text.
    seen: HashSet<u128>,
    duplicates: usize,
    pub(super) rejected: Vec<Rejected>,
    /// Object nesting depth at which each entry of `rejected` was found (JSON mode only;
    /// see `Walker::visit_map`).
    pub(super) rejected_depth: Vec<usize>,
    pub(super) rejected_seen: HashSet<String>,
    /// Every accepted occurrence, duplicates included: lets a JSON object tell whether
    /// anything below it was a task id even when that id had been seen before.
    pub(super) hits: usize,
    pub(super) depth: usize,
}

impl Collector {
    pub(super) fn add_id(&mut self, value: u128, raw: &[u8]) {
        self.hits += 1;
        if self.seen.insert(value) {
            self.ids.push(ascii_str(raw).to_ascii_lowercase());
        } else {
            self.duplicates += 1;
        }
    }

    pub(super) fn reject(&mut self, text: &str, reason: RejectReason) {
        if self.rejected.len() >= MAX_REJECTED {
            return;
        }
        let text = clip(text);
        if self.rejected_seen.contains(&text) {
            return;
        }
        self.rejected_seen.insert(text.clone());
        self.rejected.push(Rejected { text, reason });
        self.rejected_depth.push(self.depth);
    }

    pub(super) fn finish(self) -> Extraction {
        Extraction {
            ids: self.ids,
            duplicates: self.duplicates,
            rejected: self.rejected,
        }
    }
}

pub(super) fn clip(text: &str) -> String {
    let mut chars = text.char_indices();
    match chars.nth(MAX_REJECTED_TEXT_CHARS - 1) {
        // A char exists after position 79 only if the text is longer than 80 chars.
        Some((cut, _)) if chars.next().is_some() => {
            let mut s = text[..cut].to_owned();
            s.push('…');
            s
        }
        _ => text.to_owned(),
    }
}
