use super::door::{Answer, Door};
use super::retry::backoff;
use super::{EngineConfig, Event, Outcome};
use crate::api::{ApiError, BatchAnswer, ErrorKind};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What every batch task shares.
pub struct Shared {
    /// The engine's one door to the API: request slots, the 429 gate and the pace.
    pub door: Arc<Door>,
    pub config: EngineConfig,
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
        match with_retries(shared, chunk.len(), || shared.door.backend().ask(&chunk)).await {
            Ok(answer) => match_records(&chunk, answer, &mut outcomes),
            // Too many ids, or an answer that cannot be read (a NaN in one record makes the
            // whole body invalid JSON): halves are asked, down to single ids, so that only
            // the ids whose answers are bad end in an error.
            Err(e)
                if matches!(e.kind, ErrorKind::TooLarge | ErrorKind::Decode) && chunk.len() > 1 =>
            {
                let (a, b) = chunk.split_at(chunk.len() / 2);
                chunks.push(b.to_vec());
                chunks.push(a.to_vec());
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

fn match_records(chunk: &[String], answer: BatchAnswer, out: &mut HashMap<String, Outcome>) {
    let mut by_id: HashMap<String, Outcome> = HashMap::with_capacity(answer.records.len());
    for record in answer.records {
        by_id
            .entry(record.id.to_ascii_lowercase())
            .or_insert(Outcome::Found(Arc::new(record)));
    }
    for (id, error) in answer.unreadable {
        by_id
            .entry(id.to_ascii_lowercase())
            .or_insert(Outcome::Error(Arc::new(error)));
    }
    for id in chunk {
        let outcome = by_id
            .remove(&id.to_ascii_lowercase())
            .unwrap_or(Outcome::NotFound);
        out.insert(id.clone(), outcome);
    }
}

/// How much retrying of server trouble a batch has left. Only time of its own failures
/// counts (the failed requests and the backoff after them), not waits for a 429 or for a
/// free request slot.
struct Budget {
    left: Duration,
    attempt: u32,
}

impl Budget {
    /// The wait before the next try, or `None` when the budget is spent.
    fn next_wait(
        &mut self,
        config: &EngineConfig,
        error: &ApiError,
        spent: Duration,
    ) -> Option<Duration> {
        self.left = self.left.saturating_sub(spent);
        let wanted = error
            .retry_after
            .unwrap_or_else(|| backoff(self.attempt, config.backoff_base, config.backoff_max));
        let wait = wanted.min(self.left);
        if self.left.is_zero() {
            return None;
        }
        self.left -= wait;
        self.attempt += 1;
        Some(wait)
    }
}

/// Makes `call` until it succeeds, with the engine's whole retry policy: through the door
/// (a request slot, the shared 429 gate and pace), the time budget for server trouble and
/// the halt on an auth error. `ids` only sizes the `Retrying` event. Used by batches and
/// by listing pages alike, so a listing is exactly as polite to the API as a query.
pub async fn with_retries<T, F, Fut>(
    shared: &Shared,
    ids: usize,
    mut call: F,
) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ApiError>>,
{
    let config = &shared.config;
    let mut budget = Budget {
        left: config.retry_for,
        attempt: 0,
    };
    let mut limited_in_a_row: u32 = 0;
    let mut retries: u32 = 0;
    loop {
        if let Some(e) = shared.halted() {
            return Err((*e).clone());
        }
        let (result, took) = shared
            .door
            .send(
                || {
                    // The halt may have come while this one waited at the door: then it
                    // is not sent at all.
                    let call = shared.halted().is_none().then(&mut call);
                    async move {
                        match call {
                            Some(answer) => Some(answer.await),
                            None => None,
                        }
                    }
                },
                |answer: &Option<Result<T, ApiError>>| {
                    answer.as_ref().map_or(Answer::NotReached, Answer::of)
                },
            )
            .await;
        // Not sent: the loop's first check returns the halt.
        let Some(result) = result else { continue };
        let error = match result {
            Ok(answer) => return Ok(answer),
            Err(e) => e,
        };
        if !error.is_retryable() {
            return Err(error);
        }
        let wait = if error.kind == ErrorKind::RateLimited {
            limited_in_a_row += 1;
            if limited_in_a_row > config.max_rate_limit_retries {
                return Err(error);
            }
            // The door holds every request until Retry-After has passed; without one, this
            // batch backs off on its own as well.
            error.retry_after.unwrap_or_else(|| {
                backoff(
                    limited_in_a_row - 1,
                    config.backoff_base,
                    config.backoff_max,
                )
            })
        } else {
            limited_in_a_row = 0;
            match budget.next_wait(config, &error, took) {
                Some(wait) => wait,
                None => return Err(error),
            }
        };
        retries += 1;
        (shared.emit)(Event::Retrying {
            ids,
            attempt: retries,
            wait,
            error: Arc::new(error),
        });
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_time_and_the_last_wait_is_trimmed_to_it() {
        let config = EngineConfig {
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(4),
            ..EngineConfig::default()
        };
        let error = ApiError {
            retry_after: Some(Duration::from_secs(3)),
            ..ApiError::new(ErrorKind::Server, "boom")
        };
        let mut budget = Budget {
            left: Duration::from_secs(10),
            attempt: 0,
        };
        assert_eq!(
            budget.next_wait(&config, &error, Duration::from_secs(1)),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            budget.next_wait(&config, &error, Duration::from_secs(1)),
            Some(Duration::from_secs(3))
        );
        // 10 - (1 + 3) - (1 + 3) - 1 = 1 s left: the wait is cut to it, then it is over.
        assert_eq!(
            budget.next_wait(&config, &error, Duration::from_secs(1)),
            Some(Duration::from_secs(1))
        );
        assert_eq!(budget.next_wait(&config, &error, Duration::ZERO), None);

        let mut none = Budget {
            left: Duration::ZERO,
            attempt: 0,
        };
        assert_eq!(
            none.next_wait(&config, &error, Duration::ZERO),
            None,
            "retry_for 0: no retry"
        );
    }
}
