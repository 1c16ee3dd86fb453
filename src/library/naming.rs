//! Names for people: `2026-12-01 20.01 A paper boat drifts down a rain-soaked-d9e576bd.mp4`
//! in a `2026-12` folder. A name is built only from the task's creation time, its prompt
//! and its id, and is safe on every common file system: no path separators or characters
//! Windows refuses, no control or bidirectional-override characters, at most
//! [`MAX_PROMPT_CHARS`] characters of prompt and [`MAX_NAME_BYTES`] bytes in all.

use chrono::{DateTime, Local, TimeZone, Utc};

/// Characters of the prompt kept in a name.
pub const MAX_PROMPT_CHARS: usize = 60;
/// The longest file name the library writes, its extension included: well under the
/// 255 bytes of ext4, APFS and NTFS, so a copy into a deeper folder still fits.
pub const MAX_NAME_BYTES: usize = 150;
/// The longest suffix put after a stem (`.last-frame.jpeg`); stems leave room for it.
const LONGEST_SUFFIX: usize = ".last-frame.jpeg".len();
/// Characters of the id in a name: enough to tell a month's tasks apart.
pub const ID_CHARS: usize = 8;

/// The names of one task's files in the library: `month/stem.mp4` and its neighbours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskNames {
    /// `YYYY-MM`, the subfolder.
    pub month: String,
    /// The file name without extension, shared by the video, its last frame and its sidecar.
    pub stem: String,
}

impl TaskNames {
    /// Names for a task created at `created_at` (Unix seconds; `None`: now), shown in the
    /// computer's time zone.
    pub fn new(id: &str, prompt: Option<&str>, created_at: Option<f64>) -> Self {
        Self::with_id_chars(id, prompt, created_at, ID_CHARS)
    }

    /// As [`TaskNames::new`] with the whole id: for the rare second task whose time,
    /// prompt and first 8 id characters match a saved one.
    pub fn with_full_id(id: &str, prompt: Option<&str>, created_at: Option<f64>) -> Self {
        Self::with_id_chars(id, prompt, created_at, usize::MAX)
    }

    fn with_id_chars(id: &str, prompt: Option<&str>, created_at: Option<f64>, n: usize) -> Self {
        let time = local_time(created_at);
        let when = time.format("%Y-%m-%d %H.%M").to_string();
        let month = time.format("%Y-%m").to_string();
        let id: String = safe_id(id).chars().take(n).collect();
        let prompt = safe_prompt(prompt.unwrap_or(""));
        Self {
            month,
            stem: stem(&when, &prompt, &id),
        }
    }

    pub fn video(&self) -> String {
        format!("{}.mp4", self.stem)
    }

    /// `<stem>.last-frame.<ext>`, the extension being the image's real type.
    pub fn last_frame(&self, ext: &str) -> String {
        format!("{}.last-frame.{ext}", self.stem)
    }

    pub fn sidecar(&self) -> String {
        format!("{}.json", self.stem)
    }
}

fn local_time(created_at: Option<f64>) -> DateTime<Local> {
    created_at
        .filter(|s| s.is_finite())
        .and_then(|s| Utc.timestamp_millis_opt((s * 1000.0) as i64).single())
        .map_or_else(Local::now, |t| t.with_timezone(&Local))
}

/// `<when> <prompt>-<id>`, the prompt cut (at a character boundary) until the longest
/// name built on the stem fits [`MAX_NAME_BYTES`].
fn stem(when: &str, prompt: &str, id: &str) -> String {
    let budget = MAX_NAME_BYTES - LONGEST_SUFFIX;
    // The date and a separator come first; what is left goes to the id, then the prompt.
    let id = cut_to_bytes(id, budget.saturating_sub(when.len() + 1));
    if prompt.is_empty() {
        return format!("{when} {id}");
    }
    let room = budget.saturating_sub(when.len() + id.len() + 2);
    let prompt = cut_to_bytes(prompt, room).trim_end();
    if prompt.is_empty() {
        format!("{when} {id}")
    } else {
        format!("{when} {prompt}-{id}")
    }
}

fn cut_to_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Ids are checked elsewhere; here they are only trusted to be text.
fn safe_id(id: &str) -> String {
    let kept: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    if kept.is_empty() { "task".into() } else { kept }
}

/// The prompt's start with its case and its scripts kept: the characters Windows refuses
/// become `_`, line breaks and other controls a space, bidirectional controls (which
/// would make a name read backwards) are dropped, and runs of spaces become one.
pub fn safe_prompt(prompt: &str) -> String {
    let mut out = String::new();
    let mut chars = 0;
    let mut pending_space = false;
    for c in prompt.chars() {
        if chars >= MAX_PROMPT_CHARS {
            break;
        }
        let c = match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() || c.is_whitespace() => ' ',
            c if is_invisible(c) => continue,
            c => c,
        };
        if c == ' ' {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            chars += 1;
            pending_space = false;
            if chars >= MAX_PROMPT_CHARS {
                break;
            }
        }
        out.push(c);
        chars += 1;
    }
    out
}

/// Format characters that change how a name reads or hide part of it.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}'
        | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ID: &str = "d9e576bd-1111-4000-8000-000000000001";

    #[test]
    fn names_read_like_the_readme() {
        // 2026-12-01 20:01 UTC, shown in the local zone: only the shape is checked here.
        let n = TaskNames::new(
            ID,
            Some("A paper boat drifts down a rain-soaked street"),
            Some(1_796_155_260.0),
        );
        assert!(
            n.stem
                .ends_with(" A paper boat drifts down a rain-soaked street-d9e576bd"),
            "{}",
            n.stem
        );
        assert_eq!(n.stem.len(), "2026-12-01 20.01".len() + 1 + 45 + 9);
        assert_eq!(&n.stem[..4], &n.month[..4]);
        assert!(n.video().ends_with("-d9e576bd.mp4"));
        assert!(n.last_frame("png").ends_with("-d9e576bd.last-frame.png"));
        assert!(n.sidecar().ends_with("-d9e576bd.json"));
    }

    #[test]
    fn hostile_prompts_stay_in_their_folder() {
        let n = TaskNames::new(ID, Some("../../etc/passwd"), Some(0.0));
        assert!(n.stem.ends_with(" .._.._etc_passwd-d9e576bd"), "{}", n.stem);
        let n = TaskNames::new(ID, Some("?!...:*"), Some(0.0));
        assert!(n.stem.ends_with(" _!...__-d9e576bd"), "{}", n.stem);
        let n = TaskNames::new(ID, Some("  \n\t "), Some(0.0));
        assert_eq!(n.stem.split(' ').nth(2), Some("d9e576bd"), "{}", n.stem);
        let n = TaskNames::new("../..", Some("x"), Some(0.0));
        assert!(n.stem.ends_with(" x-task"), "{}", n.stem);
        let n = TaskNames::new(ID, Some("evil\u{202e}gpj.exe"), Some(0.0));
        assert!(n.stem.contains("evilgpj.exe-"), "{}", n.stem);
    }

    #[test]
    fn long_and_cjk_prompts_fit() {
        let n = TaskNames::new(ID, Some(&"a".repeat(300)), Some(0.0));
        assert!(
            n.stem
                .contains(&format!(" {}-", "a".repeat(MAX_PROMPT_CHARS)))
        );
        let cjk = "一只纸船顺着被雨水浸透的街道漂流而下，霓虹灯倒映在水面上，镜头缓缓跟随，电影感十足的画面，夜晚的城市";
        let n = TaskNames::new(ID, Some(cjk), Some(0.0));
        assert!(n.stem.contains("一只纸船"), "{}", n.stem);
        assert!(n.last_frame("jpeg").len() <= MAX_NAME_BYTES);
        assert!(n.stem.ends_with("-d9e576bd"));
    }

    #[test]
    fn a_full_id_is_used_when_asked() {
        let n = TaskNames::with_full_id(ID, Some("p"), Some(0.0));
        assert!(n.stem.ends_with(&format!("p-{ID}")), "{}", n.stem);
    }

    proptest! {
        #[test]
        fn any_prompt_gives_a_safe_name(prompt in ".{0,400}", id in "[ -~]{0,80}") {
            let n = TaskNames::new(&id, Some(&prompt), Some(1_796_155_260.0));
            for name in [n.video(), n.last_frame("jpeg"), n.sidecar()] {
                prop_assert!(name.len() <= MAX_NAME_BYTES, "{} bytes: {name}", name.len());
                prop_assert!(!name.chars().any(|c| matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') || c.is_control()), "{name:?}");
                prop_assert!(!name.starts_with('.') && !name.starts_with(' '));
                prop_assert!(std::path::Path::new(&name).components().count() == 1);
            }
            let prompt_part = safe_prompt(&prompt);
            prop_assert!(prompt_part.chars().count() <= MAX_PROMPT_CHARS);
            prop_assert!(!prompt_part.starts_with(' ') && !prompt_part.contains("  "));
        }
    }
}
