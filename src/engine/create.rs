//! Creates through the door: a generation waits for a request slot, the 429 gate and the
//! pace like every other call, and is sent again only when it cannot have reached the API
//! ([`CreateFailure::NotSent`]: a 429 or a connection that could not be made). Anything
//! else, an uncertain failure included, is the answer: a create is never resent once it
//! may have been accepted, since each one spends balance.

use super::door::{Answer, Door};
use crate::api::{ApiError, CreateFailure, CreateResponse, ErrorKind};
use serde_json::Value;
use std::time::Duration;

/// One generation to send: the checked request body, and the model and prompt the demo
/// needs to play one.
#[derive(Debug, Clone)]
pub struct CreateCall {
    pub body: Value,
    pub model: String,
    pub prompt: String,
}

/// Told before each wait: the attempt that failed, the wait, and why.
pub type OnRetry = Box<dyn FnMut(u32, Duration, &ApiError) + Send>;

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

fn judge(result: &Result<CreateResponse, CreateFailure>) -> Answer {
    match result {
        Err(CreateFailure::NotSent(e)) if e.kind == ErrorKind::RateLimited => {
            Answer::Limited(e.retry_after)
        }
        Err(CreateFailure::NotSent(_)) => Answer::NotReached,
        _ => Answer::Accepted,
    }
}

pub async fn run(
    door: &Door,
    call: &CreateCall,
    policy: &CreatePolicy,
    on_retry: &mut OnRetry,
) -> Result<CreateResponse, CreateFailure> {
    let attempts = policy.attempts.max(1);
    let mut attempt = 1;
    loop {
        let (result, _) = door.send(|| door.backend().create(call), judge).await;
        let error = match result {
            Err(CreateFailure::NotSent(e)) => e,
            other => return other,
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
