//! The client against a real HTTP server on loopback.

mod common;

use common::{Fault, TestServer, record};
use seedance_tasks::api::{Client, ClientConfig, ErrorKind, Status};
use seedance_tasks::secrets::Token;
use std::time::Duration;

fn client(server: &TestServer, timeout: Duration) -> Client {
    let config = ClientConfig {
        base_url: server.url(),
        connect_timeout: Duration::from_secs(2),
        request_timeout: timeout,
    };
    Client::new(&config, &Token::new("test-token-123")).expect("client")
}

#[tokio::test]
async fn sends_the_contract_headers_and_parses_a_record() {
    let server = TestServer::start().await;
    server.insert(record("9462ca25-468b-45a5-9e75-6f516dedcc80", "succeeded"));
    let c = client(&server, Duration::from_secs(5));
    let r = c
        .retrieve("9462ca25-468b-45a5-9e75-6f516dedcc80")
        .await
        .expect("ok")
        .expect("found");
    assert_eq!(r.status, Status::Succeeded);
    let log = server.requests();
    assert_eq!(log[0].action, "retrieve");
    assert_eq!(
        log[0].authorization.as_deref(),
        Some("Bearer test-token-123")
    );
    assert_eq!(log[0].content_type.as_deref(), Some("application/json"));
    assert!(
        log[0]
            .user_agent
            .as_deref()
            .is_some_and(|ua| ua.starts_with("seedance-tasks/"))
    );
    assert_eq!(
        c.retrieve("00000000-0000-4000-8000-000000000000")
            .await
            .expect("ok"),
        None
    );
}

#[tokio::test]
async fn batch_answers_are_matched_by_id() {
    let server = TestServer::start().await;
    let ids = common::make_ids(3);
    server.insert(record(&ids[0], "running"));
    server.insert(record(&ids[2], "succeeded"));
    let c = client(&server, Duration::from_secs(5));
    let records = c.retrieve_batch(&ids).await.expect("ok");
    let got: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        got,
        vec![ids[2].as_str(), ids[0].as_str()],
        "server answers reversed, missing one"
    );
    // Every connection was reused (keep-alive).
    c.retrieve_batch(&ids).await.expect("ok");
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn error_bodies_become_api_errors() {
    let server = TestServer::start().await;
    let c = client(&server, Duration::from_secs(5));
    let ids = common::make_ids(2);

    server.push_fault(Fault::html_502());
    let e = c.retrieve_batch(&ids).await.expect_err("502");
    assert_eq!((e.kind, e.http_status), (ErrorKind::Server, Some(502)));
    assert!(e.message.contains("502 Bad Gateway"), "{e}");
    assert_eq!(
        e.trace_id.as_deref(),
        Some("hdr-trace"),
        "x-trace-id header is read"
    );

    server.push_fault(Fault::unauthorized());
    let e = c.retrieve_batch(&ids).await.expect_err("401");
    assert!(e.is_auth());
    assert_eq!(e.trace_id.as_deref(), Some("t-401"), "body trace id wins");

    server.push_fault(Fault::rate_limited("7"));
    let e = c.retrieve_batch(&ids).await.expect_err("429");
    assert_eq!(e.kind, ErrorKind::RateLimited);
    assert_eq!(e.retry_after, Some(Duration::from_secs(7)));

    server.push_fault(Fault::status(200, "<html>proxy login</html>"));
    let e = c.retrieve_batch(&ids).await.expect_err("html 200");
    assert_eq!(e.kind, ErrorKind::Decode);
    assert!(e.message.contains("proxy login"));

    server.push_fault(Fault::status(
        200,
        r#"{"success": false, "error": {"code": "invalid_token", "message": "bad token"}}"#,
    ));
    let e = c
        .retrieve_batch(&ids)
        .await
        .expect_err("error body with 200");
    assert!(e.is_auth(), "{e:?}");

    server.push_fault(Fault::status(200, "[1,2]"));
    assert_eq!(
        c.retrieve_batch(&ids)
            .await
            .expect_err("not an object")
            .kind,
        ErrorKind::Decode
    );
}

#[tokio::test]
async fn hung_and_dropped_requests_are_network_errors() {
    let server = TestServer::start().await;
    let c = client(&server, Duration::from_millis(300));
    server.push_fault(Fault::Hang);
    let e = c.retrieve("x").await.expect_err("timeout");
    assert_eq!(e.kind, ErrorKind::Network);
    assert!(e.message.contains("timed out"), "{e}");
    server.push_fault(Fault::Drop);
    let e = c.retrieve("x").await.expect_err("dropped");
    assert_eq!(e.kind, ErrorKind::Network);
    assert!(e.is_retryable());
    assert!(
        !format!("{e:?}{e}").contains("test-token-123"),
        "token never in errors"
    );
}
