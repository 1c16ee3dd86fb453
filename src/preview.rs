//! Media fetched into memory for posters: the API's last-frame image, and the start of a
//! video (a `Range` request) when it is not saved. Off the UI thread, within the links'
//! rules; what becomes of the bytes is `media` (decoding) and `gui::posters` (textures).

/// Bodies above this are refused: a last-frame image is a few MB at most.
pub const MAX_BODY: usize = 20 * 1000 * 1000;
/// How much of a video is asked for first: enough for the index and the first frame of
/// a typical generation (the index at the start, as web-ready MP4s have it).
pub const VIDEO_START: usize = 2 * 1024 * 1024;

/// Why a fetch gave nothing ("HTTP 404 Not Found", "image larger than 20 MB", …).
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
}

/// Fetches media into memory; cheap to clone (one connection pool). Each fetch holds one
/// of the process-wide media slots (`library::media_slots`) while it runs, so posters,
/// Continue's frames, library saves and downloads share one limit.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    slots: std::sync::Arc<tokio::sync::Semaphore>,
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
        Self {
            client,
            slots: crate::library::media_slots(),
        }
    }

    /// The bytes at `url` (at most [`MAX_BODY`]), or why there are none ("HTTP 404 Not
    /// Found", "image larger than 20 MB"). Links that are not fetched (off the web, plain
    /// http to another machine, the demo's) are refused before any connection.
    pub async fn image(&self, url: &str) -> Result<Vec<u8>, PreviewError> {
        let url = crate::links::fetch_link(url)?;
        // The slots are never closed; were they, fetching without one beats failing.
        let _slot = self.slots.acquire().await.ok();
        let response = self
            .client
            .get(url.as_str())
            .send()
            .await
            .map_err(PreviewError::Request)?;
        read_body(response, MAX_BODY, true).await
    }

    /// The first `len` bytes of the video at `url` (fewer if it is shorter). Asks with
    /// `Range`; a server that ignores it and sends the whole file is read only that far.
    pub async fn video_start(&self, url: &str, len: usize) -> Result<Vec<u8>, PreviewError> {
        let url = crate::links::fetch_link(url)?;
        let last = len.saturating_sub(1);
        let _slot = self.slots.acquire().await.ok();
        let response = self
            .client
            .get(url.as_str())
            .header(reqwest::header::RANGE, format!("bytes=0-{last}"))
            .send()
            .await
            .map_err(PreviewError::Request)?;
        read_body(response, len, false).await
    }
}

/// The body of a successful answer, at most `max` bytes: past that it is refused
/// (`refuse_more`) or cut at `max`.
async fn read_body(
    mut response: reqwest::Response,
    max: usize,
    refuse_more: bool,
) -> Result<Vec<u8>, PreviewError> {
    let status = response.status();
    if !status.is_success() {
        return Err(PreviewError::Status {
            code: status.as_u16(),
            reason: status.canonical_reason(),
        });
    }
    let announced = response.content_length();
    if refuse_more && announced.is_some_and(|n| n > max as u64) {
        return Err(PreviewError::TooLarge);
    }
    let mut body = Vec::with_capacity(announced.map_or(0, |n| (n as usize).min(max)));
    while let Some(chunk) = response.chunk().await.map_err(|_| PreviewError::Dropped)? {
        // Servers may send no length, or lie about it.
        if body.len() + chunk.len() > max {
            if refuse_more {
                return Err(PreviewError::TooLarge);
            }
            body.extend_from_slice(&chunk[..max - body.len()]);
            break;
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
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
