//! Pulling SeeDance task ids out of whatever the user pastes.
//!
//! A task id is a UUID (`8-4-4-4-12` hex digits). People paste them one per line, separated
//! by commas or tabs, as a JSON array, as the whole JSON response of the generation call, or
//! as a chunk of console output. [`extract`] accepts all of these and returns the ids
//! lowercased, de-duplicated in first-seen order, plus the things that look like a failed
//! attempt at an id (so the UI can explain them) — ordinary words are ignored silently,
//! otherwise a paste of console output would drown the user in noise.
//!
//! Two strategies:
//!
//! * **JSON** — tried only when the trimmed text starts with `{` or `[`. The generation
//!   response carries a `trace_id` that is also a UUID, and the tasks API's records carry
//!   `user_id`, `api_id`, … UUIDs; none of these are task ids, so instead of scanning for
//!   anything UUID-shaped we read only the values of the `task_id`/`id`/`ids`/`task_ids`
//!   keys (any case, `taskId` and `task-id` too) and plain strings inside arrays, and never
//!   descend into `trace_id`, `_id`, `user_id`, `api_id`, `application_id`,
//!   `credential_id` or `request_id`. The document is walked with a streaming serde visitor
//!   rather than through `serde_json::Value`, so ids come out in document order whatever
//!   serde_json's map features are, and no tree is built for a 10 MB paste. If the text is
//!   not valid JSON (console output that merely starts with a bracket), or is valid JSON in
//!   which nothing was found (say `{"msg": "<uuid> done"}`), we fall back to token scanning.
//! * **Token scanning** — tokens are runs of ASCII letters, digits and `-`; each is looked
//!   at from its start and from after each of its dashes, so `task-<uuid>` and
//!   `seedance-<uuid>-final.mp4` yield the id. A UUID directly after one of the keys above
//!   (`trace_id: <uuid>`, `X-Trace-Id: <uuid>`, `"trace_id":"<uuid>"`) is skipped: that is
//!   the JSON rule carried over to console text. Nothing is allocated for a token unless it
//!   becomes an id or a rejection.
//!
//! | file | its one job |
//! |---|---|
//! | `scan.rs` | token scanning |
//! | `json.rs` | the JSON walker |
//! | `keys.rs` | which keys name task ids and which name other UUIDs |
//! | `shape.rs` | byte-level recognisers: a whole id (`uuid`'s parser), a cut-short one, an upstream id |
//! | `collect.rs` | what both report into: dedup (`foldhash`), caps, clipping |

mod collect;
mod json;
mod keys;
mod scan;
mod shape;

use std::fmt;

use collect::Collector;
use json::extract_json;
use scan::scan_tokens;
use shape::parse_uuid;

/// A huge paste of garbage must not turn into a huge list of rejections: the UI can only
/// show a handful anyway, so keep the first thousand distinct ones and drop the rest.
pub const MAX_REJECTED: usize = 1000;

/// Rejected texts are shown to the user verbatim; a 1 MB "token" must not become a 1 MB
/// label. Longer texts are cut to this many characters, the last one being `…`.
pub const MAX_REJECTED_TEXT_CHARS: usize = 80;

/// What [`extract`] found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Extraction {
    /// Valid task ids, lowercase, each once, in the order they first appeared.
    pub ids: Vec<String>,
    /// How many further occurrences of an id already in `ids` were dropped. A tasks-API
    /// record names its id twice (`id` and `response.task_id`), which counts here too.
    pub duplicates: usize,
    /// Things that look like an attempt at an id but are not one; distinct texts only, at
    /// most [`MAX_REJECTED`] of them, each at most [`MAX_REJECTED_TEXT_CHARS`] characters.
    pub rejected: Vec<Rejected>,
}

/// One piece of the paste that was not accepted as a task id, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub text: String,
    pub reason: RejectReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectReason {
    /// `cgt-20250612143000-abcde`: the id the upstream model provider gives the job. The
    /// tasks API only knows AceDataCloud's own `task_id`.
    UpstreamId,
    /// Starts like a UUID but is cut short, or has more characters glued on.
    TruncatedUuid,
    /// Has the `8-4-4-4-12` shape but a character outside `0-9a-f` (a typo or an OCR slip).
    NotHex,
    /// The value of a `task_id`-like JSON key that is not a task id at all.
    NotAnId,
}

impl RejectReason {
    pub fn describe(&self) -> &'static str {
        match self {
            Self::UpstreamId => {
                "an upstream `cgt-…` id, not a task id: paste the `task_id` instead"
            }
            Self::TruncatedUuid => {
                "looks like a task id but is cut short or has extra characters: \
                 a task id has exactly 36 characters"
            }
            Self::NotHex => "shaped like a task id but contains characters other than 0-9 and a-f",
            Self::NotAnId => {
                "not a task id: a task id looks like 9462ca25-468b-45a5-9e75-6f516dedcc80"
            }
        }
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// True when `s` is exactly one task id (any case, no surrounding whitespace).
pub fn is_task_id(s: &str) -> bool {
    parse_uuid(s.as_bytes()).is_some()
}

/// Finds the task ids in arbitrary pasted text. Never panics; linear in the input length.
pub fn extract(text: &str) -> Extraction {
    // Editors and some Windows tools prepend a BOM, which serde_json would refuse.
    let trimmed = text.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && let Some(found) = extract_json(trimmed)
    {
        return found;
    }
    let mut out = Collector::default();
    scan_tokens(text.as_bytes(), &mut out);
    out.finish()
}

#[cfg(test)]
mod tests;
