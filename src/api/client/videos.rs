//! `POST {base}/seedance/videos`: starting a generation. Not idempotent, and it spends the
//! balance. One call sends it once and says what is known: a 429 (the gateway did not
//! accept it) and a connection that could not be made (nothing was sent) are
//! [`CreateFailure::NotSent`]; whether to send again is the engine's policy.

use super::{Client, network_error, read_json};
use crate::api::{ApiError, ErrorKind};
use serde_json::Value;

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
    /// Nothing reached the API (the connection could not be made), or it answered 429:
    /// nothing was created.
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

impl Client {
    /// `{base}/seedance/videos`: the tasks endpoint's sibling.
    pub fn videos_endpoint(&self) -> reqwest::Url {
        let mut url = self.endpoint.clone();
        let path = url.path().trim_end_matches("/tasks").to_owned();
        url.set_path(&format!("{path}/videos"));
        url
    }

    /// Sends one generation, once.
    pub async fn create_video(&self, body: &Value) -> Result<CreateResponse, CreateFailure> {
        match self
            .http
            .post(self.videos_endpoint())
            .json(body)
            .send()
            .await
        {
            // Connecting failed: not a byte of the request left this machine.
            Err(e) if e.is_connect() => Err(CreateFailure::NotSent(network_error(e))),
            Err(e) => Err(CreateFailure::Uncertain(network_error(e))),
            Ok(response) => match read_json(response, &self.token).await {
                Ok(value) => created(value),
                Err(e) => Err(match e.kind {
                    ErrorKind::RateLimited => CreateFailure::NotSent(e),
                    ErrorKind::Server | ErrorKind::Network | ErrorKind::Decode => {
                        CreateFailure::Uncertain(e)
                    }
                    _ => CreateFailure::Refused(e),
                }),
            },
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
