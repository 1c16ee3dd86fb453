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

use std::collections::HashSet;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// The canonical length of a task id: 32 hex digits and 4 dashes.
const UUID_LEN: usize = 36;

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

// ---------------------------------------------------------------------------------------
// Shared bookkeeping

#[derive(Default)]
struct Collector {
    ids: Vec<String>,
    /// Keyed by the id's numeric value so that lookups need no lowercase copy of the text.
    seen: HashSet<u128, BuildHasherDefault<IdHasher>>,
    duplicates: usize,
    rejected: Vec<Rejected>,
    /// Object nesting depth at which each entry of `rejected` was found (JSON mode only;
    /// see `Walker::visit_map`).
    rejected_depth: Vec<usize>,
    rejected_seen: HashSet<String>,
    /// Every accepted occurrence, duplicates included: lets a JSON object tell whether
    /// anything below it was a task id even when that id had been seen before.
    hits: usize,
    depth: usize,
}

impl Collector {
    fn add_id(&mut self, value: u128, raw: &[u8]) {
        self.hits += 1;
        if self.seen.insert(value) {
            self.ids.push(ascii_str(raw).to_ascii_lowercase());
        } else {
            self.duplicates += 1;
        }
    }

    fn reject(&mut self, text: &str, reason: RejectReason) {
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

    fn finish(self) -> Extraction {
        Extraction {
            ids: self.ids,
            duplicates: self.duplicates,
            rejected: self.rejected,
        }
    }
}

/// Task ids are random (UUID v4), so one folded multiply spreads them over the table as
/// well as SipHash does, at a fraction of the cost; resistance to crafted collisions buys
/// nothing for text the user pastes into their own app.
#[derive(Default)]
struct IdHasher(u64);

impl IdHasher {
    fn mix(&mut self, a: u64, b: u64) {
        let full = u128::from(a ^ 0x243f_6a88_85a3_08d3) * u128::from(b ^ 0x1319_8a2e_0370_7344);
        self.0 ^= (full as u64) ^ ((full >> 64) as u64);
    }
}

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u128` keys are hashed; this keeps the hasher correct for anything else.
        for &b in bytes {
            self.mix(self.0, u64::from(b));
        }
    }

    fn write_u128(&mut self, v: u128) {
        self.mix(v as u64, (v >> 64) as u64);
    }
}

fn clip(text: &str) -> String {
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

// ---------------------------------------------------------------------------------------
// Byte-level recognisers, shared by both strategies

const fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `hex_value` as a table, with 0xff for "not hex", for the branch-free hot path.
const HEX_VALUE: [u8; 256] = {
    let mut t = [0xff; 256];
    let mut i = 0;
    while i < 256 {
        if let Some(v) = hex_value(i as u8) {
            t[i] = v;
        }
        i += 1;
    }
    t
};

/// Where the 32 hex digits of a UUID sit between its dashes.
const HEX_POSITIONS: [usize; 32] = {
    let mut t = [0; 32];
    let (mut i, mut n) = (0, 0);
    while i < UUID_LEN {
        if !is_dash_position(i) {
            t[n] = i;
            n += 1;
        }
        i += 1;
    }
    t
};

const fn is_dash_position(i: usize) -> bool {
    matches!(i, 8 | 13 | 18 | 23)
}

/// The value of the UUID occupying exactly the first 36 bytes of `b`, if `b` is exactly that.
fn parse_uuid(b: &[u8]) -> Option<u128> {
    // Every id in a paste goes through here: a fixed-size array, table lookups and no early
    // exit let the compiler unroll it into straight-line code.
    let b: &[u8; UUID_LEN] = b.try_into().ok()?;
    if b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
        return None;
    }
    let (mut hi, mut lo, mut bad) = (0u64, 0u64, 0u8);
    for &i in &HEX_POSITIONS[..16] {
        let v = HEX_VALUE[usize::from(b[i])];
        bad |= v;
        hi = (hi << 4) | u64::from(v & 0xf);
    }
    for &i in &HEX_POSITIONS[16..] {
        let v = HEX_VALUE[usize::from(b[i])];
        bad |= v;
        lo = (lo << 4) | u64::from(v & 0xf);
    }
    (bad & 0xf0 == 0).then_some((u128::from(hi) << 64) | u128::from(lo))
}

/// How many leading bytes of `b` follow the UUID pattern (at most 36).
fn uuid_prefix_len(b: &[u8]) -> usize {
    b.iter()
        .take(UUID_LEN)
        .enumerate()
        .take_while(|&(i, &c)| {
            if is_dash_position(i) {
                c == b'-'
            } else {
                HEX_VALUE[usize::from(c)] < 16
            }
        })
        .count()
}

/// Whether a UUID-pattern prefix of `m` bytes is convincing enough to call a cut-short id.
/// `20250612-1430` (a timestamp) matches the pattern for 13 bytes; real ids almost always
/// have a letter among their first digits, and past the third group the shape alone is
/// telling enough.
fn plausible_truncation(prefix: &[u8]) -> bool {
    let m = prefix.len();
    m >= 10
        && (m >= 19
            || prefix
                .iter()
                .any(|c| matches!(c, b'a'..=b'f' | b'A'..=b'F')))
}

/// `cgt-` followed by at least 8 digits: the start of an upstream timestamped id.
fn is_upstream_id(b: &[u8]) -> bool {
    b.len() >= 12 && b[..4].eq_ignore_ascii_case(b"cgt-") && b[4..12].iter().all(u8::is_ascii_digit)
}

/// `8-4-4-4-12` alphanumerics: a UUID with a typo in it.
fn uuid_shaped(b: &[u8]) -> bool {
    b.len() >= UUID_LEN
        && b[..UUID_LEN].iter().enumerate().all(|(i, c)| {
            if is_dash_position(i) {
                *c == b'-'
            } else {
                c.is_ascii_alphanumeric()
            }
        })
}

// ---------------------------------------------------------------------------------------
// Token scanning

/// Bytes that can be part of an id-like token. `_` is deliberately a separator so that
/// `video_<uuid>` still yields the id; non-ASCII bytes are separators too, which also
/// guarantees every token is ASCII and can be sliced as `str` anywhere.
const TOKEN_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric() || b == b'-';
        i += 1;
    }
    t
};

fn is_token_byte(b: u8) -> bool {
    TOKEN_BYTE[usize::from(b)]
}

/// Conceptually we split the text into tokens and look at each token at its start and
/// after each of its dashes, so that ids glued to words by dashes — `task-<uuid>`,
/// `seedance-<uuid>-final.mp4`, two ids joined by `-` — are still found, while an id glued
/// to further hex without a dash (`<uuid>0`) is reported as a copy/paste slip
/// (`reference_scan` in the tests is that literal algorithm, and a property test holds the
/// two equal).
///
/// Doing it literally costs a mispredicted branch at every word boundary. But everything
/// we report has a dash 8 bytes (UUID-like) or 3 bytes (`cgt-`) past the start of its part,
/// so we search for dashes instead — a loop that vectorises — and look back from each; the
/// bulk of a paste, prose without dashes, is skipped at memory speed.
fn scan_tokens(bytes: &[u8], out: &mut Collector) {
    const LANES: usize = 64;
    // Positions before `resume` belong to a part already examined or to something already
    // reported, exactly as the literal walk would have skipped them.
    let mut resume = 0;
    let (chunks, tail) = bytes.as_chunks::<LANES>();
    for (i, chunk) in chunks.iter().enumerate() {
        // Folds without early exit compile to vector compares: the first skips dash-free
        // prose at memory speed, the second makes a bit per byte so that each dash costs
        // a few instructions even in a paste made of nothing but dashes.
        if !chunk.iter().fold(false, |any, &b| any | (b == b'-')) {
            continue;
        }
        let mut dashes = chunk
            .iter()
            .enumerate()
            .fold(0u64, |m, (j, &b)| m | (u64::from(b == b'-') << j));
        while dashes != 0 {
            let dash = i * LANES + dashes.trailing_zeros() as usize;
            dashes &= dashes - 1;
            on_dash(bytes, dash, &mut resume, out);
        }
    }
    let base = chunks.len() * LANES;
    for (j, &b) in tail.iter().enumerate() {
        if b == b'-' {
            on_dash(bytes, base + j, &mut resume, out);
        }
    }
}

#[inline]
fn on_dash(bytes: &[u8], dash: usize, resume: &mut usize, out: &mut Collector) {
    // Both candidates below need a letter or digit right before the dash.
    if dash == 0 || !bytes[dash - 1].is_ascii_alphanumeric() {
        return;
    }
    // Cheap necessary conditions first: 8 alphanumerics before the dash (an id, cut short
    // or not, or one with a typo) or `cgt` (an upstream id). Lower start first, so that
    // results come out in text order.
    if let Some(p) = dash.checked_sub(8)
        && p >= *resume
        && bytes[p..dash].iter().all(u8::is_ascii_alphanumeric)
        && is_part_start(bytes, p)
    {
        *resume = scan_part(bytes, p, out);
    }
    if let Some(p) = dash.checked_sub(3)
        && p >= *resume
        && bytes[p..dash].eq_ignore_ascii_case(b"cgt")
        && is_part_start(bytes, p)
    {
        *resume = scan_part(bytes, p, out);
    }
}

/// Where a token, or a dash-separated part of one, begins.
fn is_part_start(bytes: &[u8], p: usize) -> bool {
    p == 0 || bytes[p - 1] == b'-' || !is_token_byte(bytes[p - 1])
}

fn token_end(bytes: &[u8], p: usize) -> usize {
    bytes[p..]
        .iter()
        .position(|&b| !is_token_byte(b))
        .map_or(bytes.len(), |i| p + i)
}

/// Examines the part starting at `p`; returns the position scanning resumes at.
fn scan_part(bytes: &[u8], p: usize, out: &mut Collector) -> usize {
    // Whole ids are what most dashes in a paste of ids belong to.
    if let Some(raw) = bytes.get(p..p + UUID_LEN)
        && let Some(value) = parse_uuid(raw)
        && bytes
            .get(p + UUID_LEN)
            .is_none_or(|&c| c == b'-' || !is_token_byte(c))
    {
        if !follows_excluded_key(bytes, p) {
            out.add_id(value, raw);
        }
        return p + UUID_LEN + 1;
    }
    // Everything below looks at most 37 bytes ahead; the rest of the token is walked only
    // when it is reported, after which it is skipped, so the work stays linear even for a
    // megabyte-long token.
    let rest = &bytes[p..];
    let ends_at = |k: usize| rest.get(k).is_none_or(|&c| !is_token_byte(c));
    let m = uuid_prefix_len(rest);
    // Whole ids were handled above, so `m == 36` here means more is glued on.
    let reason = if is_upstream_id(rest) {
        RejectReason::UpstreamId
    } else if (m == UUID_LEN || ends_at(m)) && plausible_truncation(&rest[..m]) {
        RejectReason::TruncatedUuid
    } else if uuid_shaped(rest) && (ends_at(UUID_LEN) || rest[UUID_LEN] == b'-') {
        out.reject(ascii_str(&rest[..UUID_LEN]), RejectReason::NotHex);
        return p + UUID_LEN + 1;
    } else {
        return p + 1;
    };
    let end = token_end(bytes, p);
    out.reject(ascii_str(&bytes[p..end]), reason);
    end
}

/// Tokens contain ASCII bytes only (see [`TOKEN_BYTE`]), so this never actually falls back.
fn ascii_str(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap_or("")
}

/// In console text `trace_id: <uuid>`, `X-Trace-Id: <uuid>` or `"trace_id":"<uuid>"` name a
/// UUID that is not a task id (same for the record keys skipped in JSON mode, and for
/// `request_id`, which proxies stamp on every log line). Only a key *directly* before the
/// UUID counts — with nothing but quotes, `:`, `=`, blanks, backslashes (JSON quoted inside
/// a string) or a dash between — so in `trace_id: A, B` only A is skipped.
fn follows_excluded_key(bytes: &[u8], uuid_start: usize) -> bool {
    const MAX_GAP: usize = 8;
    const MAX_KEY: usize = 32;
    let mut i = uuid_start;
    let gap_floor = uuid_start.saturating_sub(MAX_GAP);
    while i > gap_floor
        && matches!(
            bytes[i - 1],
            b'"' | b'\'' | b':' | b'=' | b' ' | b'\t' | b'\\' | b'-'
        )
    {
        i -= 1;
    }
    let key_end = i;
    let key_floor = key_end.saturating_sub(MAX_KEY + 1);
    while i > key_floor
        && (bytes[i - 1].is_ascii_alphanumeric() || matches!(bytes[i - 1], b'_' | b'-'))
    {
        i -= 1;
    }
    let key = &bytes[i..key_end];
    // A run that hit the length limit is some long word, not one of our keys.
    if key.is_empty() || key.len() > MAX_KEY {
        return false;
    }
    is_excluded_key(key)
}

/// Keys whose UUID values are never task ids. `_id` is matched literally because, once
/// punctuation is dropped, it would equal `id` — which *is* a task-id key.
fn is_excluded_key(key: &[u8]) -> bool {
    if key == b"_id" {
        return true;
    }
    let mut buf = [0u8; 32];
    let mut len = 0;
    for &c in key {
        if c == b'_' || c == b'-' {
            continue;
        }
        if len == buf.len() {
            return false;
        }
        buf[len] = c.to_ascii_lowercase();
        len += 1;
    }
    matches!(
        &buf[..len],
        b"traceid"
            | b"xtraceid"
            | b"userid"
            | b"apiid"
            | b"applicationid"
            | b"credentialid"
            | b"requestid"
            | b"xrequestid"
    )
}

fn is_id_key(key: &[u8]) -> bool {
    let mut buf = [0u8; 8];
    let mut len = 0;
    for &c in key {
        if c == b'_' || c == b'-' {
            continue;
        }
        if len == buf.len() {
            return false;
        }
        buf[len] = c.to_ascii_lowercase();
        len += 1;
    }
    matches!(&buf[..len], b"taskid" | b"id" | b"ids" | b"taskids")
}

// ---------------------------------------------------------------------------------------
// JSON

#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    /// `task_id`, `id`, `ids`, `task_ids` (any case, `taskId`, `task-id`).
    Id,
    /// `trace_id`, `_id`, `user_id`, `api_id`, `application_id`, `credential_id`,
    /// `request_id`: never look inside.
    Excluded,
    Other,
}

fn json_key_kind(key: &str) -> KeyKind {
    let key = key.trim().as_bytes();
    if is_excluded_key(key) {
        KeyKind::Excluded
    } else if is_id_key(key) {
        KeyKind::Id
    } else {
        KeyKind::Other
    }
}

/// `None` when the text is not JSON, or is JSON in which nothing was found (the caller then
/// scans tokens, which finds ids mentioned in free-text fields).
fn extract_json(text: &str) -> Option<Extraction> {
    let mut out = Collector::default();
    let mut de = serde_json::Deserializer::from_str(text);
    // serde_json's default recursion limit turns absurd nesting into an error, not a
    // stack overflow; we then fall back to token scanning.
    let walker = Walker {
        out: &mut out,
        ctx: Ctx::Other,
    };
    walker.deserialize(&mut de).ok()?;
    de.end().ok()?;
    if out.ids.is_empty() && out.rejected.is_empty() {
        return None;
    }
    Some(out.finish())
}

/// Where a JSON value sits, which decides what a string there means.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// Under a task-id key (possibly inside arrays): anything else is worth a complaint.
    IdValue,
    /// Element of an array elsewhere: taken if it is an id, silently ignored if it is not
    /// id-like (arrays of tags, URLs, prompts…).
    ArrayElem,
    /// Any other value: ignored unless it is an object or array to descend into.
    Other,
}

struct Walker<'a> {
    out: &'a mut Collector,
    ctx: Ctx,
}

impl Walker<'_> {
    fn child(&mut self, ctx: Ctx) -> Walker<'_> {
        Walker {
            out: &mut *self.out,
            ctx,
        }
    }

    fn string(self, s: &str) {
        let t = s.trim();
        let b = t.as_bytes();
        if let Some(value) = parse_uuid(b) {
            self.out.add_id(value, b);
            return;
        }
        let reason = if self.ctx == Ctx::Other || t.is_empty() {
            None
        } else if is_upstream_id(b) {
            Some(RejectReason::UpstreamId)
        } else if uuid_shaped(b) && b.len() == UUID_LEN {
            Some(RejectReason::NotHex)
        } else {
            let m = uuid_prefix_len(b);
            if (m == b.len() || m == UUID_LEN) && plausible_truncation(&b[..m]) {
                Some(RejectReason::TruncatedUuid)
            } else if self.ctx == Ctx::IdValue {
                Some(RejectReason::NotAnId)
            } else {
                None
            }
        };
        if let Some(reason) = reason {
            self.out.reject(t, reason);
        }
    }
}

impl<'de> DeserializeSeed<'de> for Walker<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walker<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<(), E> {
        Ok(())
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        self.string(s);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let ctx = if self.ctx == Ctx::IdValue {
            Ctx::IdValue
        } else {
            Ctx::ArrayElem
        };
        while seq.next_element_seed(self.child(ctx))?.is_some() {}
        Ok(())
    }

    /// The generation response is `{"task_id": <uuid>, "data": [{"id": "cgt-…"}]}`: the
    /// upstream id sits one object deeper than the task id it belongs to. Complaining about
    /// it when the user pasted the whole response (and so the task id too) would be a false
    /// alarm, so when an object yielded a task id, upstream ids found in objects nested
    /// inside it are withdrawn. One found in the object itself (`{"ids": [<uuid>, "cgt-…"]}`)
    /// or in a response without any task id is still reported.
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        self.out.depth += 1;
        let depth = self.out.depth;
        let hits_before = self.out.hits;
        let rejected_before = self.out.rejected.len();
        while let Some(kind) = map.next_key_seed(KeySeed)? {
            match kind {
                KeyKind::Id => map.next_value_seed(self.child(Ctx::IdValue))?,
                KeyKind::Other => map.next_value_seed(self.child(Ctx::Other))?,
                KeyKind::Excluded => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let out = &mut *self.out;
        if out.hits > hits_before && out.rejected.len() > rejected_before {
            let mut i = rejected_before;
            while i < out.rejected.len() {
                if out.rejected[i].reason == RejectReason::UpstreamId
                    && out.rejected_depth[i] > depth
                {
                    let gone = out.rejected.remove(i);
                    out.rejected_depth.remove(i);
                    out.rejected_seen.remove(&gone.text);
                } else {
                    i += 1;
                }
            }
        }
        out.depth -= 1;
        Ok(())
    }
}

/// Classifies a map key without allocating it.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = KeyKind;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<KeyKind, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed {
    type Value = KeyKind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<KeyKind, E> {
        Ok(json_key_kind(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const A: &str = "9462ca25-468b-45a5-9e75-6f516dedcc80";
    const B: &str = "20068983-0cc9-4c6a-aeb6-9c6a3c668be0";
    const C: &str = "93f11baf-347b-4bb4-9520-8653cb46d6a3";
    const TRACE: &str = "a9063166-26ed-4451-85b5-54e896817c69";

    /// The literal algorithm `scan_tokens` must agree with: split into tokens, walk each
    /// token part by part.
    fn reference_scan(bytes: &[u8], out: &mut Collector) {
        let n = bytes.len();
        let mut i = 0;
        while i < n {
            if !is_token_byte(bytes[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < n && is_token_byte(bytes[i]) {
                i += 1;
            }
            reference_token(bytes, start, i, out);
        }
    }

    fn reference_token(bytes: &[u8], start: usize, end: usize, out: &mut Collector) {
        // Shortest token that can be anything we report: 8 hex + `-` + 1 hex.
        const MIN_INTERESTING: usize = 10;
        let mut p = start;
        while end.saturating_sub(p) >= MIN_INTERESTING {
            let rest = &bytes[p..end];
            let m = uuid_prefix_len(rest);
            if m == UUID_LEN && (rest.len() == UUID_LEN || rest[UUID_LEN] == b'-') {
                let raw = &rest[..UUID_LEN];
                if !follows_excluded_key(bytes, p)
                    && let Some(value) = parse_uuid(raw)
                {
                    out.add_id(value, raw);
                }
                p += UUID_LEN + 1;
                continue;
            }
            if is_upstream_id(rest) {
                out.reject(ascii_str(rest), RejectReason::UpstreamId);
                return;
            }
            if (m == rest.len() || m == UUID_LEN) && plausible_truncation(&rest[..m]) {
                out.reject(ascii_str(rest), RejectReason::TruncatedUuid);
                return;
            }
            if uuid_shaped(rest) && rest.get(UUID_LEN).is_none_or(|&c| c == b'-') {
                out.reject(ascii_str(&rest[..UUID_LEN]), RejectReason::NotHex);
                p += UUID_LEN + 1;
                continue;
            }
            match rest.iter().position(|&c| c == b'-') {
                Some(dash) => p += dash + 1,
                None => return,
            }
        }
    }

    fn scanned(text: &str, scan: fn(&[u8], &mut Collector)) -> Extraction {
        let mut out = Collector::default();
        scan(text.as_bytes(), &mut out);
        out.finish()
    }

    fn ids(text: &str) -> Vec<String> {
        extract(text).ids
    }

    fn reasons(text: &str) -> Vec<(String, RejectReason)> {
        extract(text)
            .rejected
            .into_iter()
            .map(|r| (r.text, r.reason))
            .collect()
    }

    #[test]
    fn is_task_id_accepts_only_exact_uuids() {
        assert!(is_task_id(A));
        assert!(is_task_id(&A.to_uppercase()));
        assert!(!is_task_id(&format!(" {A}")));
        assert!(!is_task_id(&A[..35]));
        assert!(!is_task_id(&format!("{A}0")));
        assert!(!is_task_id("9462ca25x468b-45a5-9e75-6f516dedcc80"));
        assert!(!is_task_id("9462ca25-468b-45a5-9e75-6f516dedcg80"));
        assert!(!is_task_id("9462ca25468b45a59e756f516dedcc80"));
        assert!(!is_task_id(""));
        assert!(!is_task_id("é462ca25-468b-45a5-9e75-6f516dedcc8"));
    }

    #[test]
    fn one_per_line() {
        assert_eq!(ids(&format!("{A}\n{B}\r\n{C}\n")), [A, B, C]);
    }

    #[test]
    fn common_separators() {
        for sep in [",", ", ", " ", ";", "\t", " ; ", "|", "\n\n"] {
            assert_eq!(ids(&[A, B, C].join(sep)), [A, B, C], "separator {sep:?}");
        }
    }

    #[test]
    fn json_array_of_strings() {
        let text = format!(
            r#"["{A}", "{B}",
            "{C}"]"#
        );
        assert_eq!(ids(&text), [A, B, C]);
    }

    #[test]
    fn whole_generation_response() {
        let text = format!(
            r#"{{
              "success": true,
              "task_id": "{A}",
              "trace_id": "{TRACE}",
              "data": [{{
                "id": "cgt-20250331173019-abcde",
                "model": "doubao-seedance-1-0-pro-250528",
                "status": "succeeded",
                "content": {{"video_url": "https://cdn.example/{B}.mp4"}},
                "created_at": 1743414619
              }}]
            }}"#
        );
        let found = extract(&text);
        assert_eq!(found.ids, [A]);
        assert_eq!(found.duplicates, 0);
        // The upstream id belongs to the pasted task id: no false alarm.
        assert!(found.rejected.is_empty(), "{:?}", found.rejected);
    }

    #[test]
    fn tasks_api_records_skip_other_uuid_fields() {
        let text = format!(
            r#"{{"items": [{{
                "_id": "69498b9bff2676299c5cb7a6",
                "id": "{A}",
                "api_id": "86ad30f3-0bc8-4b9b-b019-b9fa5b05672e",
                "application_id": "11e25072-de6d-4bd6-81e7-77ee0055499a",
                "credential_id": "50892af9-597f-426e-a455-bc1739de95b0",
                "trace_id": "{TRACE}",
                "user_id": "b60a9491-1eba-4ab8-a93f-12c0fd81dab4",
                "response": {{"success": true, "task_id": "{A}", "trace_id": "{TRACE}"}}
              }}, {{
                "id": "{B}", "response": {{"task_id": "{B}"}}
              }}],
              "count": 2}}"#
        );
        let found = extract(&text);
        assert_eq!(found.ids, [A, B]);
        assert_eq!(found.duplicates, 2);
        assert!(found.rejected.is_empty(), "{:?}", found.rejected);
    }

    #[test]
    fn json_keeps_document_order_and_key_spellings() {
        let text = format!(r#"{{"task_ids": ["{C}"], "taskId": "{B}", "ids": ["{A}"]}}"#);
        assert_eq!(ids(&text), [C, B, A]);
        let text = format!(r#"[{{"Task-Id": "{B}"}}, "{A}", [["{C}"]]]"#);
        assert_eq!(ids(&text), [B, A, C]);
    }

    #[test]
    fn json_ignores_uuids_in_other_fields_when_ids_present() {
        let text = format!(r#"{{"task_id": "{A}", "note": "retry of {B}"}}"#);
        assert_eq!(ids(&text), [A]);
    }

    #[test]
    fn json_without_id_keys_falls_back_to_scanning() {
        let text = format!(r#"{{"message": "task {A} done", "trace_id": "{TRACE}"}}"#);
        assert_eq!(ids(&text), [A]);
    }

    #[test]
    fn json_id_key_with_garbage_is_reported() {
        assert_eq!(
            reasons(r#"{"task_id": "abc"}"#),
            [("abc".to_owned(), RejectReason::NotAnId)]
        );
        assert_eq!(
            reasons(r#"[{"task_id": "cgt-20250331173019-abcde"}]"#),
            [(
                "cgt-20250331173019-abcde".to_owned(),
                RejectReason::UpstreamId
            )]
        );
        // Non-id strings in arbitrary arrays are not attempts at ids.
        let found = extract(&format!(
            r#"{{"tags": ["cat", "20250612-1430"], "id": "{A}"}}"#
        ));
        assert_eq!(found.ids, [A]);
        assert!(found.rejected.is_empty(), "{:?}", found.rejected);
    }

    #[test]
    fn upstream_id_next_to_ids_in_same_array_is_reported() {
        let found = extract(&format!(
            r#"{{"ids": ["{A}", "cgt-20250331173019-abcde"]}}"#
        ));
        assert_eq!(found.ids, [A]);
        assert_eq!(found.rejected.len(), 1);
        assert_eq!(found.rejected[0].reason, RejectReason::UpstreamId);
    }

    #[test]
    fn not_really_json_falls_back_to_scanning() {
        assert_eq!(ids(&format!("[{A}, {B}]")), [A, B]);
        assert_eq!(ids(&format!(r#"{{"task_id": "{A}"}} and {B}"#)), [A, B]);
        assert_eq!(
            ids(&format!(r#"{{"task_id": "{A}", "trace_id": "{TRACE}""#)),
            [A]
        );
    }

    #[test]
    fn absurd_nesting_does_not_overflow() {
        let text = format!("{}{A}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(ids(&text), [A]);
        let text = format!("{}\"{A}\"{}", "[".repeat(100), "]".repeat(100));
        assert_eq!(ids(&text), [A]);
    }

    #[test]
    fn console_text() {
        let text = format!(
            "2025-06-12 14:30:01 INFO submitted task_id: {A} (model doubao-seedance)\n\
             => \"{B}\" queued; see https://api.acedata.cloud/seedance/tasks/{C}?action=retrieve\n\
             saved to ./out/seedance-{A}-final.mp4 and video_{B}.mp4 {{{C}}} <{A}>\n"
        );
        let found = extract(&text);
        assert_eq!(found.ids, [A, B, C]);
        assert_eq!(found.duplicates, 4);
        assert!(found.rejected.is_empty(), "{:?}", found.rejected);
    }

    #[test]
    fn console_text_skips_trace_ids() {
        for line in [
            format!("task_id: {A} trace_id: {TRACE}"),
            format!("task_id={A} trace-id={TRACE}"),
            format!("task {A}\nX-Trace-Id: {TRACE}"),
            format!(r#"Response: {{"task_id":"{A}","trace_id":"{TRACE}","data":[]}}"#),
            format!(r#"log "{{\"task_id\":\"{A}\",\"trace_id\":\"{TRACE}\"}}""#),
            format!("{A} traceId = '{TRACE}' user_id: 86ad30f3-0bc8-4b9b-b019-b9fa5b05672e"),
        ] {
            assert_eq!(ids(&line), [A], "{line}");
        }
        // Only the value directly after the key is skipped.
        assert_eq!(ids(&format!("trace_id: {TRACE}, {A}")), [A]);
        // `task_id` ends in `_id` but is not the `_id` key.
        assert_eq!(ids(&format!(r#""_id": "{TRACE}", "task_id": "{A}""#)), [A]);
    }

    #[test]
    fn dedup_keeps_first_seen_order_and_counts() {
        let found = extract(&format!("{B} {A} {B} {C} {A} {B}"));
        assert_eq!(found.ids, [B, A, C]);
        assert_eq!(found.duplicates, 3);
    }

    #[test]
    fn uppercase_is_normalised_and_deduplicated() {
        let found = extract(&format!("{} {A}", A.to_uppercase()));
        assert_eq!(found.ids, [A]);
        assert_eq!(found.duplicates, 1);
        assert_eq!(ids(&format!(r#"["{}"]"#, B.to_uppercase())), [B]);
    }

    #[test]
    fn upstream_ids_are_rejected() {
        let found = extract("cgt-20250331173019-abcde\nCGT-20250331173020-x9y8z");
        assert_eq!(found.ids, Vec::<String>::new());
        assert_eq!(
            found.rejected,
            [
                Rejected {
                    text: "cgt-20250331173019-abcde".into(),
                    reason: RejectReason::UpstreamId
                },
                Rejected {
                    text: "CGT-20250331173020-x9y8z".into(),
                    reason: RejectReason::UpstreamId
                },
            ]
        );
    }

    #[test]
    fn truncated_and_overlong_are_rejected() {
        let short = &A[..30];
        let long = format!("{A}0");
        let found = extract(&format!("{short} {B} {long} 9462ca25-4"));
        assert_eq!(found.ids, [B]);
        assert_eq!(
            found.rejected,
            [
                Rejected {
                    text: short.into(),
                    reason: RejectReason::TruncatedUuid
                },
                Rejected {
                    text: long,
                    reason: RejectReason::TruncatedUuid
                },
                Rejected {
                    text: "9462ca25-4".into(),
                    reason: RejectReason::TruncatedUuid
                },
            ]
        );
    }

    #[test]
    fn typo_in_uuid_is_rejected() {
        assert_eq!(
            reasons("9462ca25-468b-45a5-9e75-6f516dedcg80"),
            [(
                "9462ca25-468b-45a5-9e75-6f516dedcg80".to_owned(),
                RejectReason::NotHex
            )]
        );
    }

    #[test]
    fn ordinary_words_are_ignored_silently() {
        let text = "INFO 2025-06-12T14:30:01Z doubao-seedance-1-0-pro-250528 build 20250612-1430 \
                    sha 3f2a9c1be4d5 cgt-abc accepted-by-server internationalization";
        let found = extract(text);
        assert_eq!(found, Extraction::default());
    }

    #[test]
    fn repeated_rejects_are_listed_once() {
        let found = extract(&"cgt-20250331173019-abcde ".repeat(50));
        assert_eq!(found.rejected.len(), 1);
    }

    #[test]
    fn rejected_is_capped_and_clipped() {
        let text: String = (0..5000u32)
            .map(|i| format!("cgt-2025{i:08}-x\n"))
            .collect();
        let found = extract(&text);
        assert_eq!(found.rejected.len(), MAX_REJECTED);

        let huge = format!("{}{}", &A[..20], "a".repeat(100_000));
        let found = extract(&format!("{A}{}", "b".repeat(100_000)));
        assert_eq!(found.rejected.len(), 1);
        assert_eq!(
            found.rejected[0].text.chars().count(),
            MAX_REJECTED_TEXT_CHARS
        );
        assert!(found.rejected[0].text.ends_with('…'));
        let found = extract(&format!(r#"{{"id": "{huge}é"}}"#));
        assert_eq!(found.rejected.len(), 1);
        assert_eq!(
            found.rejected[0].text.chars().count(),
            MAX_REJECTED_TEXT_CHARS
        );
    }

    #[test]
    fn clip_respects_char_boundaries() {
        let s = "é".repeat(MAX_REJECTED_TEXT_CHARS);
        assert_eq!(clip(&s), s);
        let s = "é".repeat(MAX_REJECTED_TEXT_CHARS + 1);
        assert_eq!(clip(&s).chars().count(), MAX_REJECTED_TEXT_CHARS);
    }

    #[test]
    fn empty_and_odd_inputs() {
        assert_eq!(extract(""), Extraction::default());
        assert_eq!(extract(" \n\t "), Extraction::default());
        assert_eq!(extract("{"), Extraction::default());
        assert_eq!(extract("[]"), Extraction::default());
        assert_eq!(extract("日本語のテキスト"), Extraction::default());
        assert_eq!(ids(&format!("\u{feff}[\"{A}\"]")), [A]);
        assert_eq!(ids(&format!("タスク{A}です")), [A]);
        assert_eq!(ids(&format!("–{A}–")), [A]);
    }

    #[test]
    fn reason_texts() {
        assert!(RejectReason::UpstreamId.describe().contains("task_id"));
        assert_eq!(
            RejectReason::TruncatedUuid.to_string(),
            RejectReason::TruncatedUuid.describe()
        );
        for r in [
            RejectReason::UpstreamId,
            RejectReason::TruncatedUuid,
            RejectReason::NotHex,
            RejectReason::NotAnId,
        ] {
            assert!(!r.describe().is_empty());
        }
    }

    fn uuid_text(v: u128, upper: bool) -> String {
        let h = format!("{v:032x}");
        let s = format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        );
        if upper { s.to_uppercase() } else { s }
    }

    fn separator() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            " ",
            "\n",
            "\r\n",
            ",",
            ", ",
            ";",
            "\t",
            " | ",
            "\"",
            "\", \"",
            "'",
            "[",
            "]",
            "/",
            "?id=",
            " task_id: ",
            " id=",
            "\n- ",
            " · ",
            "…",
            "_",
            ".mp4 ",
            " - ",
        ])
    }

    proptest! {
        #[test]
        fn never_panics_and_output_is_sound(text in any::<String>()) {
            prop_assert_eq!(scanned(&text, scan_tokens), scanned(&text, reference_scan));
            let found = extract(&text);
            let mut seen = HashSet::new();
            for id in &found.ids {
                prop_assert!(is_task_id(id));
                prop_assert_eq!(id, &id.to_ascii_lowercase());
                prop_assert!(seen.insert(id.clone()), "duplicate {}", id);
            }
            prop_assert!(found.rejected.len() <= MAX_REJECTED);
            for r in &found.rejected {
                prop_assert!(r.text.chars().count() <= MAX_REJECTED_TEXT_CHARS);
            }
        }

        #[test]
        fn id_like_noise_never_panics(text in "[0-9a-fA-Fcgt\\-_ :=\"{}\\[\\],\n]{0,200}") {
            prop_assert_eq!(scanned(&text, scan_tokens), scanned(&text, reference_scan));
            let found = extract(&text);
            let unique: HashSet<_> = found.ids.iter().collect();
            prop_assert_eq!(unique.len(), found.ids.len());
            prop_assert!(found.ids.iter().all(|id| is_task_id(id)));
        }

        /// Ids, halves of ids, upstream ids and junk glued together with or without
        /// separators: exercises every branch of the token scanner at token edges.
        #[test]
        fn glued_fragments_are_sound(
            parts in prop::collection::vec(
                prop_oneof![
                    any::<u128>().prop_map(|v| uuid_text(v, false)),
                    (any::<u128>(), 0..36usize).prop_map(|(v, n)| uuid_text(v, true)[..n].to_owned()),
                    "cgt-[0-9]{6,16}(-[a-z0-9]{0,6})?",
                    "[ -~]{0,6}",
                    "(trace_id|_id|id|X-Trace-Id)[\\\\\":= ]{0,4}",
                    any::<String>(),
                ],
                0..12,
            ),
        ) {
            let text: String = parts.concat();
            prop_assert_eq!(scanned(&text, scan_tokens), scanned(&text, reference_scan));
            let found = extract(&text);
            let lower = text.to_lowercase();
            let unique: HashSet<_> = found.ids.iter().collect();
            prop_assert_eq!(unique.len(), found.ids.len());
            for id in &found.ids {
                prop_assert!(is_task_id(id));
                prop_assert!(lower.contains(id.as_str()));
            }
        }

        #[test]
        fn embedded_ids_are_found_in_order(
            items in prop::collection::vec(
                (any::<u128>(), any::<bool>(), separator(), "[a-z]{0,12}"),
                1..30,
            ),
            repeat in prop::collection::vec(any::<prop::sample::Index>(), 0..5),
        ) {
            let mut text = String::new();
            let mut expected: Vec<String> = Vec::new();
            let mut add = |v: u128, upper: bool, sep: &str, word: &str, text: &mut String| {
                text.push_str(word);
                text.push(' ');
                text.push_str(&uuid_text(v, upper));
                text.push_str(sep);
                let id = uuid_text(v, false);
                if !expected.contains(&id) {
                    expected.push(id);
                }
            };
            for (v, upper, sep, word) in &items {
                add(*v, *upper, sep, word.as_str(), &mut text);
            }
            for ix in &repeat {
                let (v, upper, sep, word) = ix.get(&items);
                add(*v, !*upper, sep, word.as_str(), &mut text);
            }
            let found = extract(&text);
            prop_assert_eq!(&found.ids, &expected);
            prop_assert_eq!(found.duplicates, items.len() + repeat.len() - expected.len());
        }

        #[test]
        fn json_arrays_round_trip(values in prop::collection::vec(any::<u128>(), 0..40)) {
            let strings: Vec<String> = values.iter().map(|v| uuid_text(*v, false)).collect();
            let text = serde_json::to_string(&strings).unwrap_or_default();
            let mut expected: Vec<String> = Vec::new();
            for s in strings {
                if !expected.contains(&s) {
                    expected.push(s);
                }
            }
            prop_assert_eq!(extract(&text).ids, expected);
        }
    }
}
