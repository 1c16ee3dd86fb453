//! Last-frame previews: fetching and decoding, off the UI thread. What the window does
//! with the pixels (textures, a bounded cache) is `gui::previews`; this side knows no egui.

use std::io::Cursor;

/// Bodies above this are refused before decoding: a preview is not worth more.
pub const MAX_BODY: usize = 20 * 1000 * 1000;
/// Longest side of a preview texture; larger frames are scaled down to bound GPU memory.
pub const MAX_SIDE: u32 = 1024;
/// Decoders refuse images whose pixels would need more than this.
const MAX_DECODE_ALLOC: u64 = 256 * 1024 * 1024;
/// Nor wider or taller than this (a last frame is at most 4K; 16 384 leaves room).
const MAX_DECODE_SIDE: u32 = 16_384;
/// Decodes at once, in the whole process: with the per-image bound this caps what
/// previews can take in memory at a time (2 × 256 MB), however many rows scroll by.
const DECODES_AT_ONCE: usize = 2;

static DECODES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(DECODES_AT_ONCE);

/// Decoded pixels, unpremultiplied RGBA, at most [`MAX_SIDE`] on the longest side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    /// Width, height.
    pub size: [usize; 2],
    pub rgba: Vec<u8>,
}

/// Why there is no preview (shown under the frame's place: "HTTP 404 Not Found", …).
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    /// A link that is not fetched (off the web, plain http to another machine, the demo's).
    #[error(transparent)]
    Refused(#[from] crate::links::LinkRefused),
    /// No answer; worded by its innermost cause ("timed out", "connection refused", …).
    #[error("{}", describe_request(.0))]
    Request(reqwest::Error),
    #[error("HTTP {code}{}", reason.map(|r| format!(" {r}")).unwrap_or_default())]
    Status {
        code: u16,
        reason: Option<&'static str>,
    },
    #[error("image larger than {} MB", MAX_BODY / 1_000_000)]
    TooLarge,
    #[error("connection dropped")]
    Dropped,
    #[error("the image decoder is shut down")]
    DecoderShutDown,
    #[error("the image decoder crashed")]
    DecoderCrashed,
    #[error("not an image: {0}")]
    Unrecognised(std::io::Error),
    #[error("not an image: {0}")]
    NotAnImage(image::ImageError),
}

/// Fetches and decodes previews; cheap to clone (one connection pool).
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
}

impl Default for Fetcher {
    fn default() -> Self {
        Self::new()
    }
}

impl Fetcher {
    /// With the download module's client (its timeouts and redirect rules).
    pub fn new() -> Self {
        Self::with_client(crate::download::http_client())
    }

    pub fn with_client(client: reqwest::Client) -> Self {
        Self { client }
    }

    /// The picture at `url`, or why there is none ("HTTP 404 Not Found", "not an image: …").
    /// Links that are not fetched (off the web, plain http to another machine, the
    /// demo's) are refused before any connection, with the reason.
    pub async fn fetch(&self, url: &str) -> Result<Picture, PreviewError> {
        let url = crate::links::fetch_link(url)?;
        fetch(&self.client, url.as_str()).await
    }
}

async fn fetch(client: &reqwest::Client, url: &str) -> Result<Picture, PreviewError> {
    let mut response = client
        .get(url)
        .send()
        .await
        .map_err(PreviewError::Request)?;
    let status = response.status();
    if !status.is_success() {
        return Err(PreviewError::Status {
            code: status.as_u16(),
            reason: status.canonical_reason(),
        });
    }
    let announced = response.content_length();
    if announced.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(PreviewError::TooLarge);
    }
    let mut body = Vec::with_capacity(announced.map_or(0, |n| n as usize));
    while let Some(chunk) = response.chunk().await.map_err(|_| PreviewError::Dropped)? {
        // Servers may send no length, or lie about it.
        if body.len() + chunk.len() > MAX_BODY {
            return Err(PreviewError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    let _permit = DECODES
        .acquire()
        .await
        .map_err(|_| PreviewError::DecoderShutDown)?;
    tokio::task::spawn_blocking(move || decode(&body))
        .await
        .map_err(|_| PreviewError::DecoderCrashed)?
}

fn describe_request(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".into();
    }
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

fn decode(bytes: &[u8]) -> Result<Picture, PreviewError> {
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(PreviewError::Unrecognised)?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    limits.max_image_width = Some(MAX_DECODE_SIDE);
    limits.max_image_height = Some(MAX_DECODE_SIDE);
    reader.limits(limits);
    let image = reader.decode().map_err(PreviewError::NotAnImage)?;
    let (width, height) = fit_within(image.width(), image.height(), MAX_SIDE);
    let image = if (width, height) == (image.width(), image.height()) {
        image
    } else {
        image.resize_exact(width, height, image::imageops::FilterType::Triangle)
    };
    Ok(Picture {
        size: [width as usize, height as usize],
        rgba: image.to_rgba8().into_raw(),
    })
}

/// The size that keeps the aspect ratio with the longest side at most `max`; never a
/// zero side, so a 10000×1 strip still makes a texture.
pub fn fit_within(width: u32, height: u32, max: u32) -> (u32, u32) {
    let longest = width.max(height);
    if longest <= max {
        return (width, height);
    }
    let scale = |side: u32| -> u32 {
        let scaled =
            (u64::from(side) * u64::from(max) + u64::from(longest) / 2) / u64::from(longest);
        u32::try_from(scaled).unwrap_or(max).max(1)
    };
    (scale(width), scale(height))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn downscale_keeps_small_images_and_aspect() {
        assert_eq!(fit_within(800, 600, 1024), (800, 600));
        assert_eq!(fit_within(1024, 1024, 1024), (1024, 1024));
        assert_eq!(fit_within(1920, 1080, 1024), (1024, 576));
        assert_eq!(fit_within(1080, 1920, 1024), (576, 1024));
        assert_eq!(fit_within(4000, 3000, 1024), (1024, 768));
        assert_eq!(fit_within(100_000, 1, 1024), (1024, 1));
        assert_eq!(fit_within(u32::MAX, u32::MAX, 1024), (1024, 1024));
    }

    #[test]
    fn decode_refuses_images_past_the_side_limit() {
        // A valid PNG header claiming 20 000 × 1 pixels: refused before any pixel is read.
        let mut png = Vec::new();
        image::ImageEncoder::write_image(
            image::codecs::png::PngEncoder::new(&mut png),
            &vec![0u8; 20_000 * 4],
            20_000,
            1,
            image::ExtendedColorType::Rgba8,
        )
        .expect("encode");
        let err = decode(&png)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("not an image:"), "{err}");
    }

    #[test]
    fn decode_rejects_garbage() {
        let err = decode(b"<html>nope</html>")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("not an image:"), "{err}");
    }

    proptest! {
        #[test]
        fn downscale_bounds_and_ratio(w in 1u32..50_000, h in 1u32..50_000, max in 1u32..4096) {
            let (fw, fh) = fit_within(w, h, max);
            prop_assert!(fw >= 1 && fh >= 1);
            prop_assert!(fw.max(fh) <= max.max(w.max(h).min(max)));
            prop_assert!(fw <= w && fh <= h);
            if w.max(h) > max {
                prop_assert_eq!(fw.max(fh), max);
                // Rounded to the nearest pixel: the ratio is off by less than one pixel.
                let exact = f64::from(w.min(h)) * f64::from(max) / f64::from(w.max(h));
                prop_assert!((f64::from(fw.min(fh)) - exact).abs() <= 0.5 + 1e-9 || fw.min(fh) == 1);
            }
        }
    }
}
