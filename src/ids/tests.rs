//! `extract` on every kind of paste, and the fast token scanner held equal to the literal
//! algorithm it stands for.

use super::collect::{Collector, clip};
use super::keys::follows_excluded_key;
use super::scan::{is_token_byte, scan_tokens};
use super::shape::{
    UUID_LEN, ascii_str, is_upstream_id, parse_uuid, plausible_truncation, uuid_prefix_len,
    uuid_shaped,
};
use super::*;
use proptest::prelude::*;
use std::collections::HashSet;

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
