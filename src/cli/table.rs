use crate::api::format_local;
use crate::task::{TaskEntry, unix_now};
use crate::text::{for_terminal, format_elapsed};
use unicode_width::UnicodeWidthChar;

/// The most columns each cell takes, in the header's order: whatever the API sends, a
/// line is at most the sum of these plus the gaps, under [`MAX_LINE`]. `--json` has the
/// full values.
const CELL_WIDTHS: [usize; 7] = [64, 32, 48, 24, 16, 40, 760];

/// Columns between two cells.
const GAP: usize = 2;

/// No line of the table is wider than this (or has more characters).
pub const MAX_LINE: usize = 1000;

const _: () = {
    let mut total = GAP * (CELL_WIDTHS.len() - 1);
    let mut i = 0;
    while i < CELL_WIDTHS.len() {
        total += CELL_WIDTHS[i];
        i += 1;
    }
    assert!(total <= MAX_LINE);
};

/// How many columns `c` takes (a Chinese character two). A character that takes none (a
/// combining accent) counts as one, in the clip and in the padding alike: then a line
/// never has more characters than columns, whatever the API sends, at the price of a
/// column of shift after a cell with decomposed accents.
fn cost(c: char) -> usize {
    c.width().unwrap_or(0).max(1)
}

/// The columns `text` takes by [`cost`].
fn columns(text: &str) -> usize {
    text.chars().map(cost).sum()
}

/// `one_line` (already one clean line, see [`for_terminal`]) cut to `width` columns, with
/// `…` where it was cut.
fn clip(one_line: String, width: usize) -> String {
    if columns(&one_line) <= width {
        return one_line;
    }
    let mut out = String::new();
    let mut used = 0;
    for c in one_line.chars() {
        if used + cost(c) > width.saturating_sub(1) {
            break;
        }
        used += cost(c);
        out.push(c);
    }
    out.push('…');
    out
}

/// An aligned table for people: the result column holds the video link of a success, or
/// the reason of a failure. Every cell comes from the server, so each is cleaned of
/// terminal escapes, has `token` (the API token in use) hidden and is clipped to its
/// column's most. Columns are aligned by the width a terminal gives each character (a
/// Chinese character takes two).
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
            let cells = [
                shown(&t.id),
                shown(&status),
                shown(r.and_then(|r| r.model.as_deref()).unwrap_or_default()),
                r.and_then(|r| r.created_at)
                    .and_then(format_local)
                    .unwrap_or_default(),
                t.elapsed(now).map(format_elapsed).unwrap_or_default(),
                shown(r.and_then(|r| r.prompt.as_deref()).unwrap_or("")),
                shown(&result),
            ];
            let mut i = 0;
            cells.map(|cell| {
                let width = CELL_WIDTHS[i];
                i += 1;
                clip(cell, width)
            })
        })
        .collect();
    let mut widths = header.map(columns);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(columns(cell));
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[&str]| {
        let last = cells.len() - 1;
        for (i, cell) in cells.iter().enumerate() {
            out.push_str(cell);
            if i < last {
                let pad = widths[i].saturating_sub(columns(cell)) + GAP;
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
    use unicode_width::UnicodeWidthStr;

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
        assert_eq!(clip("東京東京".into(), 5), "東京…", "by columns");
    }

    /// The column where `needle` starts on `line`, counted in terminal columns.
    fn column_of(line: &str, needle: &str) -> Option<usize> {
        line.find(needle).map(|at| line[..at].width())
    }

    #[test]
    fn a_chinese_prompt_does_not_shift_the_columns() {
        let wide = failed_with("quota", "一只猫在雨中的东京街头散步，电影感镜头，慢动作");
        let narrow = failed_with("quota", "a cat walks in Tokyo");
        let text = render(&[&wide, &narrow], None);
        let lines: Vec<&str> = text.lines().collect();
        let col = column_of(lines[0], "RESULT").expect("header");
        assert_eq!(column_of(lines[1], "bad: quota"), Some(col), "{text}");
        assert_eq!(column_of(lines[2], "bad: quota"), Some(col), "{text}");
        assert!(lines[1].contains('…'), "clipped at 40 columns: {text}");
    }

    #[test]
    fn no_line_is_longer_than_the_most_whatever_the_cells() {
        let huge = "M".repeat(1 << 20);
        let mut e = failed_with(&"r".repeat(1 << 20), &"\u{301}".repeat(1 << 16));
        let v = json!({"id": e.id, "request": {"model": huge},
            "response": {"data": {"status": "x".repeat(5000), "video_url": format!("https://x/{huge}")}}});
        let mut other = TaskEntry::new("00000000-0000-4000-8000-0000000000cc");
        other.apply(Outcome::Found(Arc::new(
            TaskRecord::from_value(v).expect("record"),
        )));
        e.timed_out = true;
        let text = render(&[&e, &other], None);
        for line in text.lines() {
            assert!(line.chars().count() <= MAX_LINE, "{}", line.chars().count());
            assert!(line.width() <= MAX_LINE);
        }
        assert!(
            text.lines().next().is_some_and(|h| h.len() < 400),
            "the header stays short"
        );
    }
}
