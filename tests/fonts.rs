//! Prompts in every script are drawn with real glyphs: with the system font provider
//! installed, the grid's font (the `Body` text style) has glyphs for Chinese, Japanese and
//! Korean, and a CJK prompt lays out without a single missing-glyph box.
//!
//! The system fonts are the machine's: without a CJK font installed the provider test
//! skips with a message, unless SEEDANCE_REQUIRE_FONTS=1 (CI installs fonts-noto-cjk and
//! sets it), which turns the skip into a failure.

use egui::{Color32, FontId, MissingGlyphPolicy, RawInput, TextStyle};
use seedance_tasks::gui::fonts;

const SAMPLES: [&str; 3] = ["橘猫", "ひらがな", "한국어"];
/// The arrows of the grid's headers and status line, which egui's own fonts lack.
const SYMBOLS: &str = "▲▼→";
const PROMPT: &str = "一只橘猫在窗台上打盹，阳光洒落。ひらがなとカタカナ、한국어도 --ratio 16:9";

fn required() -> bool {
    std::env::var("SEEDANCE_REQUIRE_FONTS").is_ok_and(|v| v == "1")
}

/// Runs one pass of `ctx` and hands its root `Ui` to `f`.
fn in_a_pass<R>(ctx: &egui::Context, f: impl FnOnce(&mut egui::Ui) -> R) -> R {
    let mut f = Some(f);
    let mut out = None;
    let mut output = ctx.run_ui(RawInput::default(), |ui| {
        if let Some(f) = f.take() {
            out = Some(f(ui));
        }
    });
    // No painter here to upload the font atlas to.
    output.textures_delta.clear();
    out.expect("the pass ran the closure")
}

fn body_font(ui: &egui::Ui) -> FontId {
    TextStyle::Body.resolve(ui.style())
}

/// egui's own fonts, as a context without the provider has them: no CJK, and the hint
/// names the package to install. Needs no system font, so it never skips.
#[test]
fn without_the_provider_cjk_is_missing_and_the_hint_says_what_to_install() {
    let ctx = egui::Context::default();
    in_a_pass(&ctx, |ui| {
        let font = body_font(ui);
        let covered = ui
            .ctx()
            .fonts_mut(|f| SAMPLES.iter().any(|s| f.has_glyphs(&font, s)));
        assert!(!covered, "egui's own fonts were expected to lack CJK");
        assert_eq!(fonts::missing_glyph_hint(ui, PROMPT), Some(fonts::CJK_HINT));
        assert_eq!(
            fonts::missing_glyph_hint(ui, "A cat naps --ratio 16:9, café"),
            None
        );
        // Not even the arrows the grid's headers use: egui's emoji fonts lack them.
        assert_eq!(
            fonts::missing_glyph_hint(ui, "sorted ▲ ▼ →"),
            Some(fonts::OTHER_HINT)
        );
        assert_eq!(fonts::missing_glyph_hint(ui, ""), None);
    });
}

#[test]
fn with_the_provider_the_grid_font_covers_cjk() {
    let ctx = egui::Context::default();
    fonts::install(&ctx);
    // The provider takes effect from the pass after it was added.
    in_a_pass(&ctx, |_| ());
    let missing: Vec<&str> = in_a_pass(&ctx, |ui| {
        let font = body_font(ui);
        assert_eq!(font.family, egui::FontFamily::Proportional);
        ui.ctx().fonts_mut(|f| {
            SAMPLES
                .iter()
                .copied()
                .chain([SYMBOLS])
                .filter(|s| !f.has_glyphs(&font, s))
                .collect()
        })
    });
    if !missing.is_empty() {
        let message = format!(
            "no installed font has glyphs for {missing:?}: install fonts-noto-cjk \
             (and fontconfig)"
        );
        assert!(!required(), "SEEDANCE_REQUIRE_FONTS=1 but {message}");
        eprintln!("skipping: {message}");
        return;
    }

    // Any box drawn for a missing glyph now panics instead of passing unseen.
    ctx.set_missing_glyph_policy(MissingGlyphPolicy::Panic);
    in_a_pass(&ctx, |ui| {
        assert_eq!(fonts::missing_glyph_hint(ui, PROMPT), None);
        let font = body_font(ui);
        let galley = ui
            .ctx()
            .fonts_mut(|f| f.layout_no_wrap(PROMPT.to_owned(), font.clone(), Color32::WHITE));
        let glyphs: Vec<char> = galley
            .rows
            .iter()
            .flat_map(|r| r.row.glyphs.iter().map(|g| g.chr))
            .collect();
        let laid_out: String = glyphs.iter().collect();
        assert_eq!(laid_out, PROMPT, "every character laid out, in order");
        let without_glyph: Vec<char> = ui.ctx().fonts_mut(|f| {
            glyphs
                .iter()
                .copied()
                .filter(|c| !c.is_whitespace() && !f.has_glyph(&font, *c))
                .collect()
        });
        assert!(
            without_glyph.is_empty(),
            "drawn as boxes: {without_glyph:?}"
        );
    });
}
