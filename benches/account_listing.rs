//! Listing 10 000 tasks (100 pages of 100) from the loopback stand-in's account with 50 ms
//! latency per request. The latency bound is pages / 4 in flight × latency; the goal is a
//! wall time within 1.5× of it. Run: `cargo bench --bench account_listing`.

#[path = "../tests/common/mod.rs"]
mod common;

use common::TestServer;
use seedance_tasks::api::MAX_PAGE_SIZE;
use seedance_tasks::engine::{
    self, Backend, EngineConfig, LIST_CONCURRENCY, ListCancel, ListRequest,
};
use seedance_tasks::secrets::Token;
use seedance_tasks::task::unix_now;
use std::sync::Arc;
use std::time::{Duration, Instant};

const TASKS: usize = 10_000;
const LATENCY: Duration = Duration::from_millis(50);
const RUNS: usize = 5;

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let server = TestServer::start().await;
        let now = unix_now();
        server.account().populate(TASKS, 0, 40.0, now);
        server.set_latency(LATENCY);
        let pages = TASKS.div_ceil(MAX_PAGE_SIZE);
        let bound = LATENCY.mul_f64(pages as f64 / LIST_CONCURRENCY as f64);
        let backend = Backend::http(&server.url(), &Token::new("bench")).expect("backend");
        let (engine, _events) = engine::spawn(backend, EngineConfig::default(), None);
        let request = ListRequest::new(now - 41.0 * 86_400.0);
        let mut times = Vec::new();
        for _ in 0..RUNS {
            let start = Instant::now();
            let listing = engine
                .list(request.clone(), Arc::new(|_| {}), ListCancel::default())
                .await
                .expect("listing");
            times.push(start.elapsed());
            assert_eq!(listing.tasks.len(), TASKS);
        }
        times.sort();
        let median = times[RUNS / 2];
        println!(
            "listing: {TASKS} tasks, {pages} pages, {LIST_CONCURRENCY} in flight, latency {} ms: \
             median {:.1} ms, min {:.1} ms; bound {} ms; ratio {:.2} (goal ≤ 1.50)",
            LATENCY.as_millis(),
            median.as_secs_f64() * 1e3,
            times[0].as_secs_f64() * 1e3,
            bound.as_millis(),
            median.as_secs_f64() / bound.as_secs_f64(),
        );
    });
}
