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
    backend_at(&server.url(), timeout)
}

fn backend_at(base: &str, timeout: Duration) -> Backend {
    let config = ClientConfig {
        base_url: base.to_owned(),
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
    let (handle, mut events) =
        engine::spawn(backend(&server, Duration::from_millis(300)), fast(), None);
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
async fn retries_are_bounded_by_time_and_end_in_an_error_per_id() {
    let server = TestServer::start().await;
    let ids = make_ids(2);
    for _ in 0..100 {
        server.push_fault(Fault::html_502());
    }
    let retry_for = Duration::from_millis(500);
    let config = EngineConfig {
        retry_for,
        ..fast()
    };
    let (handle, mut events) =
        engine::spawn(backend(&server, Duration::from_secs(5)), config, None);
    handle.query(ids.clone(), false);
    let mut other = Vec::new();
    let got = outcomes(&mut events, &ids, &mut other).await;
    for id in &ids {
        match &got[id] {
            Outcome::Error(e) => assert_eq!(e.http_status, Some(502)),
            other => panic!("{other:?}"),
        }
    }
    let tries = server.requests().len();
    assert!(
        (3..100).contains(&tries),
        "retried, then gave up: {tries} tries"
    );
    let waits: Duration = other
        .iter()
        .filter_map(|e| match e {
            Event::Retrying { wait, .. } => Some(*wait),
            _ => None,
        })
        .sum();
    assert!(
        waits <= retry_for,
        "backoff stays within the budget: {waits:?}"
    );
    let retrying = other
        .iter()
        .filter(|e| matches!(e, Event::Retrying { .. }))
        .count();
    assert_eq!(tries, retrying + 1, "one Retrying event per retry");
}

#[tokio::test]
async fn rate_limit_waits_do_not_use_the_retry_budget() {
    let server = TestServer::start().await;
    let ids = make_ids(2);
    for id in &ids {
        server.insert(record(id, "succeeded"));
    }
    for _ in 0..5 {
        server.push_fault(Fault::rate_limited("0"));
    }
    // No time at all for server errors: only 429s may be waited out.
    let config = EngineConfig {
        retry_for: Duration::ZERO,
        ..fast()
    };
    let (handle, mut events) =
        engine::spawn(backend(&server, Duration::from_secs(5)), config, None);
    handle.query(ids.clone(), false);
    let got = outcomes(&mut events, &ids, &mut Vec::new()).await;
    assert!(got.values().all(|o| matches!(o, Outcome::Found(_))));
    assert_eq!(server.requests().len(), 6);

    server.push_fault(Fault::html_502());
    handle.query(ids.clone(), false);
    let got = outcomes(&mut events, &ids, &mut Vec::new()).await;
    assert!(
        got.values().all(|o| matches!(o, Outcome::Error(_))),
        "retry_for 0: a 502 is not retried"
    );
    assert_eq!(server.requests().len(), 7);
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

#[tokio::test]
async fn a_404_to_a_batch_is_a_request_error_not_not_found() {
    let server = TestServer::start().await;
    let ids = make_ids(3);
    for id in &ids {
        server.insert(record(id, "succeeded"));
    }
    let base = format!("{}/wrong-prefix", server.url());
    let (handle, mut events) =
        engine::spawn(backend_at(&base, Duration::from_secs(5)), fast(), None);
    handle.query(ids.clone(), false);
    let got = outcomes(&mut events, &ids, &mut Vec::new()).await;
    for id in &ids {
        match &got[id] {
            Outcome::Error(e) => {
                assert_eq!((e.kind, e.http_status), (ErrorKind::Request, Some(404)));
                assert_eq!(e.code.as_deref(), Some("no_api"));
            }
            other => panic!("{id}: {other:?}"),
        }
    }
    assert_eq!(server.requests().len(), 1, "a 404 is not retried");
}

#[tokio::test]
async fn a_404_to_one_id_is_not_found_only_with_the_not_found_code() {
    let server = TestServer::start().await;
    let id = make_ids(1);
    let (handle, mut events) =
        engine::spawn(backend(&server, Duration::from_secs(5)), fast(), None);
    let html = "<html><body><h1>404 Not Found</h1>nginx</body></html>";
    let no_api = r#"{"success": false, "error": {"code": "no_api", "message": "No API found"}}"#;
    let other = r#"{"success": false, "error": {"code": "bad_path", "message": "?"}}"#;
    for (body, what) in [
        (html, "HTML"),
        ("", "empty"),
        (no_api, "no_api"),
        (other, "other code"),
    ] {
        server.push_fault(Fault::status(404, body));
        handle.query(id.clone(), false);
        let got = outcomes(&mut events, &id, &mut Vec::new()).await;
        match &got[&id[0]] {
            Outcome::Error(e) => {
                assert_eq!(e.kind, ErrorKind::Request, "{what}");
                assert_eq!(e.http_status, Some(404), "{what}");
            }
            o => panic!("{what}: {o:?}"),
        }
    }
    server.push_fault(Fault::status(
        404,
        r#"{"success": false, "error": {"code": "not_found", "message": "Task not found"}}"#,
    ));
    handle.query(id.clone(), false);
    let got = outcomes(&mut events, &id, &mut Vec::new()).await;
    assert!(
        matches!(got[&id[0]], Outcome::NotFound),
        "{:?}",
        got[&id[0]]
    );
}

/// Every 3rd request a 500, every 7th an HTML 502, 429 beyond the rate: every id still
/// ends with its record, exactly once. (The full 1 000 ids at 3 requests/s, with wall
/// time, is `cargo bench --bench engine_storm`.)
#[tokio::test]
async fn a_retry_storm_is_ridden_out_to_the_end() {
    let server = TestServer::start().await;
    let ids = make_ids(200);
    for id in &ids {
        server.insert(record(id, "succeeded"));
    }
    server.start_storm(10);
    let config = EngineConfig {
        batch_size: 10,
        ..fast()
    };
    let (handle, mut events) =
        engine::spawn(backend(&server, Duration::from_secs(5)), config, None);
    handle.query(ids.clone(), false);
    let mut other = Vec::new();
    let got = tokio::time::timeout(
        Duration::from_secs(120),
        outcomes(&mut events, &ids, &mut other),
    )
    .await
    .expect("the storm run ends");
    let errors: Vec<_> = got
        .iter()
        .filter(|(_, o)| !matches!(o, Outcome::Found(_)))
        .collect();
    assert!(
        errors.is_empty(),
        "{} ids without their record: {:?}",
        errors.len(),
        errors.first()
    );
    let (admitted, rejected) = server.storm_counts();
    assert!(
        admitted > 20,
        "the storm did fail requests ({admitted} admitted)"
    );
    assert!(
        other.iter().any(|e| matches!(e, Event::Retrying { .. })),
        "retries happened ({rejected} rate limited)"
    );
}

#[tokio::test]
async fn the_watch_asks_again_after_a_request_error() {
    let server = TestServer::start().await;
    let ids = make_ids(1);
    server.push_fault(Fault::status(
        400,
        r#"{"success": false, "error": {"code": "bad_request", "message": "try later"}}"#,
    ));
    let config = EngineConfig {
        watch_interval: Duration::from_secs(2),
        ..fast()
    };
    let (handle, mut events) =
        engine::spawn(backend(&server, Duration::from_secs(5)), config, None);
    handle.query(ids.clone(), true);
    let first = outcomes(&mut events, &ids, &mut Vec::new()).await;
    assert!(matches!(&first[&ids[0]], Outcome::Error(e) if e.http_status == Some(400)));
    server.insert(record(&ids[0], "succeeded"));
    let second = outcomes(&mut events, &ids, &mut Vec::new()).await;
    assert!(
        matches!(&second[&ids[0]], Outcome::Found(r) if r.status == Status::Succeeded),
        "asked again without a new query: {:?}",
        second[&ids[0]]
    );
}
