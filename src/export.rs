//! Exports of the shown rows (or the selection): CSV and JSON files with the same fields
//! as the CLI's `--json` (JSON adds the raw record), and TSV for pasting into a
//! spreadsheet.

use crate::task::TaskEntry;
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

fn cells(entry: &TaskEntry) -> Vec<String> {
    let json = entry.to_json();
    FIELDS
        .iter()
        .map(|f| match json.get(*f) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        })
        .collect()
}

/// RFC 4180 CSV (quotes, commas and newlines inside fields are escaped by the `csv` crate).
pub fn to_csv(entries: &[&TaskEntry]) -> Result<String, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(FIELDS).map_err(|e| e.to_string())?;
    for e in entries {
        w.write_record(cells(e)).map_err(|e| e.to_string())?;
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

/// A JSON array: one object per task, the CLI's fields plus `record` (the raw API record).
pub fn to_json(entries: &[&TaskEntry]) -> String {
    let list: Vec<Value> = entries
        .iter()
        .map(|e| {
            let mut obj = e.to_json();
            obj["record"] = e.record.as_ref().map_or(Value::Null, |r| r.raw_owned());
            obj
        })
        .collect();
    serde_json::to_string_pretty(&list).unwrap_or_else(|_| "[]".to_owned())
}

/// Tab-separated, for the clipboard: spreadsheets split pasted text on tabs and lines, so
/// those characters inside a field become spaces.
pub fn to_tsv(entries: &[&TaskEntry]) -> String {
    let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
    let mut out = FIELDS.join("\t");
    out.push('\n');
    for e in entries {
        let row: Vec<String> = cells(e).iter().map(|c| clean(c)).collect();
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
}
