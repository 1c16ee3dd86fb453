//! "Continue from the last frame": a stored task's request turned into a new one that
//! starts where its video ended. The task's model, prompt and options are kept (as
//! "Generate again" does, see [`prefill`](super::prefill)), but its images are replaced
//! by one: the last frame, role `first_frame`, sent inline as a data URI. The new task
//! asks for its own last frame (`return_last_frame`), so it can be continued in turn.
//! Where the frame comes from (saved files first, then links) is
//! [`frame_source`](super::frame_source).

use super::image::{MAX_IMAGE_BYTES, sniff};
use super::{GenerationRequest, ImageInput, Role, prefill};
use crate::api::TaskRecord;
use base64::Engine;
use image::RgbImage;

/// JPEG qualities tried, best first, when a PNG of the frame is above the API's limit.
const JPEG_QUALITIES: [u8; 4] = [92, 85, 75, 60];

/// The prefilled request, and what to tell the person when it lacks the frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Continuation {
    pub request: GenerationRequest,
    /// Why the request has no frame (set exactly when it has none).
    pub notice: Option<String>,
    /// Why better sources gave no frame before the one that did (a saved copy no longer
    /// there, an image link that answered a web page), best first.
    pub skipped: Vec<String>,
}

/// The request that continues `record` with `frame`: a data URI, or why there is none.
pub fn with_image(record: &TaskRecord, frame: Result<String, String>) -> Continuation {
    build(prefill::from_record(record), frame)
}

fn build(mut request: GenerationRequest, uri: Result<String, String>) -> Continuation {
    request.images.clear();
    request.options.return_last_frame = true;
    let notice = match uri {
        Ok(source) => {
            request.images.push(ImageInput {
                source,
                role: Role::FirstFrame,
            });
            None
        }
        Err(notice) => Some(notice),
    };
    Continuation {
        request,
        notice,
        skipped: Vec::new(),
    }
}

/// An image file's bytes as the data URI sent: as they are when the API takes them (a
/// PNG, JPEG or WebP within its limit), else re-encoded.
pub fn image_uri(bytes: &[u8]) -> Result<String, UriError> {
    encoded_data_uri(bytes, MAX_IMAGE_BYTES)
}

/// Pixels as the data URI sent: a PNG, or a JPEG where the PNG is above the API's limit.
pub fn pixels_uri(image: &RgbImage) -> Result<String, UriError> {
    pixels_data_uri(image, MAX_IMAGE_BYTES)
}

/// An image file as a data URI: as it is when the API takes it, else re-encoded.
fn encoded_data_uri(bytes: &[u8], limit: u64) -> Result<String, UriError> {
    match sniff(bytes) {
        Some(mime) if bytes.len() as u64 <= limit => Ok(data_uri(mime, bytes)),
        _ => {
            let image = crate::media::decode_image(bytes)?;
            pixels_data_uri(&image, limit)
        }
    }
}

/// Pixels as a PNG data URI, or a JPEG one where the PNG would be above `limit` bytes.
fn pixels_data_uri(image: &RgbImage, limit: u64) -> Result<String, UriError> {
    let mut png = Vec::new();
    image
        .write_with_encoder(image::codecs::png::PngEncoder::new(&mut png))
        .map_err(UriError::Png)?;
    if png.len() as u64 <= limit {
        return Ok(data_uri("image/png", &png));
    }
    for quality in JPEG_QUALITIES {
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, quality)
            .encode_image(image)
            .map_err(UriError::Jpeg)?;
        if jpeg.len() as u64 <= limit {
            return Ok(data_uri("image/jpeg", &jpeg));
        }
    }
    Err(UriError::TooLarge { limit })
}

/// Why a frame cannot go to the API as a data URI.
#[derive(Debug, thiserror::Error)]
pub enum UriError {
    #[error(transparent)]
    Decode(#[from] crate::media::MediaError),
    #[error("PNG: {0}")]
    Png(image::ImageError),
    #[error("JPEG: {0}")]
    Jpeg(image::ImageError),
    #[error("even as a JPEG it is above the API's {} MB", .limit / (1024 * 1024))]
    TooLarge { limit: u64 },
}

fn data_uri(mime: &str, bytes: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    format!("data:{mime};base64,{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// The continuation of a record's JSON with this frame (a data URI or why not).
    fn continued(raw: &Value, frame: Result<String, String>) -> Continuation {
        build(prefill::from_raw(raw), frame)
    }

    fn record() -> Value {
        json!({"id": "t1", "request": {"model": "doubao-seedance-1-0-pro-250528",
            "content": [{"type": "text", "text": "a fox runs"},
                {"type": "image_url", "image_url": {"url": "https://e.x/start.png"}, "role": "first_frame"},
                {"type": "image_url", "image_url": {"url": "https://e.x/end.png"}, "role": "last_frame"}],
            "resolution": "720p", "ratio": "16:9", "duration": 5, "seed": 9,
            "camerafixed": true, "callback_url": "https://hook.example/x"}})
    }

    fn decode_uri(uri: &str) -> (String, Vec<u8>) {
        let (head, data) = uri.split_once(";base64,").expect("a base64 data URI");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .expect("base64");
        (head.trim_start_matches("data:").to_owned(), bytes)
    }

    fn gradient(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        })
    }

    #[test]
    fn pixels_become_the_only_image_as_a_png_first_frame() {
        let frame = gradient(320, 180);
        let c = continued(&record(), pixels_uri(&frame).map_err(|e| e.to_string()));
        assert_eq!(c.notice, None);
        let r = &c.request;
        assert_eq!(r.model, "doubao-seedance-1-0-pro-250528");
        assert_eq!(r.prompt, "a fox runs");
        assert_eq!(r.images.len(), 1, "the task's own images are replaced");
        assert_eq!(r.images[0].role, Role::FirstFrame);
        assert!(r.options.return_last_frame);
        assert_eq!(r.options.resolution.as_deref(), Some("720p"));
        assert_eq!((r.options.duration, r.options.seed), (Some(5), Some(9)));
        assert!(r.options.camera_fixed);
        assert_eq!(r.options.callback_url, None);
        let body = r.prepare().expect("ready to send").body;
        assert_eq!(body["return_last_frame"], json!(true));
        let content = body["content"].as_array().expect("content");
        assert_eq!(content.len(), 2);
        assert_eq!(content[1]["role"], json!("first_frame"));
        let url = content[1]["image_url"]["url"].as_str().expect("url");
        let (mime, bytes) = decode_uri(url);
        assert_eq!(mime, "image/png");
        let back = image::load_from_memory(&bytes).expect("a PNG").into_rgb8();
        assert_eq!(back, frame, "PNG is lossless and at the frame's own size");
    }

    #[test]
    fn an_api_image_is_sent_as_it_is() {
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80)
            .encode_image(&gradient(1280, 720))
            .expect("jpeg");
        let c = continued(&record(), image_uri(&jpeg).map_err(|e| e.to_string()));
        let (mime, bytes) = decode_uri(&c.request.images[0].source);
        assert_eq!((mime.as_str(), bytes), ("image/jpeg", jpeg));
    }

    #[test]
    fn a_png_above_the_limit_goes_as_jpeg() {
        // Noise does not compress: its PNG is above a 40 KB limit, a JPEG of it is not.
        let mut rng = fastrand::Rng::with_seed(7);
        let noise = RgbImage::from_fn(160, 120, |_, _| {
            image::Rgb([rng.u8(..), rng.u8(..), rng.u8(..)])
        });
        let uri = pixels_data_uri(&noise, 40_000).expect("fits as JPEG");
        let (mime, bytes) = decode_uri(&uri);
        assert_eq!(mime, "image/jpeg");
        assert!(bytes.len() <= 40_000);
        let back = image::load_from_memory(&bytes).expect("jpeg");
        assert_eq!((back.width(), back.height()), (160, 120), "its own size");
        assert!(
            pixels_data_uri(&noise, 100).is_err(),
            "too big even as JPEG"
        );
        // An encoded image above the limit is re-encoded the same way.
        let mut png = Vec::new();
        noise
            .write_with_encoder(image::codecs::png::PngEncoder::new(&mut png))
            .expect("png");
        let (mime, _) = decode_uri(&encoded_data_uri(&png, 40_000).expect("fits as JPEG"));
        assert_eq!(mime, "image/jpeg");
    }

    #[test]
    fn without_a_frame_everything_else_is_prefilled() {
        let reason = "this video's last frame cannot be decoded: HEVC (hvc1) not supported";
        let c = continued(&record(), Err(reason.to_owned()));
        assert_eq!(c.notice.as_deref(), Some(reason));
        assert!(c.request.images.is_empty());
        assert!(c.request.options.return_last_frame);
        assert_eq!(c.request.model, "doubao-seedance-1-0-pro-250528");
        let why = image_uri(b"<html>not an image</html>").expect_err("not an image");
        assert!(why.to_string().starts_with("not an image"), "{why}");
    }

    #[test]
    fn the_model_comes_from_the_record_when_the_request_lacks_it() {
        let raw = json!({"id": "t2", "request": {"prompt": "waves"},
            "response": {"data": {"model": "doubao-seedance-2-0-260128"}}});
        let record = TaskRecord::from_value(raw).expect("record");
        let frame = gradient(8, 8);
        let c = with_image(&record, Ok(pixels_uri(&frame).expect("a PNG")));
        assert_eq!(c.request.model, "doubao-seedance-2-0-260128");
        assert_eq!(c.request.images.len(), 1);
    }
}
