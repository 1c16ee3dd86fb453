//! Exports of the shown rows (or the selection): CSV and JSON files with the same fields
//! as the CLI's `--json` (JSON adds the raw record), and TSV for pasting into a
//! spreadsheet. Cells that a spreadsheet would run as a formula are defused, and the
//! `_redacted` forms hide the API token wherever a server message echoed it.

use crate::task::TaskEntry;
use crate::text;
use serde_json::Value;

/// The columns of CSV and TSV, in the order of the CLI's JSON object.
pub const FIELDS: [&str; 15] = [
    "id",
    "status",
    "model",
    "created_at",
    "finished_at",
    "elapsed_seconds",
    "prompt",
    "video_url",
    "last_frame_url",
    "error_code",
    "error_message",
    "trace_id",
    "upstream_id",
    "timed_out",
    "note",
];

fn cells(entry: &TaskEntry, token: Option<&str>) -> Vec<String> {
    let json = entry.to_json();
    FIELDS
        .iter()
        .map(|f| {
            let cell = match json.get(*f) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            defuse_formula(&hide(&cell, token))
        })
        .collect()
}

fn hide(text: &str, token: Option<&str>) -> String {
    token.map_or_else(|| text.to_owned(), |t| text::redact(text, t))
}

/// Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` (or a tab or CR before
/// one) as a formula, and a prompt or error message is text from elsewhere: a leading
/// single quote makes it plain text again (the OWASP CSV injection rule).
fn defuse_formula(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

/// Why a CSV export could not be built (each worded as the `csv` crate words it).
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Csv(#[from] csv::Error),
    #[error(transparent)]
    Flush(std::io::Error),
    #[error(transparent)]
    NotUtf8(#[from] std::string::FromUtf8Error),
}

/// RFC 4180 CSV (quotes, commas and newlines inside fields are escaped by the `csv` crate).
pub fn to_csv(entries: &[&TaskEntry]) -> Result<String, ExportError> {
    csv_text(entries, None)
}

/// [`to_csv`] with every echo of the API token replaced (see [`text::redact`]).
pub fn to_csv_redacted(entries: &[&TaskEntry], token: &str) -> Result<String, ExportError> {
    csv_text(entries, Some(token))
}

fn csv_text(entries: &[&TaskEntry], token: Option<&str>) -> Result<String, ExportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(FIELDS)?;
    for e in entries {
        w.write_record(cells(e, token))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ExportError::Flush(e.into_error()))?;
    Ok(String::from_utf8(bytes)?)
}

/// A JSON array: one object per task, the CLI's fields plus `record` (the raw API record).
pub fn to_json(entries: &[&TaskEntry]) -> String {
    json_text(entries, None)
}

/// [`to_json`] with every echo of the API token replaced, in the raw record too.
pub fn to_json_redacted(entries: &[&TaskEntry], token: &str) -> String {
    json_text(entries, Some(token))
}

fn json_text(entries: &[&TaskEntry], token: Option<&str>) -> String {
    let list: Vec<Value> = entries
        .iter()
        .map(|e| {
            let mut obj = e.to_json();
            obj["record"] = e.record.as_ref().map_or(Value::Null, |r| r.raw_owned());
            if let Some(token) = token {
                hide_in_json(&mut obj, token);
            }
            obj
        })
        .collect();
    serde_json::to_string_pretty(&list).unwrap_or_else(|_| "[]".to_owned())
}

/// Keys are redacted too: a server may echo anything anywhere.
fn hide_in_json(value: &mut Value, token: &str) {
    match value {
        Value::String(s) => *s = text::redact(s, token),
        Value::Array(items) => items.iter_mut().for_each(|v| hide_in_json(v, token)),
        Value::Object(map) => {
            let fields = std::mem::take(map);
            for (k, mut v) in fields {
                hide_in_json(&mut v, token);
                map.insert(text::redact(&k, token), v);
            }
        }
        _ => {}
    }
}

/// Tab-separated, for the clipboard: spreadsheets split pasted text on tabs and lines, so
/// those characters inside a field become spaces.
pub fn to_tsv(entries: &[&TaskEntry]) -> String {
    tsv_text(entries, None)
}

/// [`to_tsv`] with every echo of the API token replaced.
pub fn to_tsv_redacted(entries: &[&TaskEntry], token: &str) -> String {
    tsv_text(entries, Some(token))
}

fn tsv_text(entries: &[&TaskEntry], token: Option<&str>) -> String {
    let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
    let mut out = FIELDS.join("\t");
    out.push('\n');
    for e in entries {
        let row: Vec<String> = cells(e, token).iter().map(|c| clean(c)).collect();
        out.push_str(&row.join("\t"));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::TaskRecord;
    use crate::engine::Outcome;
    use serde_json::json;
    use std::sync::Arc;

    fn entries() -> Vec<TaskEntry> {
        let prompts = [
            "plain prompt",
            "commas, \"quotes\" and\nnew lines\r\n",
            "non-ASCII: 東京の夜景, café, emoji 🎬",
            "tab\there",
        ];
        prompts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let id = format!("{i:08x}-0000-4000-8000-000000000000");
                let mut e = TaskEntry::new(id.clone());
                let v = json!({"id": id, "created_at": 1766329436.091, "trace_id": "t",
                    "request": {"model": "m", "content": [{"type": "text", "text": p}]},
                    "response": {"success": true, "data": {"status": "succeeded", "video_url": "https://x/v.mp4"}}});
                e.apply(Outcome::Found(Arc::new(TaskRecord::from_value(v).expect("record"))));
                e.note = format!("note, {i}");
                e
            })
            .collect()
    }

    #[test]
    fn csv_parses_back_to_the_same_rows() {
        let list = entries();
        let refs: Vec<&TaskEntry> = list.iter().collect();
        let text = to_csv(&refs).expect("csv");
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = r
            .headers()
            .expect("header")
            .iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(header, FIELDS);
        let rows: Vec<csv::StringRecord> = r.records().map(|r| r.expect("row")).collect();
        assert_eq!(rows.len(), list.len());
        for (row, e) in rows.iter().zip(&list) {
            assert_eq!(&row[0], e.id);
            assert_eq!(&row[1], "succeeded");
            assert_eq!(&row[3], "2025-12-21T15:03:56.091Z");
            assert_eq!(
                Some(&row[6]),
                e.record.as_ref().and_then(|r| r.prompt.as_deref())
            );
            assert_eq!(&row[14], e.note);
        }
    }

    #[test]
    fn json_parses_back_with_the_raw_record() {
        let list = entries();
        let refs: Vec<&TaskEntry> = list.iter().collect();
        let v: Value = serde_json::from_str(&to_json(&refs)).expect("json");
        let arr = v.as_array().expect("array");
        assert_eq!(arr.len(), list.len());
        for (obj, e) in arr.iter().zip(&list) {
            assert_eq!(obj["id"], e.id.as_str());
            assert_eq!(
                obj["prompt"].as_str(),
                e.record.as_ref().and_then(|r| r.prompt.as_deref())
            );
            assert_eq!(Some(&obj["record"]), e.record.as_ref().map(|r| r.raw()));
        }
    }

    #[test]
    fn tsv_has_one_line_per_task() {
        let list = entries();
        let refs: Vec<&TaskEntry> = list.iter().collect();
        let text = to_tsv(&refs);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), list.len() + 1);
        assert!(lines.iter().all(|l| l.split('\t').count() == FIELDS.len()));
        assert!(text.contains("東京の夜景"));
    }

    fn entry_with(prompt: &str, message: &str) -> TaskEntry {
        let id = "00000000-0000-4000-8000-0000000000aa".to_owned();
        let mut e = TaskEntry::new(id.clone());
        let v = json!({"id": id, "created_at": 1766329436.091, "trace_id": "t",
            "request": {"model": "m", "content": [{"type": "text", "text": prompt}]},
            "response": {"success": true, "data": {"status": "failed",
                "error": {"code": "bad", "message": message}}}});
        e.apply(Outcome::Found(Arc::new(
            TaskRecord::from_value(v).expect("record"),
        )));
        e
    }

    #[test]
    fn formulas_are_defused_in_csv_and_tsv() {
        for hostile in [
            "=HYPERLINK(\"http://x\")",
            "+1+1",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
        ] {
            let e = entry_with(hostile, "m");
            let csv_text = to_csv(&[&e]).expect("csv");
            let mut r = csv::Reader::from_reader(csv_text.as_bytes());
            let row = r.records().next().expect("row").expect("parses");
            // The record parser may trim the prompt; whatever it kept is quoted.
            let prompt = e
                .record
                .as_ref()
                .and_then(|r| r.prompt.clone())
                .expect("prompt");
            assert_eq!(row[6], format!("'{prompt}"), "{hostile:?}");
            let tsv = to_tsv(&[&e]);
            let cell = tsv
                .lines()
                .nth(1)
                .expect("row")
                .split('\t')
                .nth(6)
                .expect("cell");
            assert!(cell.starts_with('\''), "{hostile:?} → {cell:?}");
        }
        let plain = entry_with("a calm sea", "m");
        let csv_text = to_csv(&[&plain]).expect("csv");
        assert!(csv_text.contains(",a calm sea,"), "{csv_text}");
    }

    #[test]
    fn redacted_exports_hide_the_token() {
        let token = "sk-LEAKCANARY-0123456789";
        let e = entry_with("p", &format!("token {token} is invalid"));
        assert!(
            to_csv(&[&e]).expect("csv").contains(token),
            "the fixture echoes it"
        );
        let csv_text = to_csv_redacted(&[&e], token).expect("csv");
        assert!(!csv_text.contains(token), "{csv_text}");
        assert!(csv_text.contains(text::REDACTED));
        let json_text = to_json_redacted(&[&e], token);
        assert!(!json_text.contains(token), "{json_text}");
        let parsed: Value = serde_json::from_str(&json_text).expect("still JSON");
        assert!(parsed[0]["record"].is_object());
        assert!(!to_tsv_redacted(&[&e], token).contains(token));
    }
}
