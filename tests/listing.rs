//! Listing the account's tasks (issue 11) against the loopback stand-in: paging, the range,
//! other users, the honesty checks, following, and batch answers with unrequested items.

mod common;

use common::account::{ListingMode, OWNER};
use common::{Fault, TestServer, make_ids, record};
use seedance_tasks::api::ListScope;
use seedance_tasks::engine::{
    self, Backend, EngineConfig, EngineHandle, Event, Follower, ListCancel, ListError, ListEvent,
    ListRequest, Outcome, UNSUPPORTED_MESSAGE,
};
use seedance_tasks::secrets::Token;
use seedance_tasks::task::unix_now;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const DAY: f64 = 86_400.0;

fn backend(server: &TestServer) -> Backend {
    Backend::http(&server.url(), &Token::new("tok")).expect("backend")
}

/// An engine for `server`, whose door the listing goes through.
fn engine_for(server: &TestServer) -> EngineHandle {
    engine::spawn(backend(server), fast(), None).0
}

fn fast() -> EngineConfig {
    EngineConfig {
        backoff_base: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
        ..EngineConfig::default()
    }
}

/// A server whose account holds `owned` tasks of the owner and `others` of two other
/// users, over the last 40 days.
async fn account(owned: usize, others: usize) -> (TestServer, f64) {
    let server = TestServer::start().await;
    let now = unix_now();
    server.account().populate(owned, others, 40.0, now);
    (server, now)
}

type Events = Arc<Mutex<Vec<ListEvent>>>;

async fn list(
    server: &TestServer,
    request: &ListRequest,
) -> (Result<Vec<String>, ListError>, Events) {
    let events: Events = Arc::default();
    let sink = events.clone();
    let result = engine_for(server)
        .list(
            request.clone(),
            Arc::new(move |e| sink.lock().expect("lock").push(e)),
            ListCancel::default(),
        )
        .await
        .map(|listing| listing.tasks.into_iter().map(|r| r.id).collect());
    (result, events)
}

fn no_duplicates(ids: &[String]) {
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "a task listed twice");
}

#[tokio::test]
async fn paging_across_1000_tasks_returns_each_exactly_once() {
    let (server, now) = account(1000, 400).await;
    let request = ListRequest::new(now - 41.0 * DAY);
    let (ids, events) = list(&server, &request).await;
    let ids = ids.expect("listing");
    no_duplicates(&ids);
    assert_eq!(
        ids,
        server.account().expected(0.0, f64::MAX),
        "every owned task, newest first"
    );
    assert_eq!(ids.len(), 1000);
    assert_eq!(server.account().listings(), 10, "ten pages of 100, no more");
    let last = events.lock().expect("lock").last().cloned();
    match last {
        Some(ListEvent::Progress(p)) => assert_eq!(p.to_string(), "1 000 of 1 000"),
        other => panic!("no final progress: {other:?}"),
    }
}

#[tokio::test]
async fn without_a_count_paging_goes_on_until_a_short_page() {
    let (server, now) = account(1000, 400).await;
    server.account().omit_count(true);
    let (ids, events) = list(&server, &ListRequest::new(now - 41.0 * DAY)).await;
    let ids = ids.expect("listing");
    no_duplicates(&ids);
    assert_eq!(ids, server.account().expected(0.0, f64::MAX));
    let so_far = events
        .lock()
        .expect("lock")
        .iter()
        .filter_map(|e| match e {
            ListEvent::Progress(p) => Some(p.to_string()),
            ListEvent::Retrying { .. } => None,
        })
        .next_back();
    assert_eq!(so_far.as_deref(), Some("1 000 so far"));
}

#[tokio::test]
async fn the_range_and_the_limit_are_honoured() {
    let (server, now) = account(300, 300).await;
    let from = now - 7.0 * DAY;
    let (ids, _) = list(&server, &ListRequest::new(from)).await;
    let ids = ids.expect("listing");
    let expected = server.account().expected(from.floor(), now.ceil());
    assert!(!expected.is_empty() && expected.len() < 300);
    assert_eq!(ids, expected);

    let to = now - 3.0 * DAY;
    let request = ListRequest {
        created_to: Some(to),
        limit: Some(5),
        ..ListRequest::new(from)
    };
    let before = server.account().listings();
    let (ids, _) = list(&server, &request).await;
    let expected = server.account().expected(from.floor(), to.ceil());
    assert_eq!(ids.expect("listing"), expected[..5]);
    assert_eq!(
        server.account().listings() - before,
        1,
        "the limit stops the paging"
    );
}

#[tokio::test]
async fn a_known_owner_is_sent_and_other_users_never_appear() {
    let (server, now) = account(50, 200).await;
    let request = ListRequest {
        scope: ListScope {
            user_id: Some(OWNER.into()),
            application_id: Some("app-owner".into()),
        },
        ..ListRequest::new(now - 41.0 * DAY)
    };
    let (ids, _) = list(&server, &request).await;
    let ids = ids.expect("listing");
    assert_eq!(ids.len(), 50);
    assert!(
        ids.iter().all(|id| id.starts_with("00000000-")),
        "owner's ids only"
    );
}

async fn unsupported_reason(mode: ListingMode, scope: ListScope) -> String {
    let (server, now) = account(200, 200).await;
    server.account().set_mode(mode);
    let request = ListRequest {
        scope,
        ..ListRequest::new(now - 7.0 * DAY)
    };
    match list(&server, &request).await.0 {
        Err(e @ ListError::Unsupported { .. }) => {
            let text = e.to_string();
            assert!(text.starts_with(UNSUPPORTED_MESSAGE), "{text}");
            text
        }
        other => panic!("{mode:?}: not unsupported: {other:?}"),
    }
}

#[tokio::test]
async fn an_api_that_does_not_list_honestly_is_unsupported_with_the_reason() {
    let refused = unsupported_reason(ListingMode::Unsupported, ListScope::default()).await;
    assert!(
        refused.contains("refused") && refused.contains("ids is required"),
        "{refused}"
    );
    let range = unsupported_reason(ListingMode::IgnoresRange, ListScope::default()).await;
    assert!(range.contains("ignores the creation range"), "{range}");
    let mixed = unsupported_reason(ListingMode::MixesUsers, ListScope::default()).await;
    assert!(mixed.contains("mixes several users"), "{mixed}");
    let known = ListScope {
        user_id: Some(OWNER.into()),
        application_id: None,
    };
    let other = unsupported_reason(ListingMode::MixesUsers, known).await;
    assert!(other.contains("another user's task"), "{other}");
}

#[tokio::test]
async fn a_429_is_waited_out_and_a_token_error_is_not_unsupported() {
    let (server, now) = account(150, 0).await;
    server.push_fault(Fault::rate_limited("0"));
    let (ids, events) = list(&server, &ListRequest::new(now - 41.0 * DAY)).await;
    assert_eq!(ids.expect("listing").len(), 150);
    assert!(
        events
            .lock()
            .expect("lock")
            .iter()
            .any(|e| matches!(e, ListEvent::Retrying { .. }))
    );

    server.push_fault(Fault::unauthorized());
    match list(&server, &ListRequest::new(now - DAY)).await.0 {
        Err(e) => assert!(e.is_token_problem(), "{e}"),
        Ok(ids) => panic!("listed {ids:?}"),
    }
}

#[tokio::test]
async fn a_listing_can_be_cancelled() {
    let (server, now) = account(10, 0).await;
    server.set_latency(Duration::from_secs(3600));
    let cancel = ListCancel::default();
    let canceller = cancel.clone();
    let engine = engine_for(&server);
    let listing = tokio::spawn(async move {
        engine
            .list(ListRequest::new(now - DAY), Arc::new(|_| {}), canceller)
            .await
    });
    while server.requests().is_empty() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    cancel.cancel();
    let result = listing.await.expect("join");
    assert!(matches!(result, Err(ListError::Cancelled)), "{result:?}");
}

#[tokio::test]
async fn following_hands_out_a_new_task_once() {
    let (server, now) = account(20, 20).await;
    let engine = engine_for(&server);
    let first = engine
        .list(
            ListRequest::new(now - 41.0 * DAY),
            Arc::new(|_| {}),
            ListCancel::default(),
        )
        .await
        .expect("listing");
    let start = unix_now();
    let mut follower = Follower::new(start, ListScope::default(), &first.tasks);
    let cancel = ListCancel::default();
    let poll = async |f: &mut Follower| {
        engine
            .follow(f, Arc::new(|_| {}), cancel.clone())
            .await
            .expect("poll")
            .tasks
            .into_iter()
            .map(|r| r.id)
            .collect::<Vec<_>>()
    };
    assert!(poll(&mut follower).await.is_empty(), "nothing new yet");
    let id = common::account::account_id(0, 9999);
    server
        .account()
        .add(common::account::account_record(&id, OWNER, unix_now()));
    assert_eq!(poll(&mut follower).await, [id]);
    assert!(poll(&mut follower).await.is_empty(), "handed out once");
}

#[tokio::test]
async fn batch_answers_keep_only_what_was_asked() {
    let server = TestServer::start().await;
    server.account().add_extra_items(true);
    let ids = make_ids(120);
    for id in &ids[..100] {
        server.insert(record(id, "succeeded"));
    }
    let (handle, mut events) = engine::spawn(backend(&server), fast(), None);
    handle.query(ids.clone(), false);
    let mut got: HashMap<String, Outcome> = HashMap::new();
    while got.len() < ids.len() {
        match events.recv().await.expect("engine running") {
            Event::Results(list) => {
                for (id, outcome) in list {
                    assert!(
                        ids.contains(&id),
                        "an unrequested item reached the results: {id}"
                    );
                    assert!(
                        got.insert(id.clone(), outcome).is_none(),
                        "{id} answered twice"
                    );
                }
            }
            _ => continue,
        }
    }
    let found = got
        .values()
        .filter(|o| matches!(o, Outcome::Found(_)))
        .count();
    assert_eq!(found, 100);
    assert_eq!(got.len() - found, 20, "the rest are not found");
    let extra = common::account::account_id(0xeeee, 0);
    assert!(server.requests().len() >= 3 && !got.contains_key(&extra));
}
