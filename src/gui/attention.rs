//! Tasks that finish while the window is not focused: the title shows how many, the window
//! asks for attention, and (optionally) a desktop notification sums up each batch.

use super::TITLE;

#[derive(Debug, Default)]
pub struct Attention {
    /// Finished while the window was not focused, since it last had focus.
    pub unseen: usize,
    shown_in_title: usize,
}

impl Attention {
    /// Returns the notification text when `finished` tasks ended while away.
    pub fn on_finished(
        &mut self,
        ctx: &egui::Context,
        finished: &[(String, bool)],
        focused: bool,
    ) -> Option<String> {
        if finished.is_empty() || focused {
            return None;
        }
        self.unseen += finished.len();
        ctx.send_viewport_cmd(egui::ViewportCommand::RequestUserAttention(
            egui::UserAttentionType::Informational,
        ));
        let ok = finished.iter().filter(|(_, success)| *success).count();
        let bad = finished.len() - ok;
        Some(match (ok, bad) {
            (n, 0) => format!("{n} task{} succeeded", if n == 1 { "" } else { "s" }),
            (0, n) => format!("{n} task{} failed", if n == 1 { "" } else { "s" }),
            (a, b) => format!("{} tasks finished: {a} succeeded, {b} failed", a + b),
        })
    }

    /// Keeps the title in step: "(3) SeeDance Tasks" while away, plain once seen.
    pub fn update(&mut self, ctx: &egui::Context, focused: bool) {
        if focused && self.unseen > 0 {
            self.unseen = 0;
            ctx.send_viewport_cmd(egui::ViewportCommand::RequestUserAttention(
                egui::UserAttentionType::Reset,
            ));
        }
        if self.shown_in_title != self.unseen {
            self.shown_in_title = self.unseen;
            let title = if self.unseen > 0 {
                format!("({}) {TITLE}", self.unseen)
            } else {
                TITLE.to_owned()
            };
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title));
        }
    }

    pub fn title_count(&self) -> usize {
        self.shown_in_title
    }
}

/// Why a notification was not shown.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("Desktop notifications are not available here ({0}); Notify is now off.")]
    Unavailable(notify_rust::error::Error),
    /// A [`RecordingNotifier`] told to fail, in the test's words.
    #[error("{0}")]
    Refused(String),
}

/// Desktop notifications, behind a trait so tests can record them or make them fail.
pub trait Notifier: Send + Sync {
    /// Shows `body`; blocking (D-Bus), so called off the UI thread.
    fn notify(&self, body: &str) -> Result<(), NotifyError>;
}

/// The system's notification service (notify-rust).
#[derive(Debug, Default)]
pub struct SystemNotifier;

impl Notifier for SystemNotifier {
    fn notify(&self, body: &str) -> Result<(), NotifyError> {
        notify(body)
    }
}

/// Remembers what would have been shown; can be told to fail like a machine without a
/// notification service.
#[derive(Debug, Default, Clone)]
pub struct RecordingNotifier {
    pub sent: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    pub fail_with: Option<String>,
}

impl Notifier for RecordingNotifier {
    fn notify(&self, body: &str) -> Result<(), NotifyError> {
        if let Ok(mut sent) = self.sent.lock() {
            sent.push(body.to_owned());
        }
        match &self.fail_with {
            Some(e) => Err(NotifyError::Refused(e.clone())),
            None => Ok(()),
        }
    }
}

fn notify(body: &str) -> Result<(), NotifyError> {
    notify_rust::Notification::new()
        .appname("SeeDance Tasks")
        .summary("SeeDance Tasks")
        .body(body)
        .show()
        .map(|_| ())
        .map_err(NotifyError::Unavailable)
}
