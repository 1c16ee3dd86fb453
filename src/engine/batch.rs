use super::retry::{Gate, backoff};
use super::{Backend, EngineConfig, Event, Outcome};
use crate::api::{ApiError, ErrorKind, TaskRecord};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// What every batch task shares.
pub struct Shared {
    pub backend: Backend,
    pub config: EngineConfig,
    pub permits: Arc<Semaphore>,
    pub gate: Arc<Gate>,
    /// Set by the first auth or balance error: later batches end with it, unsent.
    pub halt: Arc<Mutex<Option<Arc<ApiError>>>>,
    pub emit: Arc<dyn Fn(Event) + Send + Sync>,
}

impl Shared {
    fn halted(&self) -> Option<Arc<ApiError>> {
        self.halt.lock().ok().and_then(|h| h.clone())
    }

    fn halt_with(&self, error: Arc<ApiError>) {
        if let Ok(mut h) = self.halt.lock()
            && h.is_none()
        {
            *h = Some(error);
        }
    }
}

/// Asks about `ids` (one batch) and returns exactly one outcome per id, in input order.
pub async fn run(shared: &Shared, ids: Vec<String>) -> Vec<(String, Outcome)> {
    let mut outcomes: HashMap<String, Outcome> = HashMap::with_capacity(ids.len());
    let mut chunks = vec![ids.clone()];
    while let Some(chunk) = chunks.pop() {
        match ask_with_retries(shared, &chunk).await {
            Ok(records) => match_records(&chunk, records, &mut outcomes),
            Err(e) if e.kind == ErrorKind::TooLarge && chunk.len() > 1 => {
                let (a, b) = chunk.split_at(chunk.len() / 2);
                chunks.push(b.to_vec());
                chunks.push(a.to_vec());
            }
            Err(e) if e.kind == ErrorKind::NotFound => {
                for id in chunk {
                    outcomes.insert(id, Outcome::NotFound);
                }
            }
            Err(e) => {
                let e = Arc::new(e);
                if e.stops_everything() {
                    shared.halt_with(e.clone());
                }
                for id in chunk {
                    outcomes.insert(id, Outcome::Error(e.clone()));
                }
            }
        }
    }
    ids.into_iter()
        .map(|id| {
            let outcome = outcomes.remove(&id).unwrap_or(Outcome::NotFound);
            (id, outcome)
        })
        .collect()
}

fn match_records(chunk: &[String], records: Vec<TaskRecord>, out: &mut HashMap<String, Outcome>) {
    let mut by_id: HashMap<String, TaskRecord> = HashMap::with_capacity(records.len());
    for record in records {
        by_id
            .entry(record.id.to_ascii_lowercase())
            .or_insert(record);
    }
    for id in chunk {
        let outcome = match by_id.remove(&id.to_ascii_lowercase()) {
            Some(record) => Outcome::Found(std::sync::Arc::new(record)),
            None => Outcome::NotFound,
        };
        out.insert(id.clone(), outcome);
    }
}

async fn ask_with_retries(shared: &Shared, chunk: &[String]) -> Result<Vec<TaskRecord>, ApiError> {
    let mut attempt: u32 = 0;
    loop {
        if let Some(e) = shared.halted() {
            return Err((*e).clone());
        }
        shared.gate.wait().await;
        let result = {
            let _permit =
                shared.permits.acquire().await.map_err(|_| {
                    ApiError::new(ErrorKind::Network, "the engine is shutting down")
                })?;
            // The halt or a Retry-After may have come while we queued for a permit.
            if let Some(e) = shared.halted() {
                return Err((*e).clone());
            }
            shared.gate.wait().await;
            shared.backend.ask(chunk).await
        };
        let error = match result {
            Ok(records) => return Ok(records),
            Err(e) => e,
        };
        let limit = if error.kind == ErrorKind::RateLimited {
            shared.config.max_rate_limit_retries
        } else {
            shared.config.max_retries
        };
        if !error.is_retryable() || attempt >= limit {
            return Err(error);
        }
        let wait = error.retry_after.unwrap_or_else(|| {
            backoff(
                attempt,
                shared.config.backoff_base,
                shared.config.backoff_max,
            )
        });
        if error.kind == ErrorKind::RateLimited {
            shared.gate.close_until(Instant::now() + wait);
        }
        attempt += 1;
        (shared.emit)(Event::Retrying {
            ids: chunk.len(),
            attempt,
            wait,
            error: Arc::new(error),
        });
        tokio::time::sleep(wait).await;
    }
}
