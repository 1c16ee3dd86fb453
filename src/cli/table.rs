use crate::api::format_local;
use crate::task::{TaskEntry, unix_now};

const PROMPT_WIDTH: usize = 40;

fn clip(text: &str, width: usize) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if one_line.chars().count() <= width {
        return one_line;
    }
    let mut out: String = one_line.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

pub fn format_elapsed(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// An aligned table for people: the result column holds the video link of a success, or
/// the reason of a failure.
pub fn render(tasks: &[&TaskEntry]) -> String {
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
            let result = match r.and_then(|r| r.video_url.as_deref()) {
                Some(url) if t.error.is_none() => url.to_owned(),
                _ => t.reason_text(),
            };
            [
                t.id.clone(),
                status,
                r.and_then(|r| r.model.clone()).unwrap_or_default(),
                r.and_then(|r| r.created_at)
                    .and_then(format_local)
                    .unwrap_or_default(),
                t.elapsed(now).map(format_elapsed).unwrap_or_default(),
                clip(
                    r.and_then(|r| r.prompt.as_deref()).unwrap_or(""),
                    PROMPT_WIDTH,
                ),
                clip(&result, 200),
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

    #[test]
    fn elapsed_is_short() {
        assert_eq!(format_elapsed(5.2), "5s");
        assert_eq!(format_elapsed(65.1), "1m05s");
        assert_eq!(format_elapsed(7300.0), "2h01m");
    }

    #[test]
    fn columns_line_up() {
        let a = TaskEntry::new("short");
        let b = TaskEntry::new("a-much-longer-id");
        let text = render(&[&a, &b]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        let col = lines[0].find("STATUS").expect("header");
        assert_eq!(lines[1].find("pending"), Some(col));
        assert_eq!(lines[2].find("pending"), Some(col));
        assert_eq!(clip("a\nb", 10), "a b");
        assert_eq!(clip("abcdef", 4), "abc…");
    }
}
