//! The one media fetcher: a video or image link streamed into a `.part` file, accepted
//! only when its first bytes show the expected type and its length matches what the
//! server announced; resumed with `Range` after a cut where the server allows it, started
//! over where it does not, and retried with backoff while tries make progress.

use super::media::{Detected, MediaKind, sniff};
use super::part::PartFile;
use super::wording::{describe_request, describe_status, describe_unfollowed, human_bytes};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_RANGE, CONTENT_TYPE, RANGE};
use std::io;
use std::path::Path;
use std::time::Duration;

/// Why a file was not fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The link breaks the link rule (see [`crate::links::fetch_link`]), or a redirect did.
    #[error("{0}")]
    Refused(String),
    /// 403, 404 or 410: an expired CDN link. Asking again would not bring it back.
    #[error("the link has expired; the {noun} is no longer available")]
    Gone { noun: &'static str, status: u16 },
    /// `what` is "a video" or "an image".
    #[error("not {what}: the link answered {answered}")]
    NotMedia {
        what: &'static str,
        answered: String,
    },
    /// The `.part` was removed; nothing else was touched.
    #[error("no space left on {dir}")]
    NoSpace { dir: String },
    #[error("cannot write {path}: {reason}")]
    Write { path: String, reason: String },
    /// Another HTTP status that retrying does not change (400, 401, …).
    #[error("{0}")]
    Status(String),
    /// Tries in a row without progress: the network, the server or its 5xx answers.
    #[error("{0}")]
    Network(String),
    #[error("{0}")]
    Length(String),
}

impl FetchError {
    /// Whether a later try (Retry) may work: the link itself is fine.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            FetchError::NoSpace { .. } | FetchError::Write { .. } | FetchError::Network(_)
        )
    }

    pub fn is_gone(&self) -> bool {
        matches!(self, FetchError::Gone { .. })
    }

    /// An I/O error on the `.part` (or a file beside it) at `path`.
    pub fn io(path: &Path, e: &io::Error) -> Self {
        if e.kind() == io::ErrorKind::StorageFull {
            let dir = path.parent().unwrap_or(path);
            return FetchError::NoSpace {
                dir: dir.display().to_string(),
            };
        }
        FetchError::Write {
            path: path.display().to_string(),
            reason: super::wording::describe_io(e),
        }
    }
}

/// How long a fetch keeps trying.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Tries in a row that gain no byte before giving up.
    pub tries_without_progress: u32,
    pub first_wait: Duration,
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            tries_without_progress: 4,
            first_wait: Duration::from_millis(500),
            max_wait: Duration::from_secs(8),
        }
    }
}

/// A finished, synced `.part` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub size: u64,
    /// Lowercase hex.
    pub sha256: String,
    pub detected: Detected,
}

/// Progress of one file: bytes on disk (or about to be) and the whole size where known.
pub type Progress<'a> = &'a (dyn Fn(u64, Option<u64>) + Send + Sync);

/// Fetches `url` into `part` (created or emptied). On success the file is whole, verified
/// and synced, and waits for [`super::part::commit`]; on failure it is removed. Dropping
/// the future (a cancel) leaves the `.part` for the caller to remove.
pub async fn fetch(
    client: &reqwest::Client,
    url: &str,
    part: &Path,
    expect: MediaKind,
    retry: &RetryPolicy,
    progress: Progress<'_>,
) -> Result<Fetched, FetchError> {
    // Checked here, not only by the client's redirect rule: the first hop is the record's.
    let url = crate::links::fetch_link(url).map_err(|e| FetchError::Refused(e.reason))?;
    let mut file = PartFile::create(part)
        .await
        .map_err(|e| FetchError::io(part, &e))?;
    match fetch_into(client, &url, &mut file, expect, retry, progress).await {
        Ok(detected) => match file.finish().await {
            Ok((size, sha256)) => Ok(Fetched {
                size,
                sha256,
                detected,
            }),
            // The last write or the sync failed (a full disk shows here when the whole
            // file fitted in the buffer): the file is closed by now.
            Err(e) => {
                let _ = tokio::fs::remove_file(part).await;
                Err(FetchError::io(part, &e))
            }
        },
        Err(e) => {
            drop(file);
            let _ = tokio::fs::remove_file(part).await;
            Err(e)
        }
    }
}

/// What ends one try.
enum TryEnd {
    /// Not worth another try.
    Fatal(FetchError),
    /// Worth another try (after a wait), from where this one stopped.
    Again(String),
}

async fn fetch_into(
    client: &reqwest::Client,
    url: &url::Url,
    file: &mut PartFile,
    expect: MediaKind,
    retry: &RetryPolicy,
    progress: Progress<'_>,
) -> Result<Detected, FetchError> {
    let mut fruitless = 0u32;
    let mut wait = retry.first_wait;
    loop {
        let before = file.len();
        let reason = match one_try(client, url, file, expect, progress).await {
            Ok(detected) => return Ok(detected),
            Err(TryEnd::Fatal(e)) => return Err(e),
            Err(TryEnd::Again(reason)) => reason,
        };
        if file.len() > before {
            fruitless = 0;
            wait = retry.first_wait;
        } else {
            fruitless += 1;
        }
        if fruitless >= retry.tries_without_progress {
            return Err(FetchError::Network(reason));
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(retry.max_wait);
    }
}

async fn one_try(
    client: &reqwest::Client,
    url: &url::Url,
    file: &mut PartFile,
    expect: MediaKind,
    progress: Progress<'_>,
) -> Result<Detected, TryEnd> {
    let io_error = |file: &PartFile, e: io::Error| TryEnd::Fatal(FetchError::io(file.path(), &e));
    let offset = file.len();
    let mut request = client.get(url.clone());
    if offset > 0 {
        request = request.header(RANGE, format!("bytes={offset}-"));
    }
    let mut response = request.send().await.map_err(|e| {
        let reason = describe_request(&e);
        if e.is_builder() || e.is_redirect() {
            TryEnd::Fatal(FetchError::Refused(reason))
        } else {
            TryEnd::Again(reason)
        }
    })?;
    let status = response.status();
    let total = match status {
        StatusCode::PARTIAL_CONTENT => match content_range(&response) {
            Some((start, total)) if start == offset => total,
            // Not the rest that was asked for: start again from nothing.
            _ => {
                file.restart().await.map_err(|e| io_error(file, e))?;
                return Err(TryEnd::Again("the server resumed at another place".into()));
            }
        },
        StatusCode::OK => {
            if offset > 0 {
                // The server ignores Range: the body is the whole file again.
                file.restart().await.map_err(|e| io_error(file, e))?;
            }
            response.content_length()
        }
        StatusCode::RANGE_NOT_SATISFIABLE => {
            file.restart().await.map_err(|e| io_error(file, e))?;
            return Err(TryEnd::Again(describe_status(status)));
        }
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND | StatusCode::GONE => {
            return Err(TryEnd::Fatal(FetchError::Gone {
                noun: expect.noun(),
                status: status.as_u16(),
            }));
        }
        s if s.is_redirection() => {
            return Err(TryEnd::Fatal(FetchError::Refused(describe_unfollowed(
                &response,
            ))));
        }
        s if s.is_server_error()
            || s == StatusCode::TOO_MANY_REQUESTS
            || s == StatusCode::REQUEST_TIMEOUT =>
        {
            return Err(TryEnd::Again(describe_status(s)));
        }
        s => return Err(TryEnd::Fatal(FetchError::Status(describe_status(s)))),
    };
    let answered = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "a body of no stated type".into());
    let not_media = || {
        TryEnd::Fatal(FetchError::NotMedia {
            what: expect.with_article(),
            answered: answered.clone(),
        })
    };
    let mut detected = if file.len() >= super::media::HEAD_BYTES as u64 {
        sniff(file.head(), expect)
    } else {
        None
    };
    progress(file.len(), total);
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(e) => {
                let got = human_bytes(file.len());
                return Err(TryEnd::Again(if e.is_timeout() {
                    format!("no data for 60 s after {got}")
                } else {
                    format!("connection dropped after {got}")
                }));
            }
        };
        file.write(&chunk).await.map_err(|e| io_error(file, e))?;
        if detected.is_none() && file.head().len() >= super::media::HEAD_BYTES {
            detected = Some(sniff(file.head(), expect).ok_or_else(not_media)?);
        }
        if let Some(total) = total
            && file.len() > total
        {
            return Err(TryEnd::Fatal(FetchError::Length(format!(
                "the server sent more than the {} it announced",
                human_bytes(total)
            ))));
        }
        progress(file.len(), total);
    }
    if let Some(total) = total
        && file.len() < total
    {
        return Err(TryEnd::Again(format!(
            "connection dropped after {} of {}",
            human_bytes(file.len()),
            human_bytes(total)
        )));
    }
    detected.ok_or_else(not_media)
}

/// `bytes <start>-<end>/<total>`: the start, and the total unless it is `*`.
fn content_range(response: &reqwest::Response) -> Option<(u64, Option<u64>)> {
    let value = response.headers().get(CONTENT_RANGE)?.to_str().ok()?;
    let (range, total) = value.trim().strip_prefix("bytes ")?.split_once('/')?;
    let (start, _) = range.split_once('-')?;
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    Some((start.trim().parse().ok()?, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_as_the_issue_says() {
        let gone = FetchError::Gone {
            noun: "video",
            status: 403,
        };
        assert_eq!(
            gone.to_string(),
            "the link has expired; the video is no longer available"
        );
        assert!(!gone.is_retryable());
        let html = FetchError::NotMedia {
            what: MediaKind::Video.with_article(),
            answered: "text/html".into(),
        };
        assert_eq!(html.to_string(), "not a video: the link answered text/html");
        let img = FetchError::NotMedia {
            what: MediaKind::Image.with_article(),
            answered: "text/html".into(),
        };
        assert_eq!(img.to_string(), "not an image: the link answered text/html");
        let full = FetchError::io(
            Path::new("/lib/2026-12/x.mp4.part"),
            &io::Error::from(io::ErrorKind::StorageFull),
        );
        assert_eq!(full.to_string(), "no space left on /lib/2026-12");
        assert!(full.is_retryable());
    }
}
