//! A video's size before it is saved ("Save 312 finished videos (≈ 4.1 GB)"): one `HEAD`
//! to its link, under the same link rule and in the same media slots as a save.

use super::{Inner, Library, SaveRequest};
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE};
use std::collections::HashMap;
use std::time::Duration;

/// How long one `HEAD` may take, from its slot to the answer's head: a size is a
/// nicety, not worth a slot for longer.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// The byte length of `request`'s video as its link announces it: `None` where it is not
/// known (no link, a link the rule refuses, no answer in time, an answer other than 2xx,
/// no `Content-Length`, or a type that says the body is no video).
pub(super) async fn probe(inner: &Inner, request: &SaveRequest) -> Option<u64> {
    let url = crate::links::fetch_link(request.video_url.as_deref()?).ok()?;
    let _slot = inner.slots.clone().acquire_owned().await.ok()?;
    let response = inner
        .client
        .head(url)
        .timeout(inner.probe_timeout)
        .send()
        .await
        .ok()?;
    if !response.status().is_success() {
        return None;
    }
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if content_type.is_some_and(|t| !could_be_video(t)) {
        return None;
    }
    // The header itself: reqwest's `content_length()` is the body's, which a HEAD lacks.
    response
        .headers()
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Whether a body of this content type may be a video. Servers label MP4 loosely
/// (`application/octet-stream`, `binary/octet-stream`, none at all), so only types that
/// name something else (a page, a document, an image, a sound) rule it out: bodies a save
/// would refuse by their first bytes.
fn could_be_video(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let (top, sub) = essence.split_once('/').unwrap_or((essence.as_str(), ""));
    !(top == "text"
        || top == "image"
        || top == "audio"
        || matches!(sub, "json" | "xml" | "xhtml+xml" | "javascript" | "pdf")
        || sub.ends_with("+xml")
        || sub.ends_with("+json"))
}

impl Library {
    /// The video's byte length from a `HEAD` to its link (see [`PROBE_TIMEOUT`]), in one
    /// of the media slots saves use; `None` where unknown. Nothing is written.
    pub async fn probe_size(&self, request: &SaveRequest) -> Option<u64> {
        probe(&self.inner, request).await
    }

    /// [`Self::probe_size`] for each request, at most as many at once as there are media
    /// slots. Every id is in the answer, with `None` where its size is not known.
    pub async fn probe_sizes(&self, requests: Vec<SaveRequest>) -> HashMap<String, Option<u64>> {
        let mut sizes: HashMap<String, Option<u64>> =
            requests.iter().map(|r| (r.id.clone(), None)).collect();
        let mut probes = tokio::task::JoinSet::new();
        for request in requests {
            let library = self.clone();
            // Each waits for a slot inside: the slots, not this loop, bound the HEADs.
            probes.spawn(async move {
                let size = library.probe_size(&request).await;
                (request.id, size)
            });
        }
        while let Some(done) = probes.join_next().await {
            // A probe that panicked leaves its id at `None`: its size is simply unknown.
            if let Ok((id, size)) = done {
                sizes.insert(id, size);
            }
        }
        sizes
    }
}

#[cfg(test)]
mod tests {
    use super::could_be_video;

    #[test]
    fn only_page_and_document_types_rule_out_a_video() {
        for t in [
            "video/mp4",
            "application/octet-stream",
            "binary/octet-stream",
            "VIDEO/MP4; charset=binary",
            "application/mp4",
        ] {
            assert!(could_be_video(t), "{t}");
        }
        for t in [
            "text/html; charset=utf-8",
            "text/plain",
            "application/xml",
            "application/json",
            "application/problem+json",
            "image/png",
            "application/xhtml+xml",
        ] {
            assert!(!could_be_video(t), "{t}");
        }
    }
}
