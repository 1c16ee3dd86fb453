//! Continue…: a new generation that starts from a finished task's last frame. The frame is
//! the API's last-frame image where there is one (sent at its own size), else the real
//! last frame decoded from the video (the demo's from its bundled clip). Fetching,
//! decoding and encoding run in the background; the panel opens prefilled when they end,
//! with everything but the image and the reason when no frame could be had.

use super::SeedanceApp;
use super::background::{Done, Job};
use crate::api::{Status, TaskRecord};
use crate::generate::continue_from::{Continuation, LastFrame, continue_from};
use crate::gui::Severity;
use crate::preview::Fetcher;
use std::sync::Arc;

/// The most of a video fetched into memory to decode its last frame: a 10 s 1080p
/// generation is 20–40 MB.
const MAX_VIDEO: usize = 200 * 1024 * 1024;

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
        let fetcher = self.services.poster_queue.fetcher();
        let demo = self.session.is_demo();
        self.panels.status.say(
            Severity::Info,
            format!(
                "Getting the last frame of task {}…",
                crate::gui::grid::short_id(id)
            ),
        );
        self.services
            .background
            .future(&self.ctx, Job::Continue, async move {
                Done::ContinueReady(Box::new(prepare(record, demo, fetcher).await))
            });
    }

    pub(super) fn on_continue_ready(&mut self, continuation: Continuation) {
        match &continuation.notice {
            Some(notice) => self.panels.status.say(Severity::Warning, notice.clone()),
            None => self.panels.status.message = None,
        }
        self.panels
            .generate
            .open_prefilled(vec![continuation.request]);
    }
}

/// The continuation of `record`: its frame fetched or decoded, then the request built
/// (PNG or JPEG encoding of a large frame takes a while: off the runtime's threads).
async fn prepare(record: Arc<TaskRecord>, demo: bool, fetcher: Fetcher) -> Continuation {
    let source = if demo {
        Frame::Video(crate::demo::SAMPLE_CLIP.to_vec())
    } else {
        frame_source(&record, &fetcher).await
    };
    let done = tokio::task::spawn_blocking(move || match source {
        Frame::Image(bytes) => continue_from(&record, LastFrame::Encoded(&bytes)),
        Frame::Video(bytes) => match crate::media::last_frame(&bytes[..]) {
            Ok(image) => continue_from(&record, LastFrame::Pixels(&image)),
            Err(e) => continue_from(&record, LastFrame::Missing(&e.no_last_frame())),
        },
        Frame::None(why) => continue_from(&record, LastFrame::Missing(&why)),
    })
    .await;
    done.unwrap_or_else(|e| Continuation {
        request: crate::generate::prefill::from_raw(&serde_json::Value::Null),
        notice: Some(format!("this video's last frame cannot be decoded: {e}")),
    })
}

enum Frame {
    Image(Vec<u8>),
    Video(Vec<u8>),
    None(String),
}

async fn frame_source(record: &TaskRecord, fetcher: &Fetcher) -> Frame {
    let mut why = None;
    if let Some(url) = &record.last_frame_url {
        match fetcher.image(url).await {
            Ok(bytes) => return Frame::Image(bytes),
            Err(e) => why = Some(format!("the last-frame image could not be fetched: {e}")),
        }
    }
    let Some(url) = &record.video_url else {
        return Frame::None(why.unwrap_or_else(|| {
            "this video's last frame cannot be decoded: the task has no video link".to_owned()
        }));
    };
    match fetcher.video_start(url, MAX_VIDEO).await {
        Ok(bytes) if bytes.len() >= MAX_VIDEO => Frame::None(format!(
            "this video's last frame cannot be decoded: the video is larger than {} MB",
            MAX_VIDEO / (1024 * 1024)
        )),
        Ok(bytes) => Frame::Video(bytes),
        Err(e) => Frame::None(format!(
            "this video's last frame cannot be decoded: the video could not be fetched: {e}"
        )),
    }
}
