//! The engine against a real HTTP server on loopback with injected faults.

mod common;

use common::{Fault, TestServer, make_ids, record};
use seedance_tasks::api::{Client, ClientConfig, ErrorKind, Status};
use seedance_tasks::engine::{self, Backend, EngineConfig, Event, Outcome};
use seedance_tasks::secrets::Token;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;

fn backend(server: &TestServer, timeout: Duration) -> Backend {
    let config = ClientConfig {
        base_url: server.url(),
        connect_timeout: Duration::from_secs(2),
        request_timeout: timeout,
    };
    Backend::Http(Client::new(&config, &Token::new("tok")).expect("client"))
}

fn fast() -> EngineConfig {
    EngineConfig {
        backoff_base: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
        ..EngineConfig::default()
    }
}

/// Collects events until every id has an outcome; checks that none gets two.
async fn outcomes(
    events: &mut UnboundedReceiver<Event>,
    ids: &[String],
    other: &mut Vec<Event>,
) -> HashMap<String, Outcome> {
    let mut got = HashMap::new();
    while got.len() < ids.len() {
        let event = tokio::time::timeout(Duration::from_secs(20), events.recv())
            .await
            .expect("events keep coming")
            .expect("engine alive");
        match event {
            Event::Results(list) => {
                for (id, outcome) in list {
                    assert!(
                        got.insert(id.clone(), outcome).is_none(),
                        "{id} answered twice"
                    );
                }
            }
            e => other.push(e),
        }
    }
    got
}

#[tokio::test]
async fn thousand_ids_batched_limited_and_each_answered_once() {
    let server = TestServer::start().await;
    server.set_latency(Duration::from_millis(20));
    let ids = make_ids(1000);
    for (i, id) in ids.iter().enumerate() {
        if i % 10 != 0 {
            server.insert(record(id, if i % 3 == 0 { "running" } else { "succeeded" }));
        }
    }
    let (handle, mut events) =
        engine::spawn(backend(&server, Duration::from_secs(5)), fast(), None);
    handle.query(ids.clone(), false);
    let got = outcomes(&mut events, &ids, &mut Vec::new()).await;
    assert_eq!(got.len(), 1000);
    let not_found = got
        .values()
        .filter(|o| matches!(o, Outcome::NotFound))
        .count();
    assert_eq!(
        not_found, 100,
        "ids missing from batch answers are not found"
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 20);
    assert!(
        reqs.iter()
            .all(|r| r.action == "retrieve_batch" && r.ids.len() == 50)
    );
    let mut asked = server.asked_ids();
    asked.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(asked, want, "every id asked exactly once");
    assert!(
        server.max_in_flight() <= 4,
        "concurrency {}",
        server.max_in_flight()
    );
    assert!(server.max_in_flight() >= 2, "requests do overlap");
}

#[tokio::test]
async fn rate_limit_honours_retry_after() {
    let server = TestServer::start().await;
    let ids = make_ids(2);
    server.insert(record(&ids[0], "succeeded"));
    server.push_fault(Fault::rate_limited("1"));
    let (handle, mut events) =
        engine::spawn(backend(&server, Duration::from_secs(5)), fast(), None);
    let start = Instant::now();
    handle.query(ids.clone(), false);
    let mut other = Vec::new();
    let got = outcomes(&mut events, &ids, &mut other).await;
    assert!(matches!(got[&ids[0]], Outcome::Found(_)));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let gap = reqs[1].at - reqs[0].at;
    assert!(
        gap >= Duration::from_millis(950),
        "waited {gap:?}, Retry-After said 1 s"
    );
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(
        other
            .iter()
            .any(|e| matches!(e, Event::Retrying { wait, error, .. }
        if *wait == Duration::from_secs(1) && error.kind == ErrorKind::RateLimited))
    );
}

#[tokio::test]
async fn server_errors_timeouts_and_drops_are_retried() {
    let server = TestServer::start().await;
    let ids = make_ids(3);
    for id in &ids {
        server.insert(record(id, "succeeded"));
    }
    server.push_fault(Fault::status(
        500,
        r#"{"error":{"code":"api_error","message":"fetch failed"}}"#,
    ));
    server.push_fault(Fault::html_502());
    server.push_fault(Fault::Hang);
    server.push_fault(Fault::Drop);
    let config = EngineConfig {
        max_retries: 4,
        ..fast()
    };
    let (handle, mut events) =
        engine::spawn(backend(&server, Duration::from_millis(300)), config, None);
    handle.query(ids.clone(), false);
    let mut other = Vec::new();
    let got = outcomes(&mut events, &ids, &mut other).await;
    assert!(
        got.values()
            .all(|o| matches!(o, Outcome::Found(r) if r.status == Status::Succeeded))
    );
    assert_eq!(server.requests().len(), 5, "four failures then success");
    assert_eq!(
        other
            .iter()
            .filter(|e| matches!(e, Event::Retrying { .. }))
            .count(),
        4
    );
}

#[tokio::test]
async fn retries_are_bounded_and_end_in_an_error_per_id() {
    let server = TestServer::start().await;
    let ids = make_ids(2);
    for _ in 0..10 {
        server.push_fault(Fault::html_502());
    }
    let (handle, mut events) =
        engine::spawn(backend(&server, Duration::from_secs(5)), fast(), None);
    handle.query(ids.clone(), false);
    let got = outcomes(&mut events, &ids, &mut Vec::new()).await;
    for id in &ids {
        match &got[id] {
            Outcome::Error(e) => assert_eq!(e.http_status, Some(502)),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(server.requests().len(), 4, "1 try + 3 retries");
}

#[tokio::test]
async fn too_large_batches_are_split() {
    let server = TestServer::start().await;
    server.set_batch_limit(10);
    let ids = make_ids(50);
    for id in &ids {
        server.insert(record(id, "queued"));
    }
    let (handle, mut events) =
        engine::spawn(backend(&server, Duration::from_secs(5)), fast(), None);
    handle.query(ids.clone(), false);
    let got = outcomes(&mut events, &ids, &mut Vec::new()).await;
    assert!(got.values().all(|o| matches!(o, Outcome::Found(_))));
    let mut asked: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| r.ids.len() <= 10)
        .flat_map(|r| r.ids)
        .collect();
    asked.sort();
    let mut want = ids;
    want.sort();
    assert_eq!(asked, want);
}

#[tokio::test]
async fn unauthorized_stops_everything_and_is_reported_once() {
    let server = TestServer::start().await;
    let ids = make_ids(500);
    server.set_latency(Duration::from_millis(30));
    for _ in 0..4 {
        server.push_fault(Fault::unauthorized());
    }
    let config = EngineConfig {
        concurrency: 1,
        ..fast()
    };
    let (handle, mut events) =
        engine::spawn(backend(&server, Duration::from_secs(5)), config, None);
    handle.query(ids.clone(), true);
    let mut other = Vec::new();
    let got = outcomes(&mut events, &ids, &mut other).await;
    assert!(
        got.values()
            .all(|o| matches!(o, Outcome::Error(e) if e.is_auth()))
    );
    assert_eq!(server.requests().len(), 1, "nothing sent after the 401");
    let halts = other
        .iter()
        .filter(|e| matches!(e, Event::Halted(_)))
        .count();
    assert_eq!(halts, 1);
    // The watch does not keep hammering with a bad token.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn watch_follows_a_task_until_it_finishes() {
    let server = TestServer::start().await;
    let ids = make_ids(2);
    server.insert(record(&ids[0], "running"));
    server.insert(record(&ids[1], "succeeded"));
    // Watch intervals are at least 2 s by design; this test lives with that.
    let config = EngineConfig {
        watch_interval: Duration::from_secs(2),
        ..fast()
    };
    let (handle, mut events) =
        engine::spawn(backend(&server, Duration::from_secs(5)), config, None);
    handle.query(ids.clone(), true);
    let first = outcomes(&mut events, &ids, &mut Vec::new()).await;
    assert!(matches!(&first[&ids[0]], Outcome::Found(r) if r.status == Status::Running));
    server.insert(record(&ids[0], "succeeded"));
    let second = outcomes(&mut events, &ids[..1], &mut Vec::new()).await;
    assert!(matches!(&second[&ids[0]], Outcome::Found(r) if r.status == Status::Succeeded));
    let asked = server.asked_ids();
    assert_eq!(
        asked.iter().filter(|i| **i == ids[1]).count(),
        1,
        "finished tasks are not re-asked"
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(server.requests().len(), 2, "nothing left to watch");
}

#[tokio::test]
async fn watch_gives_up_after_the_timeout() {
    let server = TestServer::start().await;
    let ids = make_ids(1);
    server.insert(record(&ids[0], "running"));
    let config = EngineConfig {
        watch_interval: Duration::from_secs(2),
        watch_timeout: Some(Duration::from_millis(500)),
        ..fast()
    };
    let (handle, mut events) =
        engine::spawn(backend(&server, Duration::from_secs(5)), config, None);
    handle.query(ids.clone(), true);
    let mut other = Vec::new();
    outcomes(&mut events, &ids, &mut other).await;
    let expired = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Some(Event::WatchExpired(list)) = events.recv().await {
                return list;
            }
        }
    })
    .await
    .expect("expires");
    assert_eq!(expired, ids);
}

#[tokio::test]
async fn demo_backend_runs_through_the_same_engine() {
    let ids = seedance_tasks::demo::Demo::ids();
    let demo = std::sync::Arc::new(seedance_tasks::demo::Demo::new());
    let (handle, mut events) = engine::spawn(Backend::Demo(demo), fast(), None);
    handle.query(ids.clone(), false);
    let got = outcomes(&mut events, &ids, &mut Vec::new()).await;
    assert_eq!(
        got.values()
            .filter(|o| matches!(o, Outcome::NotFound))
            .count(),
        1
    );
}
