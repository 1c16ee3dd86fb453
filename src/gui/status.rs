//! The status line (what is in flight, retries, rate-limit waits) and the banners for a
//! stopped engine (token rejected, balance used up) and for failed batches.

use crate::api::ApiError;
use crate::book::FailureGroup;
use crate::engine::Activity;
use std::time::{Duration, Instant};

#[derive(Default)]
pub struct StatusLine {
    pub activity: Activity,
    /// The last retry notice and when it was given.
    pub retry: Option<(Instant, Duration, String)>,
    /// A one-off message (an export's path, a launcher's failure) shown until dismissed
    /// or replaced.
    pub message: Option<StatusMessage>,
}

/// How a status message is drawn: information in the normal text colour, so "Exported
/// to …" does not look like a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMessage {
    pub severity: Severity,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StatusIntent {
    OpenTokenPanel,
    Retry(Vec<String>),
    RefreshAll,
    SetWatching(bool),
    DismissMessage,
}

impl StatusLine {
    /// Shows `text` (a sentence, or an error, whose Display is one) until replaced.
    pub fn say(&mut self, severity: Severity, text: impl std::fmt::Display) {
        self.message = Some(StatusMessage {
            severity,
            text: text.to_string(),
        });
    }

    /// The one banner for an auth or balance stop (never one error per row): `halted` is
    /// the session's reason, when querying stopped.
    pub fn banner(ui: &mut egui::Ui, halted: Option<&ApiError>) -> Option<StatusIntent> {
        let error = halted?;
        let mut intent = None;
        let title = if error.is_balance() {
            "Your AceDataCloud balance is used up: querying stopped."
        } else {
            "The API rejected the token: querying stopped."
        };
        egui::Frame::new()
            .fill(ui.visuals().error_fg_color.gamma_multiply(0.15))
            .inner_margin(6)
            .corner_radius(4)
            .show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.colored_label(
                        ui.visuals().error_fg_color,
                        egui::RichText::new(title).strong(),
                    );
                    ui.label(error.to_string());
                    let button = if error.is_balance() {
                        "Top up, then retry"
                    } else {
                        "Fix the token"
                    };
                    if ui.button(button).clicked() {
                        intent = Some(StatusIntent::OpenTokenPanel);
                    }
                });
            });
        intent
    }

    /// A notice for ids whose last question failed (network, server): one line per
    /// kind of error with a Retry for its ids, the largest groups first; past three, one
    /// "and N more" line retries the rest.
    pub fn failed_batches(
        &self,
        ui: &mut egui::Ui,
        failed: &[FailureGroup],
    ) -> Option<StatusIntent> {
        const SHOWN: usize = 3;
        let mut intent = None;
        for group in failed.iter().take(SHOWN) {
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!(
                        "⚠ {} could not be asked: {}",
                        count(group.ids.len(), "task", "tasks"),
                        group.describe()
                    ),
                );
                if ui
                    .button("Retry")
                    .on_hover_text("Ask about these tasks again")
                    .clicked()
                {
                    intent = Some(StatusIntent::Retry(group.ids.clone()));
                }
            });
        }
        if failed.len() > SHOWN {
            let rest = &failed[SHOWN..];
            let ids: Vec<String> = rest.iter().flat_map(|g| g.ids.iter().cloned()).collect();
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!(
                        "and {} more ({})",
                        count(rest.len(), "kind of error", "kinds of error"),
                        count(ids.len(), "task", "tasks")
                    ),
                );
                if ui
                    .button("Retry these")
                    .on_hover_text("Ask about the tasks of the other errors again")
                    .clicked()
                {
                    intent = Some(StatusIntent::Retry(ids));
                }
            });
        }
        intent
    }

    /// `library`: the library's summary ("312 saved · 2 saving · 4.1 GB"), when there is
    /// a library.
    pub fn bar(
        &self,
        ui: &mut egui::Ui,
        watching: bool,
        demo: bool,
        library: Option<&str>,
    ) -> Option<StatusIntent> {
        let mut intent = None;
        // Wrapped: a long message (a history kept aside, with its path) goes on to the
        // next line instead of running past the window's edge.
        ui.horizontal_wrapped(|ui| {
            if demo {
                super::theme::demo_badge(ui)
                    .on_hover_text("Sample tasks served by the app itself: no network, no token");
            }
            let mut watch = watching;
            if ui
                .checkbox(&mut watch, "Watch unfinished")
                .on_hover_text("Keep asking about queued and running tasks until they finish")
                .changed()
            {
                intent = Some(StatusIntent::SetWatching(watch));
            }
            if ui
                .button("Refresh all")
                .on_hover_text("Ask about every task again (F5)")
                .clicked()
            {
                intent = Some(StatusIntent::RefreshAll);
            }
            ui.separator();
            let a = self.activity;
            if a.in_flight > 0 {
                ui.spinner();
                ui.label(format!(
                    "asking about {}",
                    count(a.in_flight, "task", "tasks")
                ));
            } else if a.watching > 0 && a.watch_active {
                ui.label(format!(
                    "watching {}",
                    count(a.watching, "unfinished task", "unfinished tasks")
                ));
            } else if a.watching > 0 {
                ui.label(format!("{} unfinished, not watched", a.watching));
            } else {
                ui.label("idle");
            }
            if let Some(summary) = library {
                ui.separator();
                ui.label(format!("Library: {summary}"));
            }
            if let Some((at, wait, what)) = &self.retry {
                let left = wait.saturating_sub(at.elapsed());
                if !left.is_zero() {
                    ui.separator();
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        format!("{what}, retrying in {} s", left.as_secs_f32().ceil() as u64),
                    );
                }
            }
            if let Some(m) = &self.message {
                ui.separator();
                let color = match m.severity {
                    Severity::Info => ui.visuals().text_color(),
                    Severity::Warning => ui.visuals().warn_fg_color,
                    Severity::Error => ui.visuals().error_fg_color,
                };
                ui.add(egui::Label::new(egui::RichText::new(&m.text).color(color)).wrap());
                if ui.small_button("Dismiss").clicked() {
                    intent = Some(StatusIntent::DismissMessage);
                }
            }
        });
        intent
    }
}

pub use crate::text::count;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_message_wraps_inside_the_window_and_shows_its_path() {
        use egui_kittest::kittest::Queryable as _;
        let path = "/home/someone/.local/share/seedance-tasks/history.json.damaged-20261201-221500";
        let mut status = StatusLine::default();
        status.say(
            Severity::Error,
            format!(
                "The task history could not be read (expected value at line 1 column 1); \
                 it was kept as {path}."
            ),
        );
        let width = 480.0;
        let mut harness = egui_kittest::Harness::builder()
            .with_size(egui::vec2(width, 300.0))
            .build_ui(|ui| {
                status.bar(ui, true, false, Some("3 saved · 92.0 kB"));
            });
        harness.run();
        let node = harness.get_by_label_contains(path);
        let rect = node.rect();
        assert!(rect.max.x <= width, "inside the window: {rect:?}");
        assert!(rect.height() > 20.0, "on more than one line: {rect:?}");
        harness.get_by_label("Library: 3 saved · 92.0 kB");
    }
}
