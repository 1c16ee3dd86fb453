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
    let records = c.retrieve_batch(&ids).await.expect("ok").records;
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

#[tokio::test]
async fn only_a_not_found_code_means_an_unknown_task() {
    let server = TestServer::start().await;
    let c = client(&server, Duration::from_secs(5));
    server.push_fault(Fault::status(
        404,
        r#"{"success": false, "error": {"code": "not_found", "message": "Task not found"}}"#,
    ));
    assert_eq!(c.retrieve("x").await.expect("not found is an answer"), None);
    for body in [
        r#"{"success": false, "error": {"code": "no_api", "message": "No API found"}}"#,
        "<html>404 Not Found</html>",
        "",
    ] {
        server.push_fault(Fault::status(404, body));
        let e = c.retrieve("x").await.expect_err(body);
        assert_eq!(
            (e.kind, e.http_status),
            (ErrorKind::Request, Some(404)),
            "{body}"
        );
        assert!(!e.hint().is_empty(), "a 404 says what to check");
    }
    // A batch answer lists what it found: any 404 to it is trouble with the request.
    server.push_fault(Fault::status(
        404,
        r#"{"success": false, "error": {"code": "not_found", "message": "?"}}"#,
    ));
    let e = c
        .retrieve_batch(&common::make_ids(2))
        .await
        .expect_err("404");
    assert_eq!(e.kind, ErrorKind::Request);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = TestServer::start().await;
    let c = client(&server, Duration::from_secs(5));
    server.push_fault(Fault::Reply {
        status: 301,
        body: String::new(),
        headers: vec![(
            "Location".into(),
            format!("{}/seedance/tasks", server.url()),
        )],
    });
    let e = c.retrieve("x").await.expect_err("a redirect is an error");
    assert_eq!((e.kind, e.http_status), (ErrorKind::Request, Some(301)));
    assert!(e.message.contains("redirect"), "{e}");
    assert!(
        e.message.contains("/seedance/tasks"),
        "names the target: {e}"
    );
    assert_eq!(server.requests().len(), 1, "the redirect was not followed");
}

/// 32 MB: far above any real answer (50 records are a few hundred KB).
const OVER_THE_CAP: usize = 33 * 1024 * 1024;

#[tokio::test]
async fn a_huge_answer_is_an_error_not_an_oom() {
    let server = TestServer::start().await;
    let c = client(&server, Duration::from_secs(30));
    let huge = format!(r#"{{"items": [], "pad": "{}"}}"#, "x".repeat(OVER_THE_CAP));
    server.push_fault(Fault::status(200, huge));
    let e = c
        .retrieve_batch(&common::make_ids(2))
        .await
        .expect_err("too big");
    assert!(e.message.contains("32 MB"), "{e}");
}

/// A body without a length (read until the connection closes) is cut off while streaming.
#[tokio::test]
async fn a_huge_answer_without_a_length_is_cut_off_while_streaming() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = sent.clone();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.expect("accept");
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf).await;
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n";
        if stream.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let chunk = vec![b' '; 1024 * 1024];
        // Up to 64 MB; the client must hang up well before.
        for _ in 0..64 {
            if stream.write_all(&chunk).await.is_err() {
                return;
            }
            counter.fetch_add(chunk.len(), std::sync::atomic::Ordering::SeqCst);
        }
    });
    let config = ClientConfig {
        base_url: format!("http://{addr}"),
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(30),
    };
    let c = Client::new(&config, &Token::new("test-token-123")).expect("client");
    let e = c.retrieve("x").await.expect_err("too big");
    assert!(e.message.contains("32 MB"), "{e}");
    drop(c);
    assert!(
        sent.load(std::sync::atomic::Ordering::SeqCst) < 64 * 1024 * 1024,
        "the client stopped reading"
    );
}

#[tokio::test]
async fn check_token_tells_valid_rejected_used_up_and_nowhere() {
    use seedance_tasks::api::{TOKEN_PROBE_ID, TokenCheck};
    let server = TestServer::start().await;
    let c = client(&server, Duration::from_secs(5));
    // The API answers `{}` for an unknown id, or a JSON not_found: both mean "valid".
    assert_eq!(c.check_token().await, Ok(TokenCheck::Valid));
    assert_eq!(server.requests()[0].ids, vec![TOKEN_PROBE_ID.to_owned()]);
    server.push_fault(Fault::status(
        404,
        r#"{"success": false, "error": {"code": "not_found", "message": "Task not found"}}"#,
    ));
    assert_eq!(c.check_token().await, Ok(TokenCheck::Valid));

    server.push_fault(Fault::unauthorized());
    assert!(matches!(c.check_token().await, Ok(TokenCheck::Rejected(e)) if e.is_auth()));
    server.push_fault(Fault::status(
        403,
        r#"{"success": false, "error": {"code": "used_up", "message": "balance used up"}}"#,
    ));
    let used_up = c.check_token().await;
    assert!(
        matches!(&used_up, Ok(TokenCheck::UsedUp(e)) if e.is_balance()),
        "{used_up:?}"
    );
    assert!(used_up.expect("ok").describe().contains("used up"));

    // Not the API at all: never "valid".
    server.push_fault(Fault::status(404, "<html>404 Not Found</html>"));
    assert_eq!(
        c.check_token().await.expect_err("html 404").kind,
        ErrorKind::Request
    );
    let wrong = ClientConfig {
        base_url: format!("{}/wrong-prefix", server.url()),
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
    };
    let wrong = Client::new(&wrong, &Token::new("test-token-123")).expect("client");
    let e = wrong.check_token().await.expect_err("no_api");
    assert_eq!(
        (e.kind, e.code.as_deref()),
        (ErrorKind::Request, Some("no_api"))
    );
    server.push_fault(Fault::html_502());
    assert_eq!(
        c.check_token().await.expect_err("502").kind,
        ErrorKind::Server
    );
}
