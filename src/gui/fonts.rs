//! Fonts for every script. egui's own fonts cover Latin, Greek, Cyrillic and some symbols,
//! not CJK: prompts in Chinese, Japanese or Korean would be drawn as boxes. The system
//! font provider (eframe's `system_fonts`, built on fontique) finds an installed font for
//! each character the built-in ones lack, on demand. eframe adds it to the window's
//! context (`NativeOptions::system_font_fallback`); [`install`] adds it to any other
//! context, such as a test harness, which never runs eframe's setup.

use std::sync::Arc;

/// Lets `ctx` draw characters its fonts lack with installed system fonts. Effective from
/// the next pass; install once per context (each call adds another provider).
pub fn install(ctx: &egui::Context) {
    ctx.add_font_provider(Arc::new(
        egui_system_font_provider::SystemFontProvider::new(),
    ));
}

/// What to install when CJK characters have no font.
pub const CJK_HINT: &str = "Some characters have no font here: install fonts-noto-cjk \
     (Debian/Ubuntu) or google-noto-sans-cjk-fonts (Fedora)";

/// What to install when other characters have no font.
pub const OTHER_HINT: &str = "Some characters have no font here: install fonts-noto \
     (Debian/Ubuntu) or google-noto-sans-fonts (Fedora)";

/// A hint naming the fonts to install when the grid's font (the `Body` text style) cannot
/// draw every character of `text`; `None` when it can. Takes a `Ui` because egui's fonts
/// exist only during a pass. Asks the font providers for each new character (cached by
/// egui after that), so call it on text about to be shown, not in a loop over a history.
pub fn missing_glyph_hint(ui: &egui::Ui, text: &str) -> Option<&'static str> {
    let font = egui::TextStyle::Body.resolve(ui.style());
    let missing = ui.ctx().fonts_mut(|fonts| {
        text.chars()
            .filter(|c| is_drawn(*c))
            .find(|c| !fonts.has_glyph(&font, *c))
    })?;
    Some(if is_cjk(missing) {
        CJK_HINT
    } else {
        OTHER_HINT
    })
}

/// Whether a character is drawn with a glyph of its own: not a control, a space, or a
/// mark that only joins or modifies its neighbours (no font is expected to have those).
fn is_drawn(c: char) -> bool {
    !c.is_control()
        && !c.is_whitespace()
        && !matches!(c,
            '\u{0300}'..='\u{036F}'   // combining diacritical marks
            | '\u{1AB0}'..='\u{1AFF}'
            | '\u{1DC0}'..='\u{1DFF}'
            | '\u{20D0}'..='\u{20FF}'
            | '\u{200B}'..='\u{200F}' // zero-width space, joiners, direction marks
            | '\u{2060}'..='\u{206F}'
            | '\u{FE00}'..='\u{FE0F}' // variation selectors
            | '\u{FE20}'..='\u{FE2F}'
            | '\u{FEFF}'
            | '\u{E0100}'..='\u{E01EF}')
}

/// Han, kana, Hangul and their punctuation and full-width forms: what Noto CJK covers.
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{1100}'..='\u{11FF}'     // Hangul Jamo
        | '\u{2E80}'..='\u{2FDF}'   // CJK radicals
        | '\u{3000}'..='\u{30FF}'   // CJK punctuation, hiragana, katakana
        | '\u{3100}'..='\u{31FF}'   // bopomofo, Hangul compatibility Jamo, katakana ext.
        | '\u{3200}'..='\u{4DBF}'   // enclosed CJK, compatibility, extension A
        | '\u{4E00}'..='\u{9FFF}'   // CJK unified ideographs
        | '\u{A960}'..='\u{A97F}'
        | '\u{AC00}'..='\u{D7FF}'   // Hangul syllables and Jamo ext. B
        | '\u{F900}'..='\u{FAFF}'   // CJK compatibility ideographs
        | '\u{FE30}'..='\u{FE4F}'
        | '\u{FF00}'..='\u{FFEF}'   // half- and full-width forms
        | '\u{20000}'..='\u{3FFFF}') // extensions B and later
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_scripts() {
        for c in ['橘', 'ひ', 'カ', '한', '。', 'Ａ'] {
            assert!(is_cjk(c), "{c}");
        }
        for c in ['a', 'ß', 'Ж', 'ا', '→'] {
            assert!(!is_cjk(c), "{c}");
        }
        for c in [' ', '\n', '\u{301}', '\u{200D}', '\u{FE0F}'] {
            assert!(!is_drawn(c), "{c:?}");
        }
        assert!(is_drawn('橘'));
    }
}
