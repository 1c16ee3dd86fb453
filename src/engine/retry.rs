use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Exponential backoff with "equal jitter": half the delay is fixed, half random, so
/// retries of many batches spread out instead of hitting the server together.
pub fn backoff(attempt: u32, base: Duration, max: Duration) -> Duration {
    let exp = base.saturating_mul(2u32.saturating_pow(attempt.min(16)));
    let capped = exp.min(max);
    let half = capped / 2;
    half + half.mul_f64(fastrand::f64())
}

/// A shared "not before" time: when the API says 429 with Retry-After, every batch waits,
/// not only the one that was told (the limit is per token, not per request).
#[derive(Debug, Default)]
pub struct Gate {
    not_before: Mutex<Option<Instant>>,
}

impl Gate {
    pub fn close_until(&self, until: Instant) {
        if let Ok(mut slot) = self.not_before.lock() {
            *slot = Some(slot.map_or(until, |t| t.max(until)));
        }
    }

    pub async fn wait(&self) {
        loop {
            let until = self.not_before.lock().ok().and_then(|slot| *slot);
            match until {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t).await,
                _ => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(2);
        for attempt in 0..20 {
            let d = backoff(attempt, base, max);
            let full = base
                .saturating_mul(2u32.saturating_pow(attempt.min(16)))
                .min(max);
            assert!(d >= full / 2 && d <= full, "{attempt}: {d:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn gate_holds_until_the_latest_time() {
        let gate = Gate::default();
        let start = Instant::now();
        gate.close_until(start + Duration::from_secs(3));
        gate.close_until(start + Duration::from_secs(1));
        gate.wait().await;
        assert!(start.elapsed() >= Duration::from_secs(3));
    }
}
