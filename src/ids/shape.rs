//! Byte-level recognisers shared by both strategies: a whole id, the start of one, an
//! upstream id, an id with a typo.

/// The canonical length of a task id: 32 hex digits and 4 dashes.
pub(super) const UUID_LEN: usize = 36;

const fn is_dash_position(i: usize) -> bool {
    matches!(i, 8 | 13 | 18 | 23)
}

/// The value of the UUID occupying exactly the first 36 bytes of `b`, if `b` is exactly that.
pub(super) fn parse_uuid(b: &[u8]) -> Option<u128> {
    // `uuid` also accepts the 32-digit, braced and URN forms; a task id is only ever the
    // hyphenated one. Its hyphenated parser is branch-free table lookups, the hot path of
    // a paste of ids.
    if b.len() != UUID_LEN {
        return None;
    }
    uuid::Uuid::try_parse_ascii(b).ok().map(|u| u.as_u128())
}

/// How many leading bytes of `b` follow the UUID pattern (at most 36).
pub(super) fn uuid_prefix_len(b: &[u8]) -> usize {
    b.iter()
        .take(UUID_LEN)
        .enumerate()
        .take_while(|&(i, &c)| {
            if is_dash_position(i) {
                c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
        .count()
}

/// Whether a UUID-pattern prefix of `m` bytes is convincing enough to call a cut-short id.
/// `20250612-1430` (a timestamp) matches the pattern for 13 bytes; real ids almost always
/// have a letter among their first digits, and past the third group the shape alone is
/// telling enough.
pub(super) fn plausible_truncation(prefix: &[u8]) -> bool {
    let m = prefix.len();
    m >= 10
        && (m >= 19
            || prefix
                .iter()
                .any(|c| matches!(c, b'a'..=b'f' | b'A'..=b'F')))
}

/// `cgt-` followed by at least 8 digits: the start of an upstream timestamped id.
pub(super) fn is_upstream_id(b: &[u8]) -> bool {
    b.len() >= 12 && b[..4].eq_ignore_ascii_case(b"cgt-") && b[4..12].iter().all(u8::is_ascii_digit)
}

/// `8-4-4-4-12` alphanumerics: a UUID with a typo in it.
pub(super) fn uuid_shaped(b: &[u8]) -> bool {
    b.len() >= UUID_LEN
        && b[..UUID_LEN].iter().enumerate().all(|(i, c)| {
            if is_dash_position(i) {
                *c == b'-'
            } else {
                c.is_ascii_alphanumeric()
            }
        })
}

/// Tokens contain ASCII bytes only (see `scan::TOKEN_BYTE`), so this never actually falls back.
pub(super) fn ascii_str(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap_or("")
}
