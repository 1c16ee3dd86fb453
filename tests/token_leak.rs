//! A canary token must never come out again: not on stdout or stderr of any command, not
//! in an export, not in the history file — even when the server echoes it back in a task's
//! message or in the error it answers with.

mod common;

use common::{Fault, TestServer, make_ids, record};
use seedance_tasks::api::{Client, ClientConfig, TaskRecord};
use seedance_tasks::engine::Outcome;
use seedance_tasks::export;
use seedance_tasks::secrets::Token;
use seedance_tasks::task::TaskEntry;
use serde_json::json;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

const CANARY: &str = "sk-LEAKCANARY-7f3e9a1c5b2d4e6f";

struct Run {
    code: i32,
    out: String,
}

/// Runs the binary; `token` goes in the environment, `keyring_user` picks a keyring
/// entry of its own (see tests/keyring.rs).
async fn run(args: &[&str], base: &str, token: Option<&str>, stdin: &str, user: &str) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_seedance-tasks"));
    cmd.args(args)
        .env("SEEDANCE_API_BASE", base)
        .env("SEEDANCE_KEYRING_USER", user)
        .env_remove("SEEDANCE_API_TOKEN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(t) = token {
        cmd.env("SEEDANCE_API_TOKEN", t);
    }
    let mut child = cmd.spawn().expect("spawn the binary");
    let mut pipe = child.stdin.take().expect("stdin");
    // A command that does not read stdin may close it first: that is not a failure here.
    let _ = pipe.write_all(stdin.as_bytes()).await;
    drop(pipe);
    let output = tokio::time::timeout(Duration::from_secs(90), child.wait_with_output())
        .await
        .expect("the binary finishes")
        .expect("output");
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !out.contains(CANARY),
        "`{}` leaked the token:\n{out}",
        args.join(" ")
    );
    Run {
        code: output.status.code().unwrap_or(-1),
        out,
    }
}

/// A failed task whose message and prompt repeat the token.
fn echoing_record(id: &str) -> serde_json::Value {
    let mut r = record(id, "failed");
    r["response"]["data"]["error"]["message"] = json!(format!("quota exceeded for token {CANARY}"));
    r["request"]["content"][0]["text"] = json!(format!("prompt with {CANARY}"));
    r
}

#[tokio::test]
async fn cli_commands_never_print_the_token() {
    let server = TestServer::start().await;
    let ids = make_ids(2);
    server.insert(echoing_record(&ids[0]));
    server.insert(record(&ids[1], "succeeded"));
    let user = format!("leak-test-{}", std::process::id());
    let both = format!("{} {}", ids[0], ids[1]);
    let base = server.url();
    for args in [vec!["get", &both], vec!["get", "--json", &both]] {
        let r = run(&args, &base, Some(CANARY), "", &user).await;
        assert!(r.out.contains("[token hidden]"), "{}", r.out);
    }

    // The server refuses the token and quotes it.
    server.push_fault(Fault::echo_token());
    let r = run(&["get", &ids[1]], &base, Some(CANARY), "", &user).await;
    assert_eq!(r.code, 3, "{}", r.out);
    assert!(r.out.contains("[token hidden]"), "{}", r.out);

    // A retried failure that quotes it, then a task that finishes under `wait`.
    server.push_fault(Fault::status(
        503,
        json!({"error": {"code": "busy", "message": format!("busy, {CANARY}")}}).to_string(),
    ));
    let r = run(
        &["wait", "--interval", "2", "--timeout", "30", &ids[1]],
        &base,
        Some(CANARY),
        "",
        &user,
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.out);
    server.push_fault(Fault::echo_token());
    run(
        &["wait", "--timeout", "30", &ids[1]],
        &base,
        Some(CANARY),
        "",
        &user,
    )
    .await;

    run(&["token", "status"], &base, Some(CANARY), "", &user).await;
    // `token set` reads stdin; with no reachable keyring it fails, and must not echo either.
    let line = format!("{CANARY}\n");
    let set = run(&["token", "set"], &base, None, &line, &user).await;
    if set.code == 0 {
        run(&["token", "status"], &base, None, "", &user).await;
        run(&["get", &ids[0]], &base, None, "", &user).await;
        run(&["token", "clear"], &base, None, "", &user).await;
    }
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.authorization.as_deref() == Some(&format!("Bearer {CANARY}"))),
        "the token did reach the server"
    );
}

/// Entries as the engine would hold them, from the real client against the stand-in.
async fn entries_from_server() -> Vec<TaskEntry> {
    let server = TestServer::start().await;
    let ids = make_ids(2);
    server.insert(echoing_record(&ids[0]));
    server.insert(record(&ids[1], "succeeded"));
    let config = ClientConfig {
        base_url: server.url(),
        ..ClientConfig::default()
    };
    let client = Client::new(&config, &Token::new(CANARY)).expect("client");
    let records = client.retrieve_batch(&ids).await.expect("records").records;
    records
        .into_iter()
        .map(|r| {
            let mut e = TaskEntry::new(r.id.clone());
            e.apply(Outcome::Found(Arc::new(r)));
            e
        })
        .collect()
}

/// Entries whose records hold the token, as a history written before the client redacted
/// answers may: the exports must still cut it out.
fn echoing_entries() -> Vec<TaskEntry> {
    make_ids(2)
        .iter()
        .map(|id| {
            let record = TaskRecord::from_value(echoing_record(id)).expect("record");
            let mut e = TaskEntry::new(id.clone());
            e.apply(Outcome::Found(Arc::new(record)));
            e
        })
        .collect()
}

#[tokio::test]
async fn redacted_exports_never_contain_the_token() {
    let entries = echoing_entries();
    let refs: Vec<&TaskEntry> = entries.iter().collect();
    assert!(
        export::to_json(&refs).contains(CANARY),
        "the server did echo the token: this test checks something"
    );
    let csv = export::to_csv_redacted(&refs, CANARY).expect("csv");
    assert!(!csv.contains(CANARY), "{csv}");
    let json = export::to_json_redacted(&refs, CANARY);
    assert!(!json.contains(CANARY), "{json}");
    let tsv = export::to_tsv_redacted(&refs, CANARY);
    assert!(!tsv.contains(CANARY), "{tsv}");
}

/// The history keeps raw records: the client redacts each answer before it becomes a
/// record, so what the server echoed never reaches the file.
#[tokio::test]
async fn the_history_file_never_contains_the_token() {
    let entries = entries_from_server().await;
    let refs: Vec<&TaskEntry> = entries.iter().collect();
    assert!(
        export::to_json(&refs).contains("quota exceeded for token"),
        "the echoing record came through"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("history.jsonl");
    seedance_tasks::store::save(&path, &entries).expect("save");
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(!text.contains(CANARY), "{text}");
}

#[path = "common/hostile.rs"]
mod hostile;

/// Every string of `value` (keys too) that holds the canary once decoded.
fn holding(value: &serde_json::Value, out: &mut Vec<String>) {
    use serde_json::Value;
    match value {
        Value::String(s) if seedance_tasks::text::holds_token(s, CANARY) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| holding(v, out)),
        Value::Object(map) => {
            for (k, v) in map {
                if seedance_tasks::text::holds_token(k, CANARY) {
                    out.push(k.clone());
                }
                holding(v, out);
            }
        }
        _ => {}
    }
}

/// A token the server writes JSON-escaped (`\u0066` for its last letter) or split by an
/// escape (`\u001b[31m`) is not the token's text in the answer, so the cut on the answer's
/// text missed it: it reached the record's fields (the grid), its raw record (the details
/// panel) and the history. Now it is found in the decoded strings and hidden there,
/// alone (`retrieve`) and in a batch, and in an error's message.
#[tokio::test]
async fn an_escaped_token_never_reaches_the_records_or_the_history() {
    let server = hostile::HostileServer::start().await;
    let ids = make_ids(3);
    let (head, tail) = CANARY.split_at(10);
    let escaped = format!("{}\\u0066", &CANARY[..CANARY.len() - 1]);
    let split = format!("{head}\\u001b[31m{tail}");
    let extra = format!(
        r#""request":{{"model":"echo {escaped}","content":[{{"type":"text","text":"p {split}"}}]}},"echo":{{"{escaped}":"{split}"}},"response":{{"success":false,"data":{{"status":"failed","error":{{"code":"quota","message":"over for {escaped}"}}}}}}"#
    );
    for id in &ids {
        server.insert_raw(id, hostile::record_text(id, &extra));
    }
    let config = ClientConfig {
        base_url: server.url(),
        ..ClientConfig::default()
    };
    let client = Client::new(&config, &Token::new(CANARY)).expect("client");
    let mut records = client.retrieve_batch(&ids).await.expect("batch").records;
    records.push(
        client
            .retrieve(&ids[0])
            .await
            .expect("retrieve")
            .expect("record"),
    );
    assert_eq!(records.len(), 4);
    for r in &records {
        let fields = serde_json::to_value(r).expect("fields");
        let mut found = Vec::new();
        holding(&fields, &mut found);
        holding(r.raw(), &mut found);
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(r.model.as_deref(), Some("echo [token hidden]"));
        assert!(
            r.raw()["echo"].is_object(),
            "the rest of the record is kept"
        );
    }
    let entries: Vec<TaskEntry> = records
        .into_iter()
        .map(|r| {
            let mut e = TaskEntry::new(r.id.clone());
            e.apply(Outcome::Found(Arc::new(r)));
            e
        })
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("history.jsonl");
    seedance_tasks::store::save(&path, &entries).expect("save");
    let text = std::fs::read_to_string(&path).expect("read");
    let mut found = Vec::new();
    holding(
        &serde_json::from_str(&text).expect("one JSON document"),
        &mut found,
    );
    assert!(found.is_empty(), "{found:?}");

    // An error answer that writes the token escaped.
    server.fail_every_call(
        500,
        &format!(r#"{{"code":"api_error","message":"busy for {escaped}"}}"#),
        0,
    );
    let e = client.retrieve_batch(&ids).await.expect_err("an error");
    assert!(
        !seedance_tasks::text::holds_token(&e.to_string(), CANARY),
        "{e}"
    );
    assert!(e.message.contains("[token hidden]"), "{e}");

    // And the CLI's table and JSON Lines.
    let fresh = hostile::HostileServer::start().await;
    for id in &ids {
        fresh.insert_raw(id, hostile::record_text(id, &extra));
    }
    let user = format!("leak-test-escaped-{}", std::process::id());
    for args in [vec!["get", &ids[0]], vec!["get", "--json", &ids[0]]] {
        let r = run(&args, &fresh.url(), Some(CANARY), "", &user).await;
        assert!(
            !seedance_tasks::text::holds_token(&r.out, CANARY),
            "{}",
            r.out
        );
        assert!(r.out.contains("[token hidden]"), "{}", r.out);
    }
}
