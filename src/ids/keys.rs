//! Which keys name task ids and which name other UUIDs, in JSON (`task_id`, `trace_id`,
//! …) and in console text (`trace_id: <uuid>`, `X-Trace-Id: <uuid>`).

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum KeyKind {
    /// `task_id`, `id`, `ids`, `task_ids` (any case, `taskId`, `task-id`).
    Id,
    /// `trace_id`, `_id`, `user_id`, `api_id`, `application_id`, `credential_id`,
    /// `request_id`: never look inside.
    Excluded,
    Other,
}

pub(super) fn json_key_kind(key: &str) -> KeyKind {
    let key = key.trim().as_bytes();
    if is_excluded_key(key) {
        KeyKind::Excluded
    } else if is_id_key(key) {
        KeyKind::Id
    } else {
        KeyKind::Other
    }
}

/// In console text `trace_id: <uuid>`, `X-Trace-Id: <uuid>` or `"trace_id":"<uuid>"` name a
/// UUID that is not a task id (same for the record keys skipped in JSON mode, and for
/// `request_id`, which proxies stamp on every log line). Only a key *directly* before the
/// UUID counts — with nothing but quotes, `:`, `=`, blanks, backslashes (JSON quoted inside
/// a string) or a dash between — so in `trace_id: A, B` only A is skipped.
pub(super) fn follows_excluded_key(bytes: &[u8], uuid_start: usize) -> bool {
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
    let Some(folded) = fold(key, &mut buf) else {
        return false;
    };
    matches!(
        folded,
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
    fold(key, &mut buf).is_some_and(|k| matches!(k, b"taskid" | b"id" | b"ids" | b"taskids"))
}

/// `key` lowercased without `_` and `-` ("Task_ID" → "taskid"), in `buf`; `None` when it
/// does not fit, and so is none of the keys compared (all shorter than `buf`).
fn fold<'a>(key: &[u8], buf: &'a mut [u8]) -> Option<&'a [u8]> {
    let mut len = 0;
    for &c in key {
        if c == b'_' || c == b'-' {
            continue;
        }
        *buf.get_mut(len)? = c.to_ascii_lowercase();
        len += 1;
    }
    Some(&buf[..len])
}
