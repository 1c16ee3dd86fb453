//! Creating generations against the loopback stand-in: the bodies sent, and exactly one
//! POST per generation whatever goes wrong after the API may have accepted it.

mod common;

use common::{TestServer, VideoFault};
use seedance_tasks::api::{ApiError, Client, ClientConfig, CreateFailure};
use seedance_tasks::engine::{self, Backend, CreatePolicy, EngineConfig};
use seedance_tasks::generate::{
    BatchEvent, GenerationRequest, ImageInput, MODELS, Maker, Prepared, Role, RowOutcome,
    create_one, spawn_batch,
};
use seedance_tasks::secrets::Token;
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const TOKEN: &str = "create-secret-token-0042";

fn maker_for(base: &str, timeout: Duration) -> Maker {
    let config = ClientConfig {
        base_url: base.to_owned(),
        request_timeout: timeout,
        ..ClientConfig::default()
    };
    let token = Token::new(TOKEN);
    let backend = Backend::with_config(&config, &token).expect("backend");
    let (engine, _events) = engine::spawn(backend, EngineConfig::default(), None);
    Maker {
        engine,
        token: Some(token),
    }
}

fn maker(server: &TestServer) -> Maker {
    maker_for(&server.url(), Duration::from_secs(30))
}

fn quick() -> CreatePolicy {
    CreatePolicy {
        attempts: 3,
        backoff: Duration::from_millis(10),
        max_wait: Duration::from_secs(1),
    }
}

fn prepared(prompt: &str) -> Prepared {
    GenerationRequest::new(MODELS[0], prompt)
        .prepare()
        .expect("valid")
}

async fn create(
    maker: &Maker,
    p: &Prepared,
) -> Result<seedance_tasks::generate::Created, CreateFailure> {
    create_one(maker, p, &quick(), Box::new(|_, _, _: &ApiError| {})).await
}

#[tokio::test]
async fn a_text_only_generation_is_created_once_and_can_be_followed() {
    let server = TestServer::start().await;
    let m = maker(&server);
    let created = create(&m, &prepared("a red fox in snow"))
        .await
        .expect("created");
    assert_eq!(
        server.video_bodies(),
        [json!({"model": MODELS[0],
        "content": [{"type": "text", "text": "a red fox in snow"}], "async": true})]
    );
    assert_eq!(server.created_ids(), std::slice::from_ref(&created.id));
    assert_eq!(created.prompt, "a red fox in snow");
    assert!(created.trace_id.is_some());
    let config = ClientConfig {
        base_url: server.url(),
        ..ClientConfig::default()
    };
    let client = Client::new(&config, &Token::new(TOKEN)).expect("client");
    let record = client
        .retrieve(&created.id)
        .await
        .expect("asked")
        .expect("known");
    assert_eq!(record.prompt.as_deref(), Some("a red fox in snow"));
}

#[tokio::test]
async fn first_and_last_frames_from_files_go_as_data_uris() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let first = dir.path().join("first.png");
    let last = dir.path().join("last.bin");
    std::fs::write(&first, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").expect("write");
    std::fs::write(&last, b"\xff\xd8\xff\xe0\0\x10JFIF\0").expect("write");
    let mut r = GenerationRequest::new(MODELS[5], "from dawn to dusk");
    for (path, role) in [(&first, Role::FirstFrame), (&last, Role::LastFrame)] {
        r.images.push(ImageInput {
            source: path.to_str().expect("utf-8").into(),
            role,
        });
    }
    r.options.resolution = Some("1080p".into());
    r.options.ratio = Some("adaptive".into());
    r.options.duration = Some(-1);
    r.options.seed = Some(11);
    r.options.camera_fixed = true;
    r.options.watermark = true;
    r.options.return_last_frame = true;
    create(&maker(&server), &r.prepare().expect("valid"))
        .await
        .expect("created");
    let body = &server.video_bodies()[0];
    let content = body["content"].as_array().expect("content");
    assert_eq!(content.len(), 3);
    assert_eq!(content[1]["role"], "first_frame");
    assert!(
        content[1]["image_url"]["url"]
            .as_str()
            .expect("url")
            .starts_with("data:image/png;base64,iVBORw0KGgo")
    );
    assert_eq!(content[2]["role"], "last_frame");
    assert!(
        content[2]["image_url"]["url"]
            .as_str()
            .expect("url")
            .starts_with("data:image/jpeg;base64,/9j/")
    );
    for (key, value) in [
        ("resolution", json!("1080p")),
        ("ratio", json!("adaptive")),
        ("duration", json!(-1)),
        ("seed", json!(11)),
        ("camerafixed", json!(true)),
        ("watermark", json!(true)),
        ("return_last_frame", json!(true)),
        ("async", json!(true)),
    ] {
        assert_eq!(body[key], value, "{key}");
    }
    assert!(
        body.get("generate_audio").is_none(),
        "unset options are left out"
    );
}

/// Every fault that may come after the API accepted the request: one POST, one task, and
/// the answer "may have been created" with the prompt.
#[tokio::test]
async fn ambiguous_failures_are_never_sent_again() {
    for fault in [
        VideoFault::ServerErrorAfterAccept,
        VideoFault::HtmlAfterAccept,
        VideoFault::DropAfterAccept,
        VideoFault::HangAfterAccept,
    ] {
        let server = TestServer::start().await;
        server.push_video_fault(fault.clone());
        let m = maker_for(&server.url(), Duration::from_millis(800));
        let err = create(&m, &prepared("one and only"))
            .await
            .expect_err("no id came back");
        assert!(
            matches!(err, CreateFailure::Uncertain(_)),
            "{fault:?}: {err:?}"
        );
        assert_eq!(server.video_bodies().len(), 1, "{fault:?}: sent once");
        assert_eq!(server.created_ids().len(), 1, "{fault:?}: the task exists");
        let outcome = RowOutcome::Failed {
            failure: err,
            prompt: "one and only".into(),
        };
        assert!(outcome.may_have_been_created());
    }
}

#[tokio::test]
async fn a_refusal_comes_back_as_it_came_cleaned_and_redacted() {
    let server = TestServer::start().await;
    server.push_video_fault(VideoFault::BadRequest(format!(
        "\u{1b}[31mimage_url must be an object\u{1b}[0m (token {TOKEN})\nsee docs"
    )));
    let err = create(&maker(&server), &prepared("x"))
        .await
        .expect_err("refused");
    let CreateFailure::Refused(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        e.message,
        "image_url must be an object (token [token hidden]) see docs"
    );
    assert_eq!(e.code.as_deref(), Some("bad_request"));
    assert_eq!(server.video_bodies().len(), 1);
    assert!(server.created_ids().is_empty());
}

#[tokio::test]
async fn a_429_is_retried_and_then_creates_once() {
    let server = TestServer::start().await;
    server.push_video_fault(VideoFault::RateLimited("0".into()));
    server.push_video_fault(VideoFault::RateLimited("0".into()));
    let waits = Arc::new(Mutex::new(Vec::new()));
    let sink = waits.clone();
    let created = create_one(
        &maker(&server),
        &prepared("patience"),
        &quick(),
        Box::new(move |attempt, wait, e: &ApiError| {
            sink.lock()
                .expect("lock")
                .push((attempt, wait, e.http_status));
        }),
    )
    .await
    .expect("created on the third try");
    assert_eq!(
        *waits.lock().expect("lock"),
        [
            (1, Duration::ZERO, Some(429)),
            (2, Duration::ZERO, Some(429))
        ]
    );
    assert_eq!(server.video_bodies().len(), 3);
    assert_eq!(server.created_ids(), [created.id]);
}

#[tokio::test]
async fn a_429_every_time_is_not_sent() {
    let server = TestServer::start().await;
    for _ in 0..3 {
        server.push_video_fault(VideoFault::RateLimited("0".into()));
    }
    let err = create(&maker(&server), &prepared("x"))
        .await
        .expect_err("gave up");
    assert!(matches!(err, CreateFailure::NotSent(_)), "{err:?}");
    assert_eq!(server.video_bodies().len(), 3);
    assert!(server.created_ids().is_empty());
}

#[tokio::test]
async fn a_refused_connection_is_retried_and_reported_as_not_sent() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let m = maker_for(&format!("http://{addr}"), Duration::from_secs(5));
    let tries = Arc::new(Mutex::new(0));
    let counter = tries.clone();
    let err = create_one(
        &m,
        &prepared("x"),
        &quick(),
        Box::new(move |_, _, _: &ApiError| *counter.lock().expect("lock") += 1),
    )
    .await
    .expect_err("nobody listens");
    assert!(matches!(err, CreateFailure::NotSent(_)), "{err:?}");
    assert_eq!(*tries.lock().expect("lock"), 2, "three attempts, two waits");
}

#[tokio::test]
async fn a_list_runs_two_at_a_time_and_each_row_gets_its_outcome() {
    let server = TestServer::start().await;
    server.set_latency(Duration::from_millis(100));
    let rows: Vec<GenerationRequest> = (0..6)
        .map(|i| GenerationRequest::new(MODELS[0], format!("prompt {i}")))
        .chain([GenerationRequest::new(MODELS[0], "")])
        .collect();
    // The first request to arrive is refused; the others go on.
    server.push_video_fault(VideoFault::BadRequest("no".into()));
    let mut events = spawn_batch(maker(&server), rows, quick());
    let mut outcomes = vec![None; 7];
    while let Some(event) = events.recv().await {
        match event {
            BatchEvent::Finished { row, outcome } => outcomes[row] = Some(outcome),
            BatchEvent::Done => break,
            _ => {}
        }
    }
    let outcomes: Vec<RowOutcome> = outcomes
        .into_iter()
        .map(|o| o.expect("every row"))
        .collect();
    let created = outcomes
        .iter()
        .filter(|o| matches!(o, RowOutcome::Created(_)))
        .count();
    let refused = outcomes
        .iter()
        .filter(|o| {
            matches!(
                o,
                RowOutcome::Failed {
                    failure: CreateFailure::Refused(_),
                    ..
                }
            )
        })
        .count();
    assert_eq!((created, refused), (5, 1), "{outcomes:?}");
    assert!(
        matches!(outcomes[6], RowOutcome::Invalid(_)),
        "the empty prompt is not sent"
    );
    assert_eq!(server.video_bodies().len(), 6);
    assert!(server.max_in_flight() <= 2, "{}", server.max_in_flight());
}

#[tokio::test]
async fn a_token_refusal_stops_the_rest_of_the_list() {
    let server = TestServer::start().await;
    server.set_latency(Duration::from_millis(50));
    server.push_video_fault(VideoFault::Unauthorized);
    let rows: Vec<GenerationRequest> = (0..8)
        .map(|i| GenerationRequest::new(MODELS[0], format!("p{i}")))
        .collect();
    let mut events = spawn_batch(maker(&server), rows, quick());
    let mut outcomes = Vec::new();
    while let Some(event) = events.recv().await {
        match event {
            BatchEvent::Finished { outcome, .. } => outcomes.push(outcome),
            BatchEvent::Done => break,
            _ => {}
        }
    }
    assert_eq!(outcomes.len(), 8);
    assert_eq!(outcomes.iter().filter(|o| o.stops_everything()).count(), 1);
    let skipped = outcomes
        .iter()
        .filter(|o| matches!(o, RowOutcome::Skipped(_)))
        .count();
    // The row already in flight beside the refused one may still be sent; no more.
    assert!(skipped >= 6, "{outcomes:?}");
    assert_eq!(server.video_bodies().len(), 8 - skipped);
}
