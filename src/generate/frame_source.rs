//! Where Continue's frame comes from, best first: the API's last-frame image (the
//! library's saved copy, else its link), else the video (the saved file, else its link)
//! with its real last frame decoded. SeeDance's links die 24 h after a task finished, so
//! the saved files go first; a saved file that is missing or unreadable falls back to its
//! link, and an image that cannot be used (a link that answers a web page) to the video.
//! Shared by the window's Continue… and `create --continue`; runs on a tokio runtime,
//! with reading, decoding and encoding on its blocking pool.

use super::continue_from::{self, Continuation};
use crate::api::TaskRecord;
use crate::library::SavedTask;
use crate::media::{MediaError, Video};
use crate::preview::Fetcher;
use image::RgbImage;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The most of a video fetched into memory to decode its last frame: a 10 s 1080p
/// generation is 20–40 MB.
pub const MAX_VIDEO: usize = 200 * 1024 * 1024;

/// One place a frame may come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The library's copy of the API's last-frame image.
    SavedImage(PathBuf),
    /// The API's last-frame image at its link.
    ImageLink(String),
    /// The library's copy of the video.
    SavedVideo(PathBuf),
    /// The video at its link, fetched whole (up to [`MAX_VIDEO`]).
    VideoLink(String),
    /// A video compiled into the app (the demo's clip).
    Bundled(&'static [u8]),
}

impl Source {
    fn is_image(&self) -> bool {
        matches!(self, Self::SavedImage(_) | Self::ImageLink(_))
    }
}

/// The places `record`'s frame may come from, best first; `saved` is what the library
/// holds of the task.
pub fn sources(record: &TaskRecord, saved: Option<&SavedTask>) -> Vec<Source> {
    let mut sources = Vec::new();
    if let Some(file) = saved.and_then(|s| s.last_frame.as_ref()) {
        sources.push(Source::SavedImage(file.path.clone()));
    }
    if let Some(url) = &record.last_frame_url {
        sources.push(Source::ImageLink(url.clone()));
    }
    if let Some(saved) = saved {
        sources.push(Source::SavedVideo(saved.video.path.clone()));
    }
    if let Some(url) = &record.video_url {
        sources.push(Source::VideoLink(url.clone()));
    }
    sources
}

/// The continuation of `record`: each source tried in turn until one gives a frame that
/// can be sent. Without one, everything but the image is prefilled and the notice says
/// why ("this video's last frame cannot be decoded: …", or why the image cannot be used
/// when the task has no video).
pub async fn continuation(
    record: Arc<TaskRecord>,
    sources: Vec<Source>,
    fetcher: &Fetcher,
) -> Continuation {
    gather(record, sources, fetcher, decode_last).await
}

/// How a video's last frame is decoded (a parameter so that a test can make it fail).
type Decoder = fn(Video<'_>) -> Result<RgbImage, MediaError>;

fn decode_last(video: Video<'_>) -> Result<RgbImage, MediaError> {
    crate::media::last_frame(video)
}

async fn gather(
    record: Arc<TaskRecord>,
    sources: Vec<Source>,
    fetcher: &Fetcher,
    decode: Decoder,
) -> Continuation {
    let mut image_reasons = Vec::new();
    let mut video_reasons = Vec::new();
    let mut video_tried = false;
    for source in sources {
        let is_image = source.is_image();
        video_tried |= !is_image;
        match frame_uri(source, fetcher, decode).await {
            Ok(uri) => {
                let mut done = continue_from::with_image(&record, Ok(uri));
                done.skipped = image_reasons.into_iter().chain(video_reasons).collect();
                return done;
            }
            Err(why) if is_image => image_reasons.push(why),
            Err(why) => video_reasons.push(why),
        }
    }
    let notice = if video_tried {
        let reasons: Vec<String> = video_reasons.into_iter().chain(image_reasons).collect();
        format!(
            "this video's last frame cannot be decoded: {}",
            reasons.join("; ")
        )
    } else if image_reasons.is_empty() {
        "this video's last frame cannot be decoded: the task has no video link".to_owned()
    } else {
        format!(
            "{}; the task has no video to take the last frame from",
            image_reasons.join("; ")
        )
    };
    continue_from::with_image(&record, Err(notice))
}

/// The frame of one source as the data URI that is sent, or why this source gives none.
async fn frame_uri(source: Source, fetcher: &Fetcher, decode: Decoder) -> Result<String, String> {
    match source {
        Source::SavedImage(path) => {
            let bytes = read_image(&path)
                .await
                .map_err(|e| format!("the saved last-frame image cannot be read: {e}"))?;
            blocking(move || continue_from::image_uri(&bytes))
                .await
                .map_err(|e| format!("the saved last-frame image cannot be used: {e}"))
        }
        Source::ImageLink(url) => {
            let bytes = fetcher
                .image(&url)
                .await
                .map_err(|e| format!("the last-frame image could not be fetched: {e}"))?;
            blocking(move || continue_from::image_uri(&bytes))
                .await
                .map_err(|e| format!("the last-frame image cannot be used: {e}"))
        }
        Source::SavedVideo(path) => blocking(move || last_frame_uri(decode, Video::File(&path)))
            .await
            .map_err(|e| format!("the saved video: {e}")),
        Source::VideoLink(url) => {
            let bytes = match fetcher.video_start(&url, MAX_VIDEO).await {
                Ok(bytes) if bytes.len() >= MAX_VIDEO => Err(format!(
                    "the video is larger than {} MB",
                    MAX_VIDEO / (1024 * 1024)
                )),
                Ok(bytes) => Ok(bytes),
                Err(e) => Err(format!("the video could not be fetched: {e}")),
            }?;
            blocking(move || last_frame_uri(decode, Video::Bytes(&bytes))).await
        }
        Source::Bundled(bytes) => {
            blocking(move || last_frame_uri(decode, Video::Bytes(bytes))).await
        }
    }
}

fn last_frame_uri(decode: Decoder, video: Video<'_>) -> Result<String, String> {
    let image = decode(video).map_err(|e| e.to_string())?;
    continue_from::pixels_uri(&image).map_err(|e| format!("the last frame cannot be sent: {e}"))
}

/// A saved image's bytes; one larger than any last-frame image is not read.
async fn read_image(path: &Path) -> Result<Vec<u8>, String> {
    let meta = tokio::fs::metadata(path).await.map_err(|e| io_words(&e))?;
    if meta.len() > crate::preview::MAX_BODY as u64 {
        return Err(format!(
            "it is larger than {} MB",
            crate::preview::MAX_BODY / 1_000_000
        ));
    }
    tokio::fs::read(path).await.map_err(|e| io_words(&e))
}

fn io_words(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "the file is no longer there".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}

/// `work` on the blocking pool; a panic in it is a reason, not a lost continuation.
async fn blocking<E: std::fmt::Display + Send + 'static>(
    work: impl FnOnce() -> Result<String, E> + Send + 'static,
) -> Result<String, String> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(e) if e.is_panic() => {
            let panic = e.into_panic();
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_owned());
            Err(format!("the decoder stopped: {message}"))
        }
        Err(e) => Err(format!("the decoder stopped: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::SavedFile;
    use serde_json::json;

    const VIDEO: &[u8] = include_bytes!("../../tests/fixtures/media-h264-high-bframes.mp4");

    fn record(frame: Option<&str>, video: Option<&str>) -> Arc<TaskRecord> {
        let raw = json!({"id": "t1", "status": "succeeded",
            "request": {"model": "doubao-seedance-1-0-pro-250528", "prompt": "a fox runs",
                "duration": 5, "return_last_frame": false},
            "response": {"data": {"status": "succeeded", "video_url": video, "last_frame_url": frame}}});
        Arc::new(TaskRecord::from_value(raw).expect("record"))
    }

    fn png(w: u32, h: u32) -> Vec<u8> {
        let image = RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 9]));
        let mut bytes = std::io::Cursor::new(Vec::new());
        image
            .write_to(&mut bytes, image::ImageFormat::Png)
            .expect("png");
        bytes.into_inner()
    }

    fn size_of(c: &Continuation) -> (u32, u32) {
        assert_eq!(c.notice, None, "{:?}", c.notice);
        assert_eq!(c.request.images.len(), 1);
        let uri = &c.request.images[0].source;
        let (_, data) = uri.split_once(";base64,").expect("a data URI");
        let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, data)
            .expect("base64");
        let image = image::load_from_memory(&bytes).expect("an image");
        (image.width(), image.height())
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    }

    /// A link nothing answers (a closed port on this computer): its fetch fails at once.
    const DEAD: &str = "http://127.0.0.1:9/gone";

    #[test]
    fn saved_files_come_before_links_images_before_videos() {
        let saved = SavedTask {
            id: "t1".into(),
            video: SavedFile {
                path: "/lib/v.mp4".into(),
                size: 1,
                sha256: String::new(),
            },
            last_frame: Some(SavedFile {
                path: "/lib/v.last-frame.png".into(),
                size: 1,
                sha256: String::new(),
            }),
            sidecar: None,
            last_frame_error: None,
        };
        let r = record(Some("https://e.x/f.png"), Some("https://e.x/v.mp4"));
        assert_eq!(
            sources(&r, Some(&saved)),
            [
                Source::SavedImage("/lib/v.last-frame.png".into()),
                Source::ImageLink("https://e.x/f.png".into()),
                Source::SavedVideo("/lib/v.mp4".into()),
                Source::VideoLink("https://e.x/v.mp4".into()),
            ]
        );
        assert_eq!(
            sources(&record(None, Some("https://e.x/v.mp4")), None),
            [Source::VideoLink("https://e.x/v.mp4".into())]
        );
    }

    #[test]
    fn a_saved_image_is_used_while_the_links_are_dead() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("frame.png");
        std::fs::write(&path, png(64, 36)).expect("write");
        let r = record(Some(DEAD), Some(DEAD));
        let sources = vec![
            Source::SavedImage(path),
            Source::ImageLink(DEAD.into()),
            Source::VideoLink(DEAD.into()),
        ];
        let c = runtime().block_on(continuation(r, sources, &Fetcher::new()));
        assert_eq!(size_of(&c), (64, 36));
        assert!(c.skipped.is_empty(), "{:?}", c.skipped);
        assert!(c.request.options.return_last_frame);
        assert_eq!(c.request.prompt, "a fox runs");
    }

    #[test]
    fn a_missing_or_bad_saved_file_falls_back_to_the_next_source() {
        let dir = tempfile::tempdir().expect("dir");
        let page = dir.path().join("frame.png");
        std::fs::write(&page, b"<html>gone</html>").expect("write");
        let video = dir.path().join("video.mp4");
        std::fs::write(&video, VIDEO).expect("write");
        let r = record(None, None);
        let sources = vec![
            Source::SavedImage(dir.path().join("not-there.png")),
            Source::SavedImage(page),
            Source::SavedVideo(dir.path().join("not-there.mp4")),
            Source::SavedVideo(video),
        ];
        let c = runtime().block_on(continuation(r, sources, &Fetcher::new()));
        assert_eq!(size_of(&c), (320, 180), "the video's last frame");
        assert_eq!(c.skipped.len(), 3, "{:?}", c.skipped);
        assert_eq!(
            c.skipped[0],
            "the saved last-frame image cannot be read: the file is no longer there"
        );
        assert!(
            c.skipped[1].starts_with("the saved last-frame image cannot be used: not an image"),
            "{}",
            c.skipped[1]
        );
        assert!(
            c.skipped[2].starts_with("the saved video: cannot read the video"),
            "{}",
            c.skipped[2]
        );
    }

    #[test]
    fn without_a_frame_the_notice_names_each_reason() {
        let rt = runtime();
        let fetcher = Fetcher::new();
        let c = rt.block_on(continuation(
            record(Some(DEAD), Some(DEAD)),
            vec![
                Source::ImageLink(DEAD.into()),
                Source::VideoLink(DEAD.into()),
            ],
            &fetcher,
        ));
        let notice = c.notice.expect("a reason");
        assert!(
            notice.starts_with(
                "this video's last frame cannot be decoded: the video could not be fetched: "
            ),
            "{notice}"
        );
        assert!(
            notice.contains("; the last-frame image could not be fetched: "),
            "{notice}"
        );
        assert!(c.request.images.is_empty());
        assert_eq!(c.request.model, "doubao-seedance-1-0-pro-250528");
        assert_eq!(c.request.options.duration, Some(5));

        // Only an image, and it is a web page: the reason names the image.
        let dir = tempfile::tempdir().expect("dir");
        let page = dir.path().join("frame.png");
        std::fs::write(&page, b"<html>gone</html>").expect("write");
        let c = rt.block_on(continuation(
            record(None, None),
            vec![Source::SavedImage(page)],
            &fetcher,
        ));
        let notice = c.notice.expect("a reason");
        assert!(
            notice.starts_with("the saved last-frame image cannot be used: not an image")
                && notice.ends_with("; the task has no video to take the last frame from"),
            "{notice}"
        );

        let c = rt.block_on(continuation(record(None, None), Vec::new(), &fetcher));
        assert_eq!(
            c.notice.as_deref(),
            Some("this video's last frame cannot be decoded: the task has no video link")
        );
    }

    #[test]
    fn a_decoder_that_panics_leaves_everything_but_the_image() {
        fn panics(_: Video<'_>) -> Result<RgbImage, MediaError> {
            panic!("boom")
        }
        let c = runtime().block_on(gather(
            record(None, None),
            vec![Source::Bundled(crate::demo::SAMPLE_CLIP)],
            &Fetcher::new(),
            panics,
        ));
        assert_eq!(
            c.notice.as_deref(),
            Some("this video's last frame cannot be decoded: the decoder stopped: boom")
        );
        assert!(c.request.images.is_empty());
        assert_eq!(c.request.model, "doubao-seedance-1-0-pro-250528");
        assert_eq!(c.request.prompt, "a fox runs");
        assert!(c.request.options.return_last_frame);
    }

    #[test]
    fn the_demo_clip_gives_its_last_frame() {
        let c = runtime().block_on(continuation(
            record(None, None),
            vec![Source::Bundled(crate::demo::SAMPLE_CLIP)],
            &Fetcher::new(),
        ));
        assert_eq!(size_of(&c), (640, 360));
    }
}
