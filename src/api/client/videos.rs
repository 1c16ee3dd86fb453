//! `POST {base}/seedance/videos`: starting a generation. Not idempotent, and it spends the
//! balance: a request that may have reached the server is never sent again. Only a 429
//! (the gateway did not accept it) and a connection that could not be made (nothing was
//! sent) are retried.

use super::{Client, network_error, read_json};
use crate::api::{ApiError, ErrorKind};
use serde_json::Value;
use std::time::Duration;

/// The API's answer to an accepted generation.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateResponse {
    /// The id to follow the task by (`task_id`), the one `retrieve` takes.
    pub task_id: String,
    pub trace_id: Option<String>,
    /// The whole answer, unknown fields included.
    pub raw: Value,
}

/// Why no task id came back. The variants say what is known about the balance.
#[derive(Debug, Clone, PartialEq)]
pub enum CreateFailure {
    /// The API answered and refused (400, 401, 403, …): nothing was created.
    Refused(ApiError),
    /// Nothing reached the API (the connection could not be made), or it answered 429
    /// every time it was asked: nothing was created.
    NotSent(ApiError),
    /// The request may have been accepted before things went wrong (a timeout, a dropped
    /// connection, a 5xx, a page that is not the API's answer): a task may exist.
    Uncertain(ApiError),
}

impl CreateFailure {
    pub fn error(&self) -> &ApiError {
        match self {
            Self::Refused(e) | Self::NotSent(e) | Self::Uncertain(e) => e,
        }
    }

    pub fn error_mut(&mut self) -> &mut ApiError {
        match self {
            Self::Refused(e) | Self::NotSent(e) | Self::Uncertain(e) => e,
        }
    }
}

/// How hard to try before a request is sent (a sent one is never tried again).
#[derive(Debug, Clone)]
pub struct CreatePolicy {
    /// Tries in all, the first included.
    pub attempts: u32,
    /// Wait after a refused connection, doubled each time; also after a 429 that names no wait.
    pub backoff: Duration,
    /// A longer `Retry-After` than this is cut down to it.
    pub max_wait: Duration,
}

impl Default for CreatePolicy {
    fn default() -> Self {
        Self {
            attempts: 5,
            backoff: Duration::from_secs(1),
            max_wait: Duration::from_secs(60),
        }
    }
}

impl Client {
    /// `{base}/seedance/videos`: the tasks endpoint's sibling.
    pub fn videos_endpoint(&self) -> reqwest::Url {
        let mut url = self.endpoint.clone();
        let path = url.path().trim_end_matches("/tasks").to_owned();
        url.set_path(&format!("{path}/videos"));
        url
    }

    /// Sends one generation. `on_retry(attempt, wait, error)` is told before each wait.
    pub async fn create_video(
        &self,
        body: &Value,
        policy: &CreatePolicy,
        on_retry: &mut (dyn FnMut(u32, Duration, &ApiError) + Send),
    ) -> Result<CreateResponse, CreateFailure> {
        let url = self.videos_endpoint();
        let attempts = policy.attempts.max(1);
        let mut attempt = 1;
        loop {
            let error = match self.http.post(url.clone()).json(body).send().await {
                // Connecting failed: not a byte of the request left this machine.
                Err(e) if e.is_connect() => network_error(e),
                Err(e) => return Err(CreateFailure::Uncertain(network_error(e))),
                Ok(response) => match read_json(response, &self.token).await {
                    Ok(value) => return created(value),
                    Err(e) => match e.kind {
                        ErrorKind::RateLimited => e,
                        ErrorKind::Server | ErrorKind::Network | ErrorKind::Decode => {
                            return Err(CreateFailure::Uncertain(e));
                        }
                        _ => return Err(CreateFailure::Refused(e)),
                    },
                },
            };
            if attempt >= attempts {
                return Err(CreateFailure::NotSent(error));
            }
            let doubled = policy.backoff.saturating_mul(1 << (attempt - 1).min(10));
            let wait = error.retry_after.unwrap_or(doubled).min(policy.max_wait);
            on_retry(attempt, wait, &error);
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

fn created(value: Value) -> Result<CreateResponse, CreateFailure> {
    let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
    match text("task_id").filter(|id| !id.trim().is_empty()) {
        Some(task_id) => Ok(CreateResponse {
            task_id: task_id.trim().to_owned(),
            trace_id: text("trace_id"),
            raw: value,
        }),
        // A 2xx without an id: the API may well have started the task.
        None => Err(CreateFailure::Uncertain(ApiError {
            trace_id: text("trace_id"),
            ..ApiError::new(
                ErrorKind::Decode,
                format!(
                    "the answer carries no task id: {}",
                    super::excerpt(&value.to_string())
                ),
            )
        })),
    }
}
