//! The engine's one door under a plain rate limit (issue 16): a loopback server that
//! admits `R` requests in any one-second window and answers the rest 429 with
//! `Retry-After: 1`. The assertions are on counts, never on time; the full runs, with
//! wall time, are `cargo bench --bench rate_limit`.

mod common;

use common::{TestServer, make_ids, record};
use seedance_tasks::engine::{
    self, Backend, EngineConfig, Event, ListCancel, ListRequest, Outcome,
};
use seedance_tasks::secrets::Token;
use seedance_tasks::task::unix_now;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;

fn backend(server: &TestServer) -> Backend {
    Backend::http(&server.url(), &Token::new("tok")).expect("backend")
}

/// Every id's outcome (each exactly once), within a generous hang guard.
async fn answers(events: &mut UnboundedReceiver<Event>, n: usize) -> HashMap<String, Outcome> {
    let mut got = HashMap::new();
    while got.len() < n {
        let event = tokio::time::timeout(Duration::from_secs(60), events.recv())
            .await
            .expect("events keep coming")
            .expect("engine alive");
        if let Event::Results(list) = event {
            for (id, outcome) in list {
                assert!(got.insert(id.clone(), outcome).is_none(), "{id} twice");
            }
        }
    }
    got
}

/// 1 000 ids (20 batches of 50, 4 at once) at R = 5: the first wave past the limit is
/// answered 429, and after it the learned pace keeps the rest almost free of 429s.
/// Before the door learned the pace, about half the requests of such a run were 429s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pace_learns_the_limit_and_few_requests_are_refused() {
    let server = TestServer::start().await;
    server.set_latency(Duration::from_millis(20));
    let ids = make_ids(1000);
    for id in &ids {
        server.insert(record(id, "succeeded"));
    }
    server.start_rate_limit(5);
    let (handle, mut events) = engine::spawn(backend(&server), EngineConfig::default(), None);
    handle.query(ids.clone(), false);
    let got = answers(&mut events, ids.len()).await;
    assert!(
        got.values().all(|o| matches!(o, Outcome::Found(_))),
        "every id has its record"
    );
    let (admitted, rejected) = server.storm_counts();
    let share = rejected as f64 / (admitted + rejected) as f64;
    assert_eq!(admitted, 20, "one admitted request per batch");
    assert!(
        rejected <= 6,
        "{rejected} of {} requests answered 429 ({:.0} %): more than the first wave",
        admitted + rejected,
        share * 100.0
    );
    assert!(server.max_in_flight() <= 4);
}

/// A listing and a storm of batches at once in one engine (as in the window): one door
/// for both. The requests in flight never exceed the engine's 4, and after the first 429
/// no request of either kind arrives until its Retry-After has passed, save those already
/// on their way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_and_a_retrieve_storm_share_one_gate_and_one_limit() {
    let server = TestServer::start().await;
    let now = unix_now();
    server.account().populate(800, 0, 40.0, now);
    let ids = make_ids(800);
    for id in &ids {
        server.insert(record(id, "succeeded"));
    }
    server.start_rate_limit(4);
    let (handle, mut events) = engine::spawn(backend(&server), EngineConfig::default(), None);
    let lister = handle.clone();
    let listing = tokio::spawn(async move {
        lister
            .list(
                ListRequest::new(now - 41.0 * 86_400.0),
                Arc::new(|_| {}),
                ListCancel::default(),
            )
            .await
    });
    handle.query(ids.clone(), false);
    let got = answers(&mut events, ids.len()).await;
    let listing = listing.await.expect("join").expect("the listing");
    assert_eq!(listing.tasks.len(), 800);
    assert!(got.values().all(|o| matches!(o, Outcome::Found(_))));

    let log = server.requests();
    let kinds = |page: bool| log.iter().filter(|r| r.ids.is_empty() == page).count();
    assert!(kinds(true) >= 8 && kinds(false) >= 16, "both ran: {log:?}");
    assert!(
        server.max_in_flight() <= 4,
        "{} in flight: more than the engine's one limit",
        server.max_in_flight()
    );
    let rejections = server.rejections();
    let first = *rejections.first().expect("the limit was met");
    // Requests sent before the 429 came back may still arrive just after it.
    let quiet = (first + Duration::from_millis(300))..(first + Duration::from_millis(950));
    let during: Vec<Instant> = log
        .iter()
        .map(|r| r.at)
        .filter(|t| quiet.contains(t))
        .collect();
    assert!(
        during.is_empty(),
        "{} requests arrived while Retry-After held the door",
        during.len()
    );
    let (admitted, rejected) = server.storm_counts();
    assert!(
        rejected * 4 <= admitted,
        "{rejected} answered 429 against {admitted} admitted"
    );
}
