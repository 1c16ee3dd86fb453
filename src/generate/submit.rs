//! Sending generations through the engine: one at a time ([`create_one`]) or a list with
//! at most [`MAX_IN_FLIGHT`] rows under way at once ([`spawn_batch`]). Each request waits
//! at the engine's door like every other call, and nothing sends a request twice once it
//! may have reached the API (see `CreateFailure` and `engine::CreatePolicy`).

use super::{GenerationRequest, Prepared, Problem};
use crate::api::{ApiError, CreateFailure};
use crate::engine::{CreateCall, CreatePolicy, EngineHandle, OnRetry};
use crate::secrets::Token;
use crate::text;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// Creates go two at a time: a list of prompts is not a reason to hammer the API, and a
/// spent balance is noticed after at most one more request.
pub const MAX_IN_FLIGHT: usize = 2;

/// Who creates: the engine, with the backend it was given (the API, or the demo whose
/// tasks then live their life in the same `Demo` the engine asks).
#[derive(Debug, Clone)]
pub struct Maker {
    pub engine: EngineHandle,
    /// The token in use, to hide it in what the server says (`None` for the demo).
    pub token: Option<Token>,
}

/// A generation the API accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    pub id: String,
    pub trace_id: Option<String>,
    pub prompt: String,
    pub model: String,
}

/// What became of one row of a list.
#[derive(Debug, Clone, PartialEq)]
pub enum RowOutcome {
    Created(Created),
    /// Not sent: the request did not pass its checks (or an image file could not be read).
    Invalid(Vec<Problem>),
    /// Sent and not created, or perhaps created: see [`CreateFailure`]. The error's text is
    /// safe to show (control characters removed, the token hidden).
    Failed {
        failure: CreateFailure,
        prompt: String,
    },
    /// Not sent because an earlier row showed that the token or the balance is the problem.
    Skipped(String),
}

impl RowOutcome {
    /// "May have been created — check your tasks": the one outcome that must not be
    /// presented as a plain failure (sending it again may pay twice).
    pub fn may_have_been_created(&self) -> bool {
        matches!(
            self,
            Self::Failed {
                failure: CreateFailure::Uncertain(_),
                ..
            }
        )
    }

    /// A token or balance problem: every further request would fail the same way.
    pub fn stops_everything(&self) -> bool {
        matches!(self, Self::Failed { failure: CreateFailure::Refused(e), .. } if e.stops_everything())
    }
}

/// Progress of a list, in the order things happen. `row` indexes the list given.
#[derive(Debug, Clone)]
pub enum BatchEvent {
    Started {
        row: usize,
    },
    /// A 429 or a refused connection: the row waits `wait`, then tries again.
    Retrying {
        row: usize,
        attempt: u32,
        wait: Duration,
        error: ApiError,
    },
    Finished {
        row: usize,
        outcome: RowOutcome,
    },
    /// Every row has its `Finished`.
    Done,
}

/// Sends one checked request. `on_retry` is told of each wait before a new try.
pub async fn create_one(
    maker: &Maker,
    prepared: &Prepared,
    policy: &CreatePolicy,
    mut on_retry: OnRetry,
) -> Result<Created, CreateFailure> {
    let token = maker.token.clone();
    let shown: OnRetry = Box::new(move |attempt, wait, e| {
        on_retry(attempt, wait, &safe(e.clone(), token.as_ref()));
    });
    let call = CreateCall {
        body: prepared.body.clone(),
        model: prepared.model.clone(),
        prompt: prepared.prompt.clone(),
    };
    match maker.engine.create(call, policy.clone(), shown).await {
        Ok(answer) => Ok(Created {
            id: answer.task_id,
            trace_id: answer.trace_id,
            prompt: prepared.prompt.clone(),
            model: prepared.model.clone(),
        }),
        Err(mut failure) => {
            let error = failure.error_mut();
            *error = safe(error.clone(), maker.token.as_ref());
            Err(failure)
        }
    }
}

/// The server's words as they came, minus control characters and the token.
fn safe(mut e: ApiError, token: Option<&Token>) -> ApiError {
    let secret = token.map(Token::expose);
    e.message = text::for_terminal(&e.message, secret);
    e.code = e.code.map(|c| text::for_terminal(&c, secret));
    e.trace_id = e.trace_id.map(|t| text::for_terminal(&t, secret));
    e
}

/// Checks, reads images (on the blocking pool) and sends every row, [`MAX_IN_FLIGHT`] at a
/// time; the events tell each row's fate. A failed row does not stop the others, except a
/// token or balance refusal: the rows not yet sent are then `Skipped`. Must be called
/// inside a tokio runtime; the window polls the receiver each frame.
pub fn spawn_batch(
    maker: Maker,
    rows: Vec<GenerationRequest>,
    policy: CreatePolicy,
) -> mpsc::UnboundedReceiver<BatchEvent> {
    let (tx, rx) = mpsc::unbounded_channel();
    let queue = Arc::new(Mutex::new(
        rows.into_iter().enumerate().collect::<VecDeque<_>>(),
    ));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..MAX_IN_FLIGHT)
        .map(|_| {
            let (maker, policy, tx) = (maker.clone(), policy.clone(), tx.clone());
            let (queue, stop) = (queue.clone(), stop.clone());
            tokio::spawn(async move {
                loop {
                    let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                    let Some((row, request)) = next else { break };
                    let outcome = if stop.load(Ordering::SeqCst) {
                        RowOutcome::Skipped("not sent: the token or the balance was refused".into())
                    } else {
                        let _ = tx.send(BatchEvent::Started { row });
                        run_row(&maker, request, &policy, row, &tx).await
                    };
                    if outcome.stops_everything() {
                        stop.store(true, Ordering::SeqCst);
                    }
                    let _ = tx.send(BatchEvent::Finished { row, outcome });
                }
            })
        })
        .collect();
    tokio::spawn(async move {
        for w in workers {
            let _ = w.await;
        }
        let _ = tx.send(BatchEvent::Done);
    });
    rx
}

async fn run_row(
    maker: &Maker,
    request: GenerationRequest,
    policy: &CreatePolicy,
    row: usize,
    tx: &mpsc::UnboundedSender<BatchEvent>,
) -> RowOutcome {
    let prompt = request.prompt.trim().to_owned();
    let prepared = match tokio::task::spawn_blocking(move || request.prepare()).await {
        Ok(Ok(p)) => p,
        Ok(Err(problems)) => return RowOutcome::Invalid(problems),
        Err(e) => {
            return RowOutcome::Invalid(vec![Problem::new(
                super::Field::Row,
                format!("the request could not be prepared: {e}"),
            )]);
        }
    };
    let tx = tx.clone();
    let on_retry: OnRetry = Box::new(move |attempt: u32, wait: Duration, error: &ApiError| {
        let _ = tx.send(BatchEvent::Retrying {
            row,
            attempt,
            wait,
            error: error.clone(),
        });
    });
    match create_one(maker, &prepared, policy, on_retry).await {
        Ok(created) => RowOutcome::Created(created),
        Err(failure) => RowOutcome::Failed { failure, prompt },
    }
}
