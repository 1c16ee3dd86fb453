//! 1000 ids through the engine against the loopback server with 50 ms latency per
//! request. The latency bound is ceil(n / batch) / concurrency × latency; the goal is a
//! wall time within 1.3× of it. Run: `cargo bench --bench engine_throughput`.

#[path = "../tests/common/mod.rs"]
mod common;

use common::{TestServer, make_ids, record};
use seedance_tasks::engine::{self, Backend, EngineConfig, Event};
use seedance_tasks::secrets::Token;
use std::time::{Duration, Instant};

const IDS: usize = 1000;
const LATENCY: Duration = Duration::from_millis(50);
const RUNS: usize = 7;

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let server = TestServer::start().await;
        server.set_latency(LATENCY);
        let ids = make_ids(IDS);
        for id in &ids {
            server.insert(record(id, "succeeded"));
        }
        let config = EngineConfig::default();
        let batches = IDS.div_ceil(config.batch_size);
        let rounds = batches.div_ceil(config.concurrency);
        let bound = LATENCY * rounds as u32;
        let mut times = Vec::new();
        for _ in 0..RUNS {
            let backend = Backend::http(&server.url(), &Token::new("bench")).expect("backend");
            let (handle, mut events) = engine::spawn(backend, config.clone(), None);
            let start = Instant::now();
            handle.query(ids.clone(), false);
            let mut answered = 0;
            while answered < IDS {
                if let Some(Event::Results(r)) = events.recv().await {
                    answered += r.len();
                }
            }
            times.push(start.elapsed());
        }
        times.sort();
        let median = times[RUNS / 2];
        println!(
            "engine: {IDS} ids, batch {}, concurrency {}, latency {} ms: median {:.1} ms, min {:.1} ms; \
             bound {} ms; ratio {:.2} (goal ≤ 1.30)",
            config.batch_size,
            config.concurrency,
            LATENCY.as_millis(),
            median.as_secs_f64() * 1e3,
            times[0].as_secs_f64() * 1e3,
            bound.as_millis(),
            median.as_secs_f64() / bound.as_secs_f64(),
        );
    });
}
