//! Posters: small images of a video's first frame (or of the API's last-frame image),
//! made once per task and kept as JPEG files in the platform cache directory
//! (`~/.cache/seedance-tasks/posters/` on Linux). [`PosterMaker`] makes them in the
//! background, two at a time, from tokio; the window's wiring (in `gui/app/`) calls it,
//! never a panel.

use super::limits::{MAX_HEIGHT, MAX_PIXELS, MAX_WIDTH};
use super::{MediaError, Video, demux, first_frame};
use image::RgbImage;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A poster fits in a square of this side (a gallery card is at most 240 px wide).
pub const POSTER_MAX_SIDE: u32 = 320;
/// Posters one [`PosterMaker`] (and its clones) makes at once; the window has one maker,
/// and starts no more poster jobs than this (`gui::app::posters`).
pub const POSTERS_AT_ONCE: usize = 2;
/// JPEG quality of the cached files: a 320 × 180 poster is about 10 KB.
const QUALITY: u8 = 85;
/// Longest task id used as a file name.
const MAX_ID_LEN: usize = 128;

/// What a poster is made from.
#[derive(Debug, Clone)]
pub enum PosterSource {
    /// A saved video file.
    File(PathBuf),
    /// A video's bytes: the whole file, or its start fetched with a `Range` request.
    Video(Arc<[u8]>),
    /// An image file's bytes (the API's last-frame image): PNG, JPEG or WebP.
    Image(Arc<[u8]>),
}

/// A poster: where it is kept and its pixels.
#[derive(Debug, Clone)]
pub struct Poster {
    pub path: PathBuf,
    pub image: RgbImage,
}

/// The first frame of a video, shrunk to fit [`POSTER_MAX_SIDE`].
pub fn poster_image<'a>(video: impl Into<Video<'a>>) -> Result<RgbImage, MediaError> {
    first_frame(video).map(|f| shrink(&f))
}

/// `image` scaled down (never up) to fit a square of [`POSTER_MAX_SIDE`], keeping its
/// shape.
pub fn shrink(image: &RgbImage) -> RgbImage {
    if fits(image) {
        return image.clone();
    }
    scale_down(image)
}

fn fits(image: &RgbImage) -> bool {
    let (w, h) = image.dimensions();
    w <= POSTER_MAX_SIDE && h <= POSTER_MAX_SIDE
}

fn scale_down(image: &RgbImage) -> RgbImage {
    let (w, h) = image.dimensions();
    let side = POSTER_MAX_SIDE;
    let scale = f64::from(side) / f64::from(w.max(h));
    let nw = ((f64::from(w) * scale).round() as u32).clamp(1, side);
    let nh = ((f64::from(h) * scale).round() as u32).clamp(1, side);
    image::imageops::thumbnail(image, nw, nh)
}

/// A kept poster file's pixels, fitted to [`POSTER_MAX_SIDE`]: a file in the cache that
/// is larger (written by hand, or by another program) is scaled down, so that a poster
/// texture is never larger than a poster.
pub fn poster_pixels(bytes: &[u8]) -> Result<RgbImage, MediaError> {
    let image = decode_image(bytes)?;
    Ok(if fits(&image) {
        image
    } else {
        scale_down(&image)
    })
}

/// Decodes an image file's bytes within the same size limits as video frames: the size
/// its header declares is checked before its pixels are decoded.
pub fn decode_image(bytes: &[u8]) -> Result<RgbImage, MediaError> {
    let reader = || {
        image::ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| MediaError::NotImage(e.to_string()))
    };
    let (width, height) = reader()?
        .into_dimensions()
        .map_err(|e| MediaError::NotImage(e.to_string()))?;
    super::limits::check_image_size(width, height)?;
    let mut reader = reader()?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_WIDTH);
    limits.max_image_height = Some(MAX_HEIGHT);
    limits.max_alloc = Some(MAX_PIXELS * 4);
    reader.limits(limits);
    let decoded = reader
        .decode()
        .map_err(|e| MediaError::NotImage(e.to_string()))?;
    super::limits::check_image_size(decoded.width(), decoded.height())?;
    Ok(decoded.into_rgb8())
}

/// What the start of a video (fetched with a `Range` request) is worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefixStatus {
    /// It holds the first frame.
    Enough,
    /// The first `n` bytes of the file are needed.
    Need(u64),
}

/// Whether `prefix` (the first bytes of a video) holds its first key frame, or how many
/// bytes do, whatever the codec (the frame is then decoded by the first back end that
/// decodes it: OpenH264, or ffmpeg for another codec). `Err(IndexAtEnd)` when the index
/// comes after the media: then the start of the file does not suffice.
pub fn prefix_status(prefix: &[u8]) -> Result<PrefixStatus, MediaError> {
    let mut input = super::Input::open(Video::Bytes(prefix))?;
    let moov = super::index(&mut input)?;
    let track = demux::video_track(&moov)?;
    let samples = demux::samples(&track)?;
    let first = samples
        .iter()
        .find(|s| s.sync)
        .ok_or(MediaError::NoFrames)?;
    let end = first.offset.saturating_add(u64::from(first.size));
    Ok(if end <= prefix.len() as u64 {
        PrefixStatus::Enough
    } else {
        PrefixStatus::Need(end)
    })
}

/// The folder of posters.
#[derive(Debug, Clone)]
pub struct PosterCache {
    dir: PathBuf,
}

impl PosterCache {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// `posters/` in the platform's cache directory (XDG_CACHE_HOME on Linux, Caches
    /// on macOS, LocalAppData on Windows); `None` where there is no home directory.
    pub fn platform() -> Option<Self> {
        directories::ProjectDirs::from("cloud", "AceDataCloud", "seedance-tasks")
            .map(|p| Self::new(p.cache_dir().join("posters")))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of a task's poster. Task ids become file names, so only letters, digits,
    /// `-` and `_` are allowed.
    pub fn path(&self, task_id: &str) -> Result<PathBuf, MediaError> {
        let valid = !task_id.is_empty()
            && task_id.len() <= MAX_ID_LEN
            && task_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return Err(MediaError::Cache(format!(
                "{:?} is not a task id",
                task_id.chars().take(40).collect::<String>()
            )));
        }
        Ok(self.dir.join(format!("{task_id}.jpg")))
    }

    /// The kept poster, if there is a readable one.
    pub fn get(&self, task_id: &str) -> Option<Poster> {
        let path = self.path(task_id).ok()?;
        let bytes = std::fs::read(&path).ok()?;
        let image = poster_pixels(&bytes).ok()?;
        Some(Poster { path, image })
    }

    /// The task's poster: the kept one, or one made from `source` and kept (written to a
    /// temporary file and renamed, so a poster file is whole or absent). Blocking.
    pub fn make(&self, task_id: &str, source: &PosterSource) -> Result<Poster, MediaError> {
        let path = self.path(task_id)?;
        if let Some(kept) = self.get(task_id) {
            return Ok(kept);
        }
        let image = match source {
            PosterSource::File(file) => poster_image(file.as_path())?,
            PosterSource::Video(bytes) => poster_image(&bytes[..])?,
            PosterSource::Image(bytes) => shrink(&decode_image(bytes)?),
        };
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, QUALITY)
            .encode_image(&image)
            .map_err(|e| MediaError::Cache(e.to_string()))?;
        write_whole(&path, &jpeg)?;
        Ok(Poster { path, image })
    }
}

fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), MediaError> {
    static SERIAL: AtomicUsize = AtomicUsize::new(0);
    let cache_error = |e: std::io::Error| MediaError::Cache(format!("{}: {e}", path.display()));
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(cache_error)?;
    let part = path.with_extension(format!(
        "{}.{}.part",
        std::process::id(),
        SERIAL.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&part, bytes).map_err(cache_error)?;
    std::fs::rename(&part, path).map_err(|e| {
        let _ = std::fs::remove_file(&part);
        cache_error(e)
    })
}

/// Makes posters off the async runtime's threads (`spawn_blocking`), at most
/// [`POSTERS_AT_ONCE`] at a time however many are asked for. Cheap to clone; clones
/// share the limit.
#[derive(Debug, Clone)]
pub struct PosterMaker {
    cache: PosterCache,
    permits: Arc<tokio::sync::Semaphore>,
    busy: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

impl PosterMaker {
    pub fn new(cache: PosterCache) -> Self {
        Self {
            cache,
            permits: Arc::new(tokio::sync::Semaphore::new(POSTERS_AT_ONCE)),
            busy: Arc::default(),
            peak: Arc::default(),
        }
    }

    pub fn cache(&self) -> &PosterCache {
        &self.cache
    }

    /// Posters being made now.
    pub fn busy(&self) -> usize {
        self.busy.load(Ordering::Relaxed)
    }

    /// The task's poster (see [`PosterCache::make`]). Waits for one of the
    /// [`POSTERS_AT_ONCE`] turns; needs a tokio runtime.
    pub async fn make(&self, task_id: String, source: PosterSource) -> Result<Poster, MediaError> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|e| MediaError::Cache(e.to_string()))?;
        let cache = self.cache.clone();
        let busy = Arc::clone(&self.busy);
        let peak = Arc::clone(&self.peak);
        tokio::task::spawn_blocking(move || {
            let now = busy.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            let made = cache.make(&task_id, &source);
            busy.fetch_sub(1, Ordering::SeqCst);
            drop(permit);
            made
        })
        .await
        .map_err(|e| MediaError::Decode(format!("the poster job ended: {e}")))?
    }

    #[cfg(test)]
    pub(crate) fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}
