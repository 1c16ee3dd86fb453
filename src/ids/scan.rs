//! Token scanning: ids in console output, file names, URLs and lists (see the module
//! documentation of [`super`]).

use super::RejectReason;
use super::collect::Collector;
use super::keys::follows_excluded_key;
use super::shape::{
    UUID_LEN, ascii_str, is_upstream_id, parse_uuid, plausible_truncation, uuid_prefix_len,
    uuid_shaped,
};

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

pub(super) fn is_token_byte(b: u8) -> bool {
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
pub(super) fn scan_tokens(bytes: &[u8], out: &mut Collector) {
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
