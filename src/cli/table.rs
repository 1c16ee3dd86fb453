use crate::api::format_local;
use crate::task::{TaskEntry, unix_now};
use crate::text::{for_terminal, format_elapsed};

const PROMPT_WIDTH: usize = 40;

/// `text` is already one clean line (see [`for_terminal`]).
fn clip(one_line: String, width: usize) -> String {
    if one_line.chars().count() <= width {
        return one_line;
    }
    let mut out: String = one_line.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// An aligned table for people: the result column holds the video link of a success, or
/// the reason of a failure. Every cell comes from the server, so each is cleaned of
/// terminal escapes and has `token` (the API token in use) hidden.
#[cfg(test)]
pub fn render(tasks: &[&TaskEntry], token: Option<&str>) -> String {
    render_with(tasks, token, &|_| None)
}

/// [`render`] with the result cell of some tasks given by `result` (`--save` puts the
/// saved file's path in place of the link).
pub fn render_with(
    tasks: &[&TaskEntry],
    token: Option<&str>,
    result: &dyn Fn(&TaskEntry) -> Option<String>,
) -> String {
    let shown = |text: &str| for_terminal(text, token);
    let now = unix_now();
    let header = [
        "ID", "STATUS", "MODEL", "CREATED", "ELAPSED", "PROMPT", "RESULT",
    ];
    let rows: Vec<[String; 7]> = tasks
        .iter()
        .map(|t| {
            let r = t.record.as_deref();
            let mut status = t.status.to_string();
            if t.timed_out {
                status.push_str(" (timed out)");
            }
            let result = match (result(t), r.and_then(|r| r.video_url.as_deref())) {
                (Some(cell), _) => cell,
                (None, Some(url)) if t.error.is_none() => url.to_owned(),
                _ => t.reason_text(),
            };
            [
                shown(&t.id),
                shown(&status),
                shown(r.and_then(|r| r.model.as_deref()).unwrap_or_default()),
                r.and_then(|r| r.created_at)
                    .and_then(format_local)
                    .unwrap_or_default(),
                t.elapsed(now).map(format_elapsed).unwrap_or_default(),
                clip(
                    shown(r.and_then(|r| r.prompt.as_deref()).unwrap_or("")),
                    PROMPT_WIDTH,
                ),
                clip(shown(&result), 200),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[&str]| {
        let last = cells.len() - 1;
        for (i, cell) in cells.iter().enumerate() {
            out.push_str(cell);
            if i < last {
                let pad = widths[i] - cell.chars().count() + 2;
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        let trimmed = out.trim_end_matches(' ').len();
        out.truncate(trimmed);
        out.push('\n');
    };
    line(&header);
    for row in &rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        line(&cells);
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

    fn failed_with(message: &str, prompt: &str) -> TaskEntry {
        let id = "00000000-0000-4000-8000-0000000000bb".to_owned();
        let mut e = TaskEntry::new(id.clone());
        let v = json!({"id": id, "created_at": 1766329436.091, "elapsed": 65.1,
            "request": {"model": "m\u{1b}]0;title\u{7}", "content": [{"type": "text", "text": prompt}]},
            "response": {"success": true, "data": {"status": "failed",
                "error": {"code": "bad", "message": message}}}});
        e.apply(Outcome::Found(Arc::new(
            TaskRecord::from_value(v).expect("record"),
        )));
        e
    }

    #[test]
    fn elapsed_uses_the_shared_form() {
        let e = failed_with("m", "p");
        assert!(render(&[&e], None).contains("  1m 05s  "));
    }

    #[test]
    fn server_text_cannot_drive_the_terminal() {
        let token = "sk-LEAKCANARY-0123456789";
        let e = failed_with(
            &format!("\u{1b}[2J\u{1b}[1;1Hbad token {token}\u{202e}"),
            "\u{9b}31mprompt\r\nSTATUS forged",
        );
        let text = render(&[&e], Some(token));
        assert!(!text.contains(token), "{text}");
        assert!(text.contains("bad token [token hidden]"), "{text}");
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
        assert!(!text.contains('\u{202e}'));
        assert!(!text.contains("title"), "{text}");
        assert_eq!(text.lines().count(), 2, "one line per task: {text}");
    }

    #[test]
    fn columns_line_up() {
        let a = TaskEntry::new("short");
        let b = TaskEntry::new("a-much-longer-id");
        let text = render(&[&a, &b], None);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        let col = lines[0].find("STATUS").expect("header");
        assert_eq!(lines[1].find("pending"), Some(col));
        assert_eq!(lines[2].find("pending"), Some(col));
        assert_eq!(clip(for_terminal("a\nb", None), 10), "a b");
        assert_eq!(clip("abcdef".into(), 4), "abc…");
    }
}
