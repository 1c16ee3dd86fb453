use crate::api::Status;
use egui::Color32;

/// Badge colours; the status word is always printed too (never colour alone).
pub fn status_color(status: &Status, dark: bool) -> Color32 {
    let (light, dark_c) = match status {
        Status::Succeeded => (
            Color32::from_rgb(0x1a, 0x7f, 0x37),
            Color32::from_rgb(0x3f, 0xb9, 0x50),
        ),
        Status::Running => (
            Color32::from_rgb(0x09, 0x69, 0xda),
            Color32::from_rgb(0x58, 0xa6, 0xff),
        ),
        Status::Queued | Status::Pending => (
            Color32::from_rgb(0x6e, 0x77, 0x81),
            Color32::from_rgb(0x8b, 0x94, 0x9e),
        ),
        Status::Failed | Status::Error => (
            Color32::from_rgb(0xcf, 0x22, 0x2e),
            Color32::from_rgb(0xf8, 0x51, 0x49),
        ),
        Status::Cancelled | Status::Expired | Status::NotFound => (
            Color32::from_rgb(0x9a, 0x67, 0x00),
            Color32::from_rgb(0xd2, 0x99, 0x22),
        ),
        Status::Other(_) => (
            Color32::from_rgb(0x82, 0x50, 0xdf),
            Color32::from_rgb(0xa3, 0x71, 0xf7),
        ),
    };
    if dark { dark_c } else { light }
}

pub fn status_label(status: &Status) -> String {
    status.label()
}

/// A coloured badge with the status word in it.
/// A stale task (unfinished 72 h after it was created) reads "running · stale": the word
/// says it, not a colour.
pub fn badge(ui: &mut egui::Ui, status: &Status, awaiting: bool, stale: bool) -> egui::Response {
    let color = status_color(status, ui.visuals().dark_mode);
    let mut text = status_label(status);
    if stale {
        text.push_str(" · stale");
    }
    if awaiting {
        text.push_str(" …");
    }
    let mut label = egui::RichText::new(text)
        .color(Color32::WHITE)
        .small()
        .strong();
    if status.is_api_word() {
        // The API's own word (italics and a tooltip), never mistaken for the app's
        // "error" for a request that failed.
        label = label.italics();
    }
    let response = egui::Frame::new()
        .fill(if stale {
            color.gamma_multiply(0.6)
        } else {
            color
        })
        .corner_radius(4.0)
        .inner_margin(egui::Margin::symmetric(6, 1))
        .show(ui, |ui| ui.label(label))
        .inner;
    match status.tooltip() {
        Some(t) => response.on_hover_text(t),
        None if stale => response.on_hover_text(
            "Stale: still unfinished 72 hours after it was created, so no longer asked",
        ),
        None => response,
    }
}

/// The yellow " DEMO " tag beside the title and in the status line.
pub fn demo_badge(ui: &mut egui::Ui) -> egui::Response {
    ui.label(
        egui::RichText::new(" DEMO ")
            .strong()
            .color(Color32::BLACK)
            .background_color(Color32::from_rgb(0xf2, 0xc9, 0x4c)),
    )
}
