//! Text helpers shared by the window, the CLI and the exports: durations as people read
//! them, server text made safe for a terminal, and the API token kept out of what is shown.

/// What replaces the API token wherever a server message echoes it.
pub const REDACTED: &str = "[token hidden]";

/// Shorter tokens are not searched for: redacting every "a" would garble the message and
/// no real token is that short.
const MIN_SECRET_CHARS: usize = 8;

/// A duration in seconds, as the window shows it: "45s", "1m 05s", "2h 03m", and past a
/// day "3 d 4 h". Negative or not-a-number durations read as "0s".
pub fn format_elapsed(seconds: f64) -> String {
    // `as` saturates and maps NaN to 0: no input panics.
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3_599 => format!("{}m {:02}s", s / 60, s % 60),
        3_600..=86_399 => format!("{}h {:02}m", s / 3_600, (s % 3_600) / 60),
        _ => format!("{} d {} h", s / 86_400, (s % 86_400) / 3_600),
    }
}

/// Server text made safe to print on one line of a terminal: escape sequences (CSI, OSC
/// and the other ESC forms, in their 7- and 8-bit spellings) are removed with their
/// parameters, line breaks, tabs and the Unicode line and paragraph separators become
/// spaces, and every other control character, bidirectional override and invisible
/// character (zero-width spaces and joiners, the BOM, soft hyphens) is dropped — so a
/// record cannot move the cursor, retitle the window, hide text or reorder what the user
/// reads.
pub fn clean_for_terminal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    out.extend(Visible::new(text).map(|(_, c)| c));
    out
}

/// The characters of `text` a terminal shows, each with its byte offset in `text`.
struct Visible<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
}

impl<'a> Visible<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            chars: text.char_indices().peekable(),
        }
    }
}

impl Iterator for Visible<'_> {
    type Item = (usize, char);

    fn next(&mut self) -> Option<(usize, char)> {
        while let Some((at, c)) = self.chars.next() {
            match c {
                '\u{1b}' => match self.chars.next() {
                    Some((_, '[')) => skip_csi(&mut self.chars),
                    Some((_, ']' | 'P' | 'X' | '^' | '_')) => skip_string(&mut self.chars),
                    // Two-character forms (ESC 7, ESC c, …): the second one goes too.
                    _ => {}
                },
                '\u{9b}' => skip_csi(&mut self.chars),
                '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => {
                    skip_string(&mut self.chars)
                }
                '\n' | '\r' | '\t' | '\u{2028}' | '\u{2029}' => return Some((at, ' ')),
                c if c.is_control() || is_bidi_control(c) || is_invisible(c) => {}
                c => return Some((at, c)),
            }
        }
        None
    }
}

/// Whether `text` holds anything [`clean_for_terminal`] would remove or change.
fn has_hidden(text: &str) -> bool {
    text.chars().any(|c| {
        c.is_control()
            || is_bidi_control(c)
            || is_invisible(c)
            || matches!(c, '\u{2028}' | '\u{2029}')
    })
}

/// `text` with every occurrence of `token` replaced by [`REDACTED`]. Servers sometimes
/// echo the credential they refused; what they say is then shown, logged or saved.
///
/// Also when escape sequences, control or invisible characters are put between its
/// characters (`TOKE\x1b[31mN-SECRET` shows as the whole token on a terminal): the whole
/// stretch from its first to its last character is replaced.
pub fn redact(text: &str, token: &str) -> String {
    let token = token.trim();
    if token.chars().count() < MIN_SECRET_CHARS {
        return text.to_owned();
    }
    if has_hidden(text) {
        return redact_spread(text, token);
    }
    if !text.contains(token) {
        return text.to_owned();
    }
    text.replace(token, REDACTED)
}

/// Whether [`redact`] would hide something in `text`: the token itself, or its letters
/// with only what a terminal does not show between them.
pub fn holds_token(text: &str, token: &str) -> bool {
    let token = token.trim();
    if token.chars().count() < MIN_SECRET_CHARS {
        return false;
    }
    if text.contains(token) {
        return true;
    }
    has_hidden(text) && redact_spread(text, token) != text
}

/// [`redact`] of `text` when it holds the token ([`holds_token`]), `None` when it does
/// not: one pass where the two would take two.
pub fn redacted_if_held(text: &str, token: &str) -> Option<String> {
    let token = token.trim();
    if token.chars().count() < MIN_SECRET_CHARS {
        return None;
    }
    if has_hidden(text) {
        let hidden = redact_spread(text, token);
        return (hidden != text).then_some(hidden);
    }
    text.contains(token).then(|| text.replace(token, REDACTED))
}

/// [`redact`] where the token may be split by what a terminal does not show.
fn redact_spread(text: &str, token: &str) -> String {
    let shown: Vec<(usize, char)> = Visible::new(text).collect();
    let wanted: Vec<char> = token.chars().collect();
    let mut out = String::with_capacity(text.len());
    let (mut copied, mut i) = (0, 0);
    while i + wanted.len() <= shown.len() {
        let matches = shown[i..i + wanted.len()]
            .iter()
            .zip(&wanted)
            .all(|((_, c), w)| c == w);
        if !matches {
            i += 1;
            continue;
        }
        let start = shown[i].0;
        let (last_at, _) = shown[i + wanted.len() - 1];
        let end = last_at + text[last_at..].chars().next().map_or(0, char::len_utf8);
        out.push_str(&text[copied..start]);
        out.push_str(REDACTED);
        copied = end;
        i += wanted.len();
    }
    out.push_str(&text[copied..]);
    out
}

/// Every string of `value` (keys too) with `token` hidden as [`redact`] does: for JSON
/// output, where an escape inside a string is written as `\u001b` and so would hide a
/// split token from a redaction of the printed line.
pub fn redact_json(value: &mut serde_json::Value, token: &str) {
    use serde_json::Value;
    match value {
        Value::String(s) => *s = redact(s, token),
        Value::Array(items) => items.iter_mut().for_each(|v| redact_json(v, token)),
        Value::Object(map) => {
            let old = std::mem::take(map);
            for (k, mut v) in old {
                redact_json(&mut v, token);
                map.insert(redact(&k, token), v);
            }
        }
        _ => {}
    }
}

/// [`redact`] of a text the caller owns: handed back as it is (not copied) when it holds
/// no token, which is what a big API answer almost always does.
pub fn redact_owned(text: String, token: &str) -> String {
    let trimmed = token.trim();
    if trimmed.chars().count() < MIN_SECRET_CHARS || !text.contains(trimmed) {
        return text;
    }
    text.replace(trimmed, REDACTED)
}

/// How many characters of server text one stderr line quotes: enough for any message
/// the API writes, short enough that a megabyte one does not flood a log.
pub const STDERR_MAX_CHARS: usize = 500;

/// `text` cut to `max` characters, with `…` where it was cut.
pub fn clip_chars(text: String, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text,
        Some((at, _)) => {
            let mut out = text[..at].to_owned();
            out.push('…');
            out
        }
    }
}

/// [`for_terminal`], cut to [`STDERR_MAX_CHARS`]: server text quoted on stderr.
pub fn for_stderr(text: &str, token: Option<&str>) -> String {
    clip_chars(for_terminal(text, token), STDERR_MAX_CHARS)
}

/// Both at once, for anything from the server that goes to a terminal.
pub fn for_terminal(text: &str, token: Option<&str>) -> String {
    match token {
        // Redacted after cleaning too: an escape sequence inside the token's echo must not
        // split it into pieces that survive.
        Some(t) => redact(&clean_for_terminal(&redact(text, t)), t),
        None => clean_for_terminal(text),
    }
}

type Chars<'a> = std::iter::Peekable<std::str::CharIndices<'a>>;

/// Control Sequence: parameter and intermediate bytes up to a final byte in `@`..=`~`.
fn skip_csi(chars: &mut Chars<'_>) {
    for (_, c) in chars.by_ref() {
        if ('@'..='~').contains(&c) {
            return;
        }
    }
}

/// Operating System Command and the other string controls: up to BEL, ST (ESC \) or the
/// 8-bit ST.
fn skip_string(chars: &mut Chars<'_>) {
    while let Some((_, c)) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => return,
            '\u{1b}' => {
                if chars.peek().map(|(_, c)| *c) == Some('\\') {
                    chars.next();
                }
                return;
            }
            _ => {}
        }
    }
}

/// Characters that take no room: zero-width spaces, joiners and non-joiners, the word
/// joiner and invisible operators, the BOM, the soft hyphen, the Mongolian vowel
/// separator, the Hangul fillers and the tag characters. Text can hide behind them (an id
/// that looks like another, a token split in two).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{034f}'
            | '\u{115f}'
            | '\u{1160}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200d}'
            | '\u{2060}'..='\u{2064}'
            | '\u{3164}'
            | '\u{feff}'
            | '\u{ffa0}'
            | '\u{e0000}'..='\u{e007f}'
    )
}

fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
    )
}

/// "1 task", "3 tasks": counts that read naturally for one and for many.
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_if_held_agrees_with_holds_token_and_redact() {
        let token = "sk-abcdef0123456789";
        for text in [
            "plain sk-abcdef0123456789 here",
            "split sk-abc\u{1b}[31mdef0123456789 here",
            "zero sk-abcdef\u{200b}0123456789 width",
            "nothing of it",
            "sk-abcdef012345678 one short",
        ] {
            let once = redacted_if_held(text, token);
            assert_eq!(once.is_some(), holds_token(text, token), "{text:?}");
            assert_eq!(
                once.unwrap_or_else(|| text.to_owned()),
                redact(text, token),
                "{text:?}"
            );
        }
    }

    #[test]
    fn elapsed_reads_like_the_window() {
        assert_eq!(format_elapsed(0.0), "0s");
        assert_eq!(format_elapsed(45.2), "45s");
        assert_eq!(format_elapsed(65.1), "1m 05s");
        assert_eq!(format_elapsed(3_599.0), "59m 59s");
        assert_eq!(format_elapsed(7_380.0), "2h 03m");
        assert_eq!(format_elapsed(86_399.0), "23h 59m");
        assert_eq!(format_elapsed(86_400.0), "1 d 0 h");
        assert_eq!(
            format_elapsed(3.0 * 86_400.0 + 4.0 * 3_600.0 + 59.0),
            "3 d 4 h"
        );
        // 8210 hours is a year old task, not "8210h 03m".
        assert_eq!(format_elapsed(8_210.0 * 3_600.0 + 180.0), "342 d 2 h");
    }

    #[test]
    fn odd_durations_do_not_panic() {
        assert_eq!(format_elapsed(-5.0), "0s");
        assert_eq!(format_elapsed(f64::NAN), "0s");
        assert!(format_elapsed(f64::INFINITY).ends_with(" h"));
        assert!(format_elapsed(1e300).ends_with(" h"));
    }

    #[test]
    fn escape_sequences_are_removed_whole() {
        assert_eq!(clean_for_terminal("\u{1b}[31mred\u{1b}[0m"), "red");
        assert_eq!(clean_for_terminal("a\u{1b}[2J\u{1b}[1;1Hb"), "ab");
        // OSC: window title and hyperlinks, ended by BEL or ST.
        assert_eq!(clean_for_terminal("\u{1b}]0;pwned\u{7}ok"), "ok");
        assert_eq!(
            clean_for_terminal("\u{1b}]8;;https://evil\u{1b}\\click\u{1b}]8;;\u{1b}\\"),
            "click"
        );
        assert_eq!(clean_for_terminal("\u{9b}31mred"), "red");
        assert_eq!(clean_for_terminal("\u{9d}0;t\u{9c}ok"), "ok");
        assert_eq!(clean_for_terminal("x\u{1b}cy"), "xy");
        // An unterminated sequence eats the rest rather than leaking half of it.
        assert_eq!(clean_for_terminal("ok\u{1b}[31"), "ok");
        assert_eq!(clean_for_terminal("ok\u{1b}"), "ok");
    }

    #[test]
    fn controls_and_bidi_overrides_are_removed() {
        assert_eq!(clean_for_terminal("a\nb\r\nc\td"), "a b  c d");
        assert_eq!(clean_for_terminal("a\u{0}\u{7}\u{8}\u{7f}\u{85}b"), "ab");
        assert_eq!(
            clean_for_terminal("abc\u{202e}fed\u{2066}\u{2069}"),
            "abcfed"
        );
        assert_eq!(clean_for_terminal("東京 café 🎬"), "東京 café 🎬");
    }

    #[test]
    fn the_token_is_redacted() {
        let token = "sk-LEAKCANARY-123456";
        assert_eq!(
            redact(&format!("bad token {token}, again {token}"), token),
            format!("bad token {REDACTED}, again {REDACTED}")
        );
        assert_eq!(redact("nothing here", token), "nothing here");
        // Too short to be a token: left alone rather than garbling the text.
        assert_eq!(redact("a b c", "a"), "a b c");
        assert_eq!(redact("x", ""), "x");
    }

    #[test]
    fn invisible_characters_and_separators_are_not_printed() {
        assert_eq!(
            clean_for_terminal("a\u{200b}b\u{200c}c\u{200d}d\u{feff}e\u{2060}f\u{ad}g"),
            "abcdefg"
        );
        assert_eq!(
            clean_for_terminal("one\u{2028}two\u{2029}three"),
            "one two three"
        );
        assert_eq!(clean_for_terminal("\u{e0041}tag"), "tag");
    }

    #[test]
    fn a_token_split_by_hidden_characters_is_redacted_whole() {
        let token = "sk-LEAKCANARY-123456";
        for split in [
            "sk-LEAK\u{1b}[31mCANARY-123456",
            "sk-LEAK\u{200b}CANARY-123456",
            "sk-\u{1b}]0;x\u{7}LEAKCANARY\u{feff}-123456",
        ] {
            let text = format!("echo: {split}!");
            assert_eq!(
                redact(&text, token),
                format!("echo: {REDACTED}!"),
                "{split:?}"
            );
        }
        let mut v = serde_json::json!({"m": "sk-LEAK\u{1b}[0mCANARY-123456", "n": [token]});
        redact_json(&mut v, token);
        assert!(!v.to_string().contains("CANARY"), "{v}");
        assert_eq!(redact("plain \u{200b} text", token), "plain \u{200b} text");
    }

    #[test]
    fn stderr_text_is_clipped() {
        assert_eq!(clip_chars("abcdef".into(), 3), "abc…");
        assert_eq!(clip_chars("abc".into(), 3), "abc");
        assert_eq!(clip_chars("ééé".into(), 2), "éé…");
        let long = "x".repeat(1 << 20);
        assert_eq!(
            for_stderr(&long, None).chars().count(),
            STDERR_MAX_CHARS + 1
        );
    }

    #[test]
    fn a_decoded_token_is_held() {
        let token = "sk-HOLDS-secret-77";
        assert!(holds_token("echo sk-HOLDS-secret-77", token));
        assert!(holds_token("sk-HO\u{1b}[31mLDS-secret-77", token));
        assert!(holds_token("sk-HO\u{200b}LDS-secret-77", token));
        assert!(!holds_token("nothing", token));
        assert!(!holds_token("aaaa", "a"));
    }

    #[test]
    fn terminal_text_is_clean_and_redacted() {
        let token = "sk-LEAKCANARY-123456";
        let hostile = format!("\u{1b}[31m{token}\u{1b}[0m and sk-LEAK\u{1b}[0mCANARY-123456");
        let shown = for_terminal(&hostile, Some(token));
        assert!(!shown.contains(token), "{shown}");
        assert!(!shown.contains('\u{1b}'));
        assert_eq!(for_terminal("a\nb", None), "a b");
    }
}
