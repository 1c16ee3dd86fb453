mod videos;

pub use videos::{CreateFailure, CreateResponse};

use super::answer::{self, BatchAnswer};
use super::error::excerpt;
use super::{ApiError, ErrorKind, TaskRecord};
use crate::secrets::Token;
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, LOCATION, RETRY_AFTER,
};
use reqwest::{Response, Url};
use serde_json::{Value, json};
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

pub const DEFAULT_API_BASE: &str = "https://api.acedata.cloud";

/// How to reach the API. The token is passed separately so that a config can be printed.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub base_url: String,
    pub connect_timeout: Duration,
    /// For one whole request. SeeDance retrieve calls answer in well under a second; 30 s
    /// leaves room for a slow batch of 50 without letting a hung proxy stall a watch.
    pub request_timeout: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_API_BASE.to_owned(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// The SeeDance Tasks endpoint. Cheap to clone: reqwest shares one connection pool, so
/// every batch reuses the same keep-alive connections.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    endpoint: Url,
    /// The token's text, only to cut it out of what the server says: a server that echoes
    /// the credential it refused must not get it into the history, exports or the screen.
    pub(super) token: std::sync::Arc<str>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The default headers hold the token: never print them.
        f.debug_struct("Client")
            .field("endpoint", &self.endpoint.as_str())
            .finish()
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// A longer wait than this is more likely a misconfigured proxy than a real limit; the
/// engine's bounded retries then end with an error a person can act on.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::from_secs_f64(seconds.min(MAX_RETRY_AFTER.as_secs_f64())));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    let wait = when
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO);
    Some(wait.min(MAX_RETRY_AFTER))
}

impl Client {
    /// Checks the base URL and builds the shared HTTP client with the contract's headers.
    pub fn new(config: &ClientConfig, token: &Token) -> Result<Self, ApiError> {
        let base = Url::parse(config.base_url.trim()).map_err(|e| {
            ApiError::new(
                ErrorKind::Request,
                format!("invalid API base {:?}: {e}", config.base_url),
            )
        })?;
        match base.scheme() {
            "https" => {}
            "http" if is_loopback(&base) => {}
            "http" => {
                return Err(ApiError::new(
                    ErrorKind::InsecureTransport,
                    format!(
                        "refusing to send the API token over plain http to {}",
                        base.host_str().unwrap_or("?")
                    ),
                ));
            }
            other => {
                return Err(ApiError::new(
                    ErrorKind::Request,
                    format!("unsupported URL scheme {other:?}"),
                ));
            }
        }
        let mut endpoint = base;
        let path = format!("{}/seedance/tasks", endpoint.path().trim_end_matches('/'));
        endpoint.set_path(&path);

        let mut auth =
            HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                ApiError::new(
                    ErrorKind::Auth,
                    "the API token contains characters that cannot be sent in a header",
                )
            })?;
        auth.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(AUTHORIZATION, auth);

        let http = reqwest::Client::builder()
            .user_agent(concat!("seedance-tasks/", env!("CARGO_PKG_VERSION")))
            .default_headers(headers)
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            // The API never redirects. A redirect means a wrong base or a proxy's login
            // page, and following one would carry the token to wherever it points.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                ApiError::new(
                    ErrorKind::Request,
                    format!("cannot build the HTTP client: {e}"),
                )
            })?;
        Ok(Self {
            http,
            endpoint,
            token: token.expose().into(),
        })
    }

    pub fn endpoint(&self) -> &str {
        self.endpoint.as_str()
    }

    /// Whether `other` asks the same endpoint with the same token: the same rate limit.
    pub fn same_account(&self, other: &Client) -> bool {
        self.endpoint == other.endpoint && self.token == other.token
    }

    /// One task; `Ok(None)` when the API does not know the id: it answers `{}`, or an
    /// error whose code is `not_found`. Any other 404 (`no_api`, a proxy's page, an empty
    /// body) is an error of the call: it says nothing about the task.
    pub async fn retrieve(&self, id: &str) -> Result<Option<TaskRecord>, ApiError> {
        match self
            .post_text(&json!({"id": id, "action": "retrieve"}))
            .await
        {
            Ok(text) if text.len() <= SMALL_BODY_BYTES => answer::single(&text, &self.token),
            Ok(text) => {
                let token = self.token.clone();
                tokio::task::spawn_blocking(move || answer::single(&text, &token))
                    .await
                    .unwrap_or_else(|e| {
                        Err(ApiError::new(
                            ErrorKind::Decode,
                            format!("reading the answer stopped: {e}"),
                        ))
                    })
            }
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Several tasks in one call. The answer may miss ids and come in any order: callers
    /// match by `TaskRecord::id`. Items without an id, or of ids not asked, are dropped
    /// (they cannot be matched); a record that cannot be read is in `unreadable`.
    /// A batch answer lists the tasks it found, so an error, even `not_found`, is an error
    /// of the call and never "these ids are unknown".
    pub async fn retrieve_batch(&self, ids: &[String]) -> Result<BatchAnswer, ApiError> {
        let text = self
            .post_text(&json!({"ids": ids, "action": "retrieve_batch"}))
            .await
            .map_err(|mut e| {
                if e.kind == ErrorKind::NotFound {
                    e.kind = ErrorKind::Request;
                }
                e
            })?;
        answer::batch_off_thread(text, ids.to_vec(), self.token.clone()).await
    }

    /// The answer's text, once it is known to be JSON and no error of the call.
    pub(super) async fn post_text(&self, body: &Value) -> Result<String, ApiError> {
        let response = self
            .http
            .post(self.endpoint.clone())
            .json(body)
            .send()
            .await
            .map_err(network_error)?;
        read_answer(response, &self.token).await
    }
}

fn network_error(e: reqwest::Error) -> ApiError {
    // reqwest's message names the URL (never the token) and the cause chain.
    let mut message = if e.is_timeout() {
        "the request timed out".to_owned()
    } else if e.is_connect() {
        "cannot connect to the API".to_owned()
    } else {
        "the connection failed".to_owned()
    };
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(&e);
    let mut depth = 0;
    while let Some(s) = source
        && depth < 4
    {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
        depth += 1;
    }
    ApiError::new(ErrorKind::Network, message)
}

/// No answer of the API comes near this (a batch of 50 records is a few hundred KB); a
/// bigger body is a misbehaving server or proxy and must not fill the memory.
pub(super) const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// The body, read chunk by chunk and given up on past `MAX_BODY_BYTES`, whether or not
/// the server announced its length.
async fn read_capped(mut response: Response) -> Result<Vec<u8>, ApiError> {
    let too_big = || {
        ApiError::new(
            ErrorKind::Decode,
            format!(
                "the answer is larger than {} MB, far more than the API sends",
                MAX_BODY_BYTES / (1024 * 1024)
            ),
        )
    };
    let announced = response.content_length().unwrap_or(0);
    if announced > MAX_BODY_BYTES as u64 {
        return Err(too_big());
    }
    let mut body = Vec::with_capacity(usize::try_from(announced).unwrap_or(0));
    while let Some(chunk) = response.chunk().await.map_err(network_error)? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn redirect_error(status: u16, headers: &HeaderMap, trace: Option<String>) -> ApiError {
    let target = headers
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map_or_else(|| "(no Location given)".to_owned(), excerpt);
    ApiError {
        http_status: Some(status),
        trace_id: trace,
        ..ApiError::new(
            ErrorKind::Request,
            format!("the API base answered with a redirect to {target}, which is not followed"),
        )
    }
}

/// The answer as a whole `Value`, for a create: one call per generation a person starts,
/// whose answer is one small object (`task_id`, `trace_id`). Unlike the other calls' this
/// answer is built whole, so its memory follows what was sent (within the 32 MB cap).
async fn read_json(response: Response, token: &str) -> Result<Value, ApiError> {
    parse_value(&read_answer(response, token).await?)
}

fn parse_value(text: &str) -> Result<Value, ApiError> {
    serde_json::from_str(text).map_err(|e| {
        ApiError::new(
            ErrorKind::Decode,
            format!("the answer is not JSON ({e}): {}", excerpt(text)),
        )
    })
}

async fn read_answer(response: Response, token: &str) -> Result<String, ApiError> {
    let status = response.status().as_u16();
    let trace = response
        .headers()
        .get("x-trace-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if (300..400).contains(&status) {
        return Err(redirect_error(status, response.headers(), trace));
    }
    let wait = retry_after(response.headers());
    let body = read_capped(response).await?;
    if body.len() <= SMALL_BODY_BYTES {
        return interpret(status, body, token, trace, wait);
    }
    // Walking 30 MB takes a while (seconds in a debug build): on a runtime worker it
    // would hold up the other requests' bodies until their timeouts struck.
    let token = token.to_owned();
    tokio::task::spawn_blocking(move || interpret(status, body, &token, trace, wait))
        .await
        .unwrap_or_else(|e| {
            Err(ApiError::new(
                ErrorKind::Decode,
                format!("reading the answer stopped: {e}"),
            ))
        })
}

/// An answer this small is read where it arrives; a bigger one on a blocking thread.
const SMALL_BODY_BYTES: usize = 64 * 1024;

/// The body as text once it is known to be JSON and no error of the call, or the error
/// it says (its texts with the token hidden also where the body wrote it escaped).
fn interpret(
    status: u16,
    body: Vec<u8>,
    token: &str,
    trace: Option<String>,
    wait: Option<Duration>,
) -> Result<String, ApiError> {
    let body = answer::body_text(body, token);
    let checked = if (200..300).contains(&status) {
        answer::check(status, &body, trace, wait)
    } else {
        Err(ApiError::from_response(status, &body, trace, wait))
    };
    checked.map(|()| body).map_err(|e| hide_token(e, token))
}

/// The error's texts without the token: an error body's `"message": "TOK\u0045N"` is
/// the token once decoded, which the cut on the body's text cannot see.
fn hide_token(mut e: ApiError, token: &str) -> ApiError {
    let hide = |s: &mut String| {
        if let Some(hidden) = crate::text::redacted_if_held(s, token) {
            *s = hidden;
        }
    };
    hide(&mut e.message);
    if let Some(code) = &mut e.code {
        hide(code);
    }
    if let Some(trace) = &mut e.trace_id {
        hide(trace);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_plain_http_off_loopback() {
        let token = Token::new("secret-token-value");
        let mut config = ClientConfig::default();
        for base in [
            "http://127.0.0.1:9",
            "http://localhost:9/",
            "http://[::1]:9",
            "https://example.com",
        ] {
            config.base_url = base.into();
            assert!(Client::new(&config, &token).is_ok(), "{base}");
        }
        for base in ["http://example.com", "http://10.0.0.1", "ftp://x"] {
            config.base_url = base.into();
            let err = Client::new(&config, &token).expect_err(base);
            assert!(!err.to_string().contains("secret-token-value"));
        }
    }

    #[test]
    fn endpoint_keeps_a_base_path() {
        let config = ClientConfig {
            base_url: "https://proxy.example/api/".into(),
            ..Default::default()
        };
        let client = Client::new(&config, &Token::new("t")).expect("client");
        assert_eq!(
            client.endpoint(),
            "https://proxy.example/api/seedance/tasks"
        );
        assert!(!format!("{client:?}").contains("Bearer"));
    }

    #[test]
    fn retry_after_seconds_and_date() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
        h.insert(RETRY_AFTER, HeaderValue::from_str(&later).expect("header"));
        let d = retry_after(&h).expect("date");
        assert!(
            d > Duration::from_secs(100) && d <= Duration::from_secs(120),
            "{d:?}"
        );
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }
}
