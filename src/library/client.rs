//! The web client media fetches share, and the one process-wide limit on how many run.

use std::sync::{Arc, LazyLock};
use std::time::Duration;
use tokio::sync::Semaphore;

/// Media requests at once in the whole process, whoever started them (the library's
/// saves and size probes, the window's **Download…**, its posters' and Continue's fetches
/// through [`crate::preview::Fetcher`], the CLI): a CDN that throttles per client sees
/// three.
pub const MEDIA_FETCHES: usize = 3;

/// The shared slots of [`MEDIA_FETCHES`].
pub fn media_slots() -> Arc<Semaphore> {
    static SLOTS: LazyLock<Arc<Semaphore>> =
        LazyLock::new(|| Arc::new(Semaphore::new(MEDIA_FETCHES)));
    SLOTS.clone()
}

/// A plain client for public CDN links: no API token goes to a third-party host. Its
/// redirects follow [`crate::links::redirect_policy`]: never from https to http, never
/// off the web, never in clear text to another machine.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent(concat!("seedance-tasks/", env!("CARGO_PKG_VERSION")))
        .redirect(crate::links::redirect_policy())
        .connect_timeout(Duration::from_secs(10))
        // Per read, not overall: a large video on a slow link may take many minutes.
        .read_timeout(Duration::from_secs(60))
        .build()
        .unwrap_or_default()
}

/// The web client that downloads, the library and previews share, as a handle for
/// callers that should not depend on the HTTP library, such as the window: one
/// connection pool, the link and redirect rules of [`http_client`].
#[derive(Debug, Clone)]
pub struct WebClient(pub(crate) reqwest::Client);

impl Default for WebClient {
    fn default() -> Self {
        Self(http_client())
    }
}

impl WebClient {
    pub fn from_reqwest(client: reqwest::Client) -> Self {
        Self(client)
    }
}
