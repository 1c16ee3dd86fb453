//! Ids through the engine against a loopback server with a plain rate limit: at most `R`
//! requests admitted in any one-second window, the rest answered 429 with
//! `Retry-After: 1`; every admitted request answered after 50 ms. Default engine settings
//! (batches of 50, 4 at once).
//!
//! Goals (issue 16): every id answered; requests answered 429 at most 15 % (2 000 ids,
//! R = 4), 20 % (1 000 ids, R = 2) and 6 % (5 000 ids, R = 5); wall time at most 1.25× the
//! floor `(batches − R) / R` s, the time the limit alone forces (the first `R` batches go
//! at once, then `R` a second).
//!
//! And with no limit in sight nothing may slow down (no slow start): the CLI's whole
//! process, `get --json` with 1 000 ids on stdin against the server answering every
//! request after 50 ms, within 1.3× the latency bound ceil(20 batches / 4) × 50 ms.
//! Run: `cargo bench --bench rate_limit`.

#[path = "../tests/common/mod.rs"]
mod common;

use common::{TestServer, make_ids, record};
use seedance_tasks::engine::{self, Backend, EngineConfig, Event, Outcome};
use seedance_tasks::secrets::Token;
use std::collections::HashSet;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

/// (ids, R, the goal for the share of requests answered 429).
const CASES: [(usize, usize, f64); 3] = [(2000, 4, 0.15), (1000, 2, 0.20), (5000, 5, 0.06)];
const LATENCY: Duration = Duration::from_millis(50);
const RUNS: usize = 2;
const CLI_RUNS: usize = 7;

fn backend(server: &TestServer) -> Backend {
    Backend::http(&server.url(), &Token::new("bench")).expect("backend")
}

/// `get --json` of `ids` on stdin, the whole process; returns its wall time.
async fn cli_get(server: &TestServer, ids: &[String]) -> Duration {
    let start = Instant::now();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_seedance-tasks"))
        .args(["get", "--json"])
        .env("SEEDANCE_API_BASE", server.url())
        .env("SEEDANCE_API_TOKEN", "bench")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the binary");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(ids.join("\n").as_bytes())
        .await
        .expect("write ids");
    drop(stdin);
    let out = child.wait_with_output().await.expect("the binary ends");
    let took = start.elapsed();
    assert!(out.status.success(), "get exited {:?}", out.status);
    assert_eq!(
        out.stdout.iter().filter(|b| **b == b'\n').count(),
        ids.len()
    );
    took
}

async fn no_limit() {
    let server = TestServer::start().await;
    server.set_latency(LATENCY);
    let ids = make_ids(1000);
    for id in &ids {
        server.insert(record(id, "succeeded"));
    }
    let config = EngineConfig::default();
    let rounds = ids
        .len()
        .div_ceil(config.batch_size)
        .div_ceil(config.concurrency);
    let bound = LATENCY * rounds as u32;
    let mut times = Vec::new();
    for _ in 0..CLI_RUNS {
        times.push(cli_get(&server, &ids).await);
    }
    times.sort();
    let median = times[CLI_RUNS / 2];
    println!(
        "no limit, CLI `get --json`, 1000 ids on stdin, latency 50 ms: median {:.1} ms, \
         min {:.1} ms; bound {} ms; ratio {:.2} (goal ≤ 1.30)",
        median.as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        bound.as_millis(),
        median.as_secs_f64() / bound.as_secs_f64(),
    );
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        no_limit().await;
        let config = EngineConfig::default();
        for (n, per_second, goal) in CASES {
            let batches = n.div_ceil(config.batch_size);
            let floor = (batches - per_second) as f64 / per_second as f64;
            for run in 1..=RUNS {
                let server = TestServer::start().await;
                server.set_latency(LATENCY);
                let ids = make_ids(n);
                for id in &ids {
                    server.insert(record(id, "succeeded"));
                }
                server.start_rate_limit(per_second);
                let (handle, mut events) = engine::spawn(backend(&server), config.clone(), None);
                let start = Instant::now();
                handle.query(ids.clone(), false);
                let mut answered = HashSet::new();
                let mut errors = 0;
                while answered.len() < n {
                    match events.recv().await {
                        Some(Event::Results(r)) => {
                            for (id, outcome) in r {
                                errors += usize::from(matches!(outcome, Outcome::Error(_)));
                                answered.insert(id);
                            }
                        }
                        Some(_) => {}
                        None => break,
                    }
                }
                let took = start.elapsed().as_secs_f64();
                let (admitted, rejected) = server.storm_counts();
                let share = rejected as f64 / (admitted + rejected) as f64;
                println!(
                    "rate limit {n} ids, R = {per_second}, run {run}: {} answered, {errors} in \
                     error; requests {} of which 429 {rejected} ({:.1} %, goal ≤ {:.0} %); \
                     {took:.2} s, floor {floor:.2} s, ratio {:.2} (goal ≤ 1.25)",
                    answered.len(),
                    admitted + rejected,
                    share * 100.0,
                    goal * 100.0,
                    took / floor,
                );
                handle.send(engine::Command::Shutdown);
            }
        }
    });
}
