//! 1 000 ids through the engine against the loopback server in storm mode: every 3rd
//! admitted request a 500, every 7th an HTML 502, at most 3 requests admitted per second
//! and 429 with `Retry-After` beyond that. Default engine settings (batches of 50, 4 at
//! once, 60 s of retrying server trouble per batch).
//!
//! Goal: no id ends in an error, and the wall time stays within 2× the rate-limit bound.
//! The bound is the time the limit alone forces: the storm fails requests by their count,
//! so the 20 batches need the first `n` admitted requests to hold 20 successes, and `n`
//! requests at 3 per second take (n - 1) / 3 s (the first one goes at once).
//! Run: `cargo bench --bench engine_storm`.

#[path = "../tests/common/mod.rs"]
mod common;

use common::{TestServer, make_ids, record};
use seedance_tasks::engine::{self, Backend, EngineConfig, Event, Outcome};
use seedance_tasks::secrets::Token;
use std::collections::HashSet;
use std::time::{Duration, Instant};

const IDS: usize = 1000;
const PER_SECOND: usize = 3;
const RUNS: usize = 3;

/// How many admitted requests it takes until `batches` of them have succeeded.
fn admitted_needed(batches: usize) -> usize {
    let mut ok = 0;
    (1..)
        .find(|n: &usize| {
            if !n.is_multiple_of(3) && !n.is_multiple_of(7) {
                ok += 1;
            }
            ok == batches
        })
        .unwrap_or(batches)
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let config = EngineConfig::default();
        let batches = IDS.div_ceil(config.batch_size);
        let needed = admitted_needed(batches);
        let bound = Duration::from_secs_f64((needed - 1) as f64 / PER_SECOND as f64);
        for run in 1..=RUNS {
            let server = TestServer::start().await;
            let ids = make_ids(IDS);
            for id in &ids {
                server.insert(record(id, "succeeded"));
            }
            server.start_storm(PER_SECOND);
            let backend = Backend::http(&server.url(), &Token::new("bench")).expect("backend");
            let (handle, mut events) = engine::spawn(backend, config.clone(), None);
            let start = Instant::now();
            handle.query(ids.clone(), false);
            let mut answered = HashSet::new();
            let mut errors = 0;
            let mut twice = 0;
            while answered.len() < IDS {
                if let Some(Event::Results(r)) = events.recv().await {
                    for (id, outcome) in r {
                        if matches!(outcome, Outcome::Error(_)) {
                            errors += 1;
                        }
                        if !answered.insert(id) {
                            twice += 1;
                        }
                    }
                }
            }
            let took = start.elapsed();
            let (admitted, rejected) = server.storm_counts();
            println!(
                "storm run {run}: {IDS} ids, {PER_SECOND} req/s: {errors} ids in error, \
                 {twice} answered twice; {:.1} s; bound {:.1} s ({needed} admitted requests \
                 needed); ratio {:.2} (goal ≤ 2); requests admitted {admitted}, 429 {rejected}",
                took.as_secs_f64(),
                bound.as_secs_f64(),
                took.as_secs_f64() / bound.as_secs_f64(),
            );
            handle.send(engine::Command::Shutdown);
        }
    });
}
