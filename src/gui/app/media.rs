//! Continue…: a new generation that starts from a finished task's last frame. The frame is
//! the API's last-frame image where there is one (sent at its own size), else the real
//! last frame decoded from the video (the demo's from its bundled clip); each is taken
//! from the library where it is saved there, from its link otherwise
//! ([`frame_source`]). Fetching, decoding and encoding run in the background, one
//! Continue at a time; the panel opens prefilled when they end, with everything but the
//! image and the reason when no frame could be had (also when the job itself crashed:
//! the task's record is kept here for that).

use super::SeedanceApp;
use super::background::{Done, Job};
use crate::api::{Status, TaskRecord};
use crate::generate::continue_from::{self, Continuation};
use crate::generate::frame_source::{self, Source};
use crate::gui::Severity;
use crate::library::{SaveState, SavedTask};

impl SeedanceApp {
    /// Continue… on a card or in the details.
    pub(super) fn continue_from(&mut self, id: &str) {
        let Some(entry) = self.session.book.get(id) else {
            return;
        };
        if entry.status != Status::Succeeded {
            self.panels
                .status
                .say(Severity::Info, "Only a finished video can be continued.");
            return;
        }
        let Some(record) = entry.record.clone() else {
            return;
        };
        if let Some(busy) = &self.session.generate.continuing {
            let text = format!(
                "Still getting the last frame of task {}…",
                crate::gui::grid::short_id(&busy.id)
            );
            self.panels.status.say(Severity::Info, text);
            return;
        }
        // The demo's links lead nowhere; its bundled clip stands in for every video.
        let sources = if self.session.is_demo() {
            vec![Source::Bundled(crate::demo::SAMPLE_CLIP)]
        } else {
            frame_source::sources(&record, self.saved_files(id).as_ref())
        };
        let fetcher = self.services.poster_queue.fetcher();
        self.panels.status.say(
            Severity::Info,
            format!(
                "Getting the last frame of task {}…",
                crate::gui::grid::short_id(id)
            ),
        );
        self.session.generate.continuing = Some(record.clone());
        self.services
            .background
            .future(&self.ctx, Job::Continue, async move {
                let continuation = frame_source::continuation(record, sources, &fetcher).await;
                Done::ContinueReady(Box::new(continuation))
            });
    }

    /// What the library holds of task `id`: its state in this window's library, else the
    /// files the history recorded (a file no longer there falls back to its link).
    fn saved_files(&self, id: &str) -> Option<SavedTask> {
        match self.library_state(id) {
            Some(SaveState::Saved(task)) => Some(task.clone()),
            Some(SaveState::Removed) => None,
            _ => self.session.book.get(id)?.saved.as_deref().cloned(),
        }
    }

    pub(super) fn on_continue_ready(&mut self, continuation: Continuation) {
        self.session.generate.continuing = None;
        match &continuation.notice {
            Some(notice) => self.panels.status.say(Severity::Warning, notice.clone()),
            None if !continuation.skipped.is_empty() => self.panels.status.say(
                Severity::Info,
                format!(
                    "Prefilled with the last frame from a later source: {}",
                    continuation.skipped.join("; ")
                ),
            ),
            None => self.panels.status.message = None,
        }
        self.panels
            .generate
            .open_prefilled(vec![continuation.request]);
    }

    /// The Continue job crashed: the panel opens all the same, prefilled from the task's
    /// record with everything but the image (the crash report says why).
    pub(super) fn on_continue_crashed(&mut self, message: &str) {
        let Some(record) = self.session.generate.continuing.take() else {
            return;
        };
        let continuation = continuation_without_frame(&record, message);
        self.panels
            .generate
            .open_prefilled(vec![continuation.request]);
    }
}

fn continuation_without_frame(record: &TaskRecord, message: &str) -> Continuation {
    continue_from::with_image(
        record,
        Err(format!(
            "this video's last frame cannot be decoded: the job stopped: {message}"
        )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::{AnsweringDialogs, GuiOptions, KeyringProvider, Picked, RecordingOpener};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    #[test]
    fn a_crashed_continue_prefills_from_the_kept_record() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let _enter = runtime.enter();
        let ctx = egui::Context::default();
        let mut options = GuiOptions::new("http://127.0.0.1:9");
        options.keyring = KeyringProvider::Given(crate::secrets::Keyring::mock());
        options.opener = Arc::new(RecordingOpener::default());
        options.dialogs = Arc::new(AnsweringDialogs::new(Picked::Cancelled, None));
        options.history = None;
        options.posters = None;
        options.library = None;
        options.library_env = None;
        options.notifications = false;
        let mut app = SeedanceApp::new(&ctx, options);
        let raw = serde_json::json!({"id": "t1", "status": "succeeded",
            "request": {"model": "doubao-seedance-1-0-pro-250528", "prompt": "a fox runs",
                "resolution": "720p", "return_last_frame": false}});
        let record = Arc::new(TaskRecord::from_value(raw).expect("record"));
        app.session.generate.continuing = Some(record);
        app.services
            .background
            .future(&app.ctx.clone(), Job::Continue, async {
                let n: u32 = "x".parse().unwrap_or(0);
                if n == 0 {
                    panic!("decoder exploded");
                }
                Done::NoFolder
            });
        let start = Instant::now();
        while app.generation_form().is_none() {
            assert!(start.elapsed() < Duration::from_secs(10), "no panel");
            app.logic_impl();
            std::thread::sleep(Duration::from_millis(5));
        }
        let form = app.generation_form().expect("the form");
        assert_eq!(form.model, "doubao-seedance-1-0-pro-250528");
        assert_eq!(form.prompt, "a fox runs");
        assert_eq!(form.options.resolution.as_deref(), Some("720p"));
        assert!(form.options.return_last_frame);
        assert!(form.images.is_empty());
        let said = app
            .status_message()
            .map(|m| m.text.clone())
            .unwrap_or_default();
        assert!(said.contains("decoder exploded"), "{said}");
        assert!(
            app.session.generate.continuing.is_none(),
            "a new Continue may start"
        );
    }
}
