//! The binary against a hostile API stand-in (`common/hostile.rs`): amplifying answers,
//! records with numbers no `f64` holds or no JSON allows, megabyte fields, invisible
//! characters and a token split by an escape. Each test is a finding of issue 20.

#[path = "common/hostile.rs"]
mod hostile;

use hostile::{HostileServer, record_text};
use serde_json::Value;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

const TOKEN: &str = "hostile-secret-token-0042";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    /// Peak resident memory of the process (VmHWM), in bytes.
    peak_rss: u64,
}

impl Run {
    fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON line"))
            .collect()
    }
}

fn ids(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("{:08x}-0000-4000-8000-{:012x}", i + 1, i + 1))
        .collect()
}

/// VmHWM of a running process; `None` once it has exited.
fn peak_of(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Every line of `lines` succeeded but those at `bad`, which are errors.
fn only_these_fail(lines: &[Value], bad: &[usize]) {
    for (i, line) in lines.iter().enumerate() {
        let want = if bad.contains(&i) {
            "error"
        } else {
            "succeeded"
        };
        assert_eq!(line["status"], want, "{i}: {line}");
    }
}

/// The non-JSON record's id was asked in a request of its own (the halving reached it).
fn asked_alone(asked: &[Vec<String>], id: &str) {
    assert!(
        asked.iter().any(|r| r.len() == 1 && r[0] == id),
        "{id} asked alone: {asked:?}"
    );
}

async fn run(base: &str, args: &[&str], stdin: &str) -> Run {
    run_with(base, args, stdin, &[]).await
}

async fn run_with(base: &str, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_seedance-tasks"))
        .args(args)
        .envs(env.iter().copied())
        .env("SEEDANCE_API_BASE", base)
        .env("SEEDANCE_API_TOKEN", TOKEN)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the binary");
    let pid = child.id().expect("pid");
    let mut pipe = child.stdin.take().expect("stdin");
    pipe.write_all(stdin.as_bytes()).await.expect("write stdin");
    drop(pipe);
    // The high-water mark only grows: the last reading before the exit is the peak (the
    // last few milliseconds print the output, which is small).
    let sampler = tokio::spawn(async move {
        let mut peak = 0;
        while let Some(now) = peak_of(pid) {
            peak = peak.max(now);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        peak
    });
    let out = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("the binary finishes")
        .expect("output");
    let peak_rss = sampler.await.expect("sampler");
    let r = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
        peak_rss,
    };
    assert!(
        !r.stdout.contains(TOKEN) && !r.stderr.contains(TOKEN),
        "token leaked"
    );
    r
}

/// 200 ids, every batch answer padded to ~31 MB of tiny items of other ids: one answer
/// used to cost ~68× its size (4.1 GB peak). The goal is 400 MB with the default
/// concurrency (4 answers of 31 MB at once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amplifying_answers_cost_what_is_kept_not_what_was_sent() {
    let server = HostileServer::start().await;
    let ids = ids(200);
    for id in &ids {
        server.insert_raw(id, record_text(id, ""));
    }
    server.pad_batches(31 * 1024 * 1024);
    let r = run(
        &server.url(),
        &["get", "--json", "--retry-for", "0"],
        &ids.join("\n"),
    )
    .await;
    let lines = r.json_lines();
    let errors: Vec<&Value> = lines
        .iter()
        .filter(|l| l["status"] != "succeeded")
        .collect();
    assert_eq!(r.code, 0, "{}{:?}", r.stderr, errors.first());
    assert_eq!(lines.len(), 200);
    assert!(lines.iter().all(|l| l["status"] == "succeeded"));
    let mb = r.peak_rss / (1024 * 1024);
    eprintln!("peak RSS {mb} MB for 4 answers of 31 MB at once");
    assert!(mb > 0, "the peak was measured");
    assert!(mb <= 400, "peak RSS {mb} MB");
}

/// A number out of `f64` range in one record's time or duration used to make every id of
/// its batch an error. Now only that record's id is, with the field named.
#[tokio::test]
async fn a_record_with_a_number_out_of_range_fails_alone() {
    let server = HostileServer::start().await;
    let ids = ids(12);
    let bad = [
        (1, r#""created_at":1e309"#, "created_at"),
        (4, r#""finished_at":-1e309"#, "finished_at"),
        (7, r#""elapsed":1e309"#, "elapsed"),
        (
            10,
            r#""response":{"data":{"status":"running","seed":-1e400}}"#,
            "response.data.seed",
        ),
    ];
    for (i, id) in ids.iter().enumerate() {
        let extra = bad.iter().find(|b| b.0 == i).map_or("", |b| b.1);
        // A later duplicate key wins: the bad value replaces the good one.
        server.insert_raw(id, record_text(id, extra));
    }
    let r = run(
        &server.url(),
        &["get", "--json", "--retry-for", "0"],
        &ids.join("\n"),
    )
    .await;
    let lines = r.json_lines();
    assert_eq!(lines.len(), 12, "{}", r.stderr);
    for (i, line) in lines.iter().enumerate() {
        match bad.iter().find(|b| b.0 == i) {
            Some((_, _, field)) => {
                assert_eq!(line["status"], "error", "{line}");
                let message = line["error_message"].as_str().unwrap_or_default();
                assert!(
                    message.contains(&format!(
                        "the API's record could not be read: number out of range at {field}"
                    )),
                    "{message}"
                );
            }
            None => assert_eq!(line["status"], "succeeded", "{line}"),
        }
    }
    assert_eq!(server.requests().len(), 1, "one batch answered them all");
}

/// A value the status is read from with the wrong type (`"status": 7`) used to read as a
/// task of unknown state. Now it is an error for that id only, in a batch and alone; a
/// wrong-typed field the app can do without (`"model": true`) still reads as unknown.
#[tokio::test]
async fn a_record_with_a_wrong_typed_status_fails_alone() {
    let server = HostileServer::start().await;
    let ids = ids(6);
    let bad = [
        (
            1,
            r#""response":{"success":true,"data":{"status":7}}"#,
            "a number, expected a status word at response.data.status",
        ),
        (
            4,
            r#""response":"done""#,
            "a string, expected an object at response",
        ),
    ];
    for (i, id) in ids.iter().enumerate() {
        let extra = match i {
            2 => r#""request":{"model":true}"#,
            _ => bad.iter().find(|b| b.0 == i).map_or("", |b| b.1),
        };
        server.insert_raw(id, record_text(id, extra));
    }
    let expect_error = |line: &Value, why: &str| {
        assert_eq!(line["status"], "error", "{line}");
        let message = line["error_message"].as_str().unwrap_or_default();
        assert!(
            message.contains(&format!("the API's record could not be read: {why}")),
            "{message}"
        );
    };
    let r = run(
        &server.url(),
        &["get", "--json", "--retry-for", "0"],
        &ids.join("\n"),
    )
    .await;
    let lines = r.json_lines();
    assert_eq!(lines.len(), 6, "{}", r.stderr);
    for (i, line) in lines.iter().enumerate() {
        match bad.iter().find(|b| b.0 == i) {
            Some((_, _, why)) => expect_error(line, why),
            None => assert_eq!(line["status"], "succeeded", "{i}: {line}"),
        }
    }
    assert_eq!(
        lines[2]["model"],
        Value::Null,
        "a model of the wrong type is unknown"
    );
    assert_eq!(server.requests().len(), 1, "one batch answered them all");

    // Alone, `retrieve` answers it: the same error.
    let r = run(
        &server.url(),
        &["get", "--json", "--retry-for", "0"],
        &ids[1],
    )
    .await;
    expect_error(&r.json_lines()[0], bad[0].2);
    assert_eq!(server.requests().last(), Some(&vec![ids[1].clone()]));
}

/// `NaN` and `Infinity` make the whole answer invalid JSON. The batch is asked again in
/// halves, down to single ids, so that only the two bad records end in error.
#[tokio::test]
async fn a_batch_answer_that_is_not_json_is_split_down_to_the_bad_ids() {
    let server = HostileServer::start().await;
    let ids = ids(16);
    for (i, id) in ids.iter().enumerate() {
        let extra = match i {
            3 => r#""elapsed":NaN"#,
            12 => r#""created_at":Infinity"#,
            _ => "",
        };
        server.insert_raw(id, record_text(id, extra));
    }
    let r = run(
        &server.url(),
        &["get", "--json", "--retry-for", "0"],
        &ids.join("\n"),
    )
    .await;
    let lines = r.json_lines();
    assert_eq!(lines.len(), 16, "{}", r.stderr);
    only_these_fail(&lines, &[3, 12]);
    assert!(
        lines[3]["error_message"]
            .as_str()
            .is_some_and(|m| m.contains("not JSON")),
        "{}",
        lines[3]
    );
    let asked = server.requests();
    asked_alone(&asked, &ids[3]);
    assert!(
        asked.len() < 16,
        "halving, not one request per id: {}",
        asked.len()
    );
}

/// A megabyte model and reason widened every line of the table to a megabyte, header
/// included; invisible characters were printed as they are; absurd times were shown.
#[tokio::test]
async fn the_table_stays_readable_whatever_the_cells() {
    let server = HostileServer::start().await;
    let ids = ids(5);
    let huge = "M".repeat(1 << 20);
    let model = format!(r#""request":{{"model":"{huge}"}}"#);
    server.insert_raw(&ids[0], record_text(&ids[0], &model));
    let reason = format!(
        r#""response":{{"data":{{"status":"failed","error":{{"code":"x","message":"{}"}}}}}}"#,
        "r".repeat(1 << 20)
    );
    server.insert_raw(&ids[1], record_text(&ids[1], &reason));
    let invisible = r#""request":{"model":"a\u200bb\u200dc\ufeffd\u2028e\u2029f","content":[{"type":"text","text":"p\u200bq"}]}"#;
    server.insert_raw(&ids[2], record_text(&ids[2], invisible));
    server.insert_raw(&ids[3], record_text(&ids[3], r#""elapsed":1e308"#));
    server.insert_raw(
        &ids[4],
        record_text(
            &ids[4],
            r#""created_at":"9999-01-01T00:00:00Z","response":{"data":{"status":"running"}}"#,
        ),
    );
    let r = run(&server.url(), &["get", "--retry-for", "0"], &ids.join("\n")).await;
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 6, "{}", r.stderr);
    for line in &lines {
        assert!(
            line.chars().count() <= 1000,
            "{} chars",
            line.chars().count()
        );
    }
    for c in ['\u{200b}', '\u{200d}', '\u{feff}', '\u{2028}', '\u{2029}'] {
        assert!(!r.stdout.contains(c), "{c:?} printed");
    }
    assert!(lines[3].contains("abcd e f"), "{}", lines[3]);
    assert!(
        !lines[4].contains(" d "),
        "no elapsed of centuries: {}",
        lines[4]
    );
    assert!(!lines[5].contains("9999"), "{}", lines[5]);
    assert!(
        !lines[5].contains("0s"),
        "an unknown creation has no elapsed: {}",
        lines[5]
    );

    let r = run(
        &server.url(),
        &["get", "--json", "--retry-for", "0"],
        &ids.join("\n"),
    )
    .await;
    let json = r.json_lines();
    assert_eq!(
        json[0]["model"].as_str().map(str::len),
        Some(1 << 20),
        "--json keeps it"
    );
    assert_eq!(json[3]["elapsed_seconds"], Value::Null);
    assert_eq!(json[4]["created_at"], Value::Null);
}

/// A token echoed by the server and split by an escape was hidden in the table but
/// showed in `--json` in two pieces (a terminal shows them as one).
#[tokio::test]
async fn a_token_split_by_an_escape_is_hidden_in_json_too() {
    let server = HostileServer::start().await;
    let ids = ids(1);
    let (head, tail) = TOKEN.split_at(8);
    let model = format!(r#""request":{{"model":"echo {head}\u001b[31m{tail}"}}"#);
    server.insert_raw(&ids[0], record_text(&ids[0], &model));
    let r = run(
        &server.url(),
        &["get", "--json", "--retry-for", "0"],
        &ids.join("\n"),
    )
    .await;
    let line = &r.json_lines()[0];
    let model = line["model"].as_str().expect("model");
    assert!(!model.contains(tail), "{model:?}");
    assert!(model.contains("[token hidden]"), "{model:?}");
}

/// `get` of many ids printed nothing between its first line and the end when standard
/// error was not a terminal. (The interval is shortened for the test: 5 s otherwise.)
#[tokio::test]
async fn a_long_get_says_how_far_it_is_on_a_log() {
    let server = HostileServer::start().await;
    let ids = ids(400);
    for id in &ids {
        server.insert_raw(id, record_text(id, ""));
    }
    let r = run_with(
        &server.url(),
        &["get", "--json", "--retry-for", "0", "--concurrency", "1"],
        &ids.join("\n"),
        &[("SEEDANCE_TEST_PROGRESS_EVERY_MS", "1")],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let progress: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("asked "))
        .collect();
    assert!(!progress.is_empty(), "{}", r.stderr);
    assert!(
        progress.iter().all(|l| l.ends_with(" of 400")),
        "{progress:?}"
    );
    assert!(
        progress.len() <= 7,
        "one line per answer at most: {progress:?}"
    );
    assert!(
        !r.stderr.contains('\r'),
        "no terminal redraws in a log: {:?}",
        r.stderr
    );
}

/// 200 ids, every call answered with an error whose body is ~31 MB of tiny items: the
/// error used to be read as a whole `Value` (~68× its size, gigabytes). Now only its
/// fields are read. As a 500 and as a 2xx `{"success": false, …}` alike, every id ends
/// in error with the reason, within the same 400 MB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_answers_cost_what_is_read_not_what_was_sent() {
    for status in [500, 200] {
        let server = HostileServer::start().await;
        let ids = ids(200);
        server.fail_every_call(
            status,
            r#"{"code":"api_error","message":"boom in the back end"}"#,
            31 * 1024 * 1024,
        );
        let r = run(
            &server.url(),
            &["get", "--json", "--retry-for", "0"],
            &ids.join("\n"),
        )
        .await;
        let lines = r.json_lines();
        assert_eq!(lines.len(), 200, "{status}: {}", r.stderr);
        for line in &lines {
            assert_eq!(line["status"], "error", "{status}: {line}");
            let message = line["error_message"].as_str().unwrap_or_default();
            assert!(message.contains("boom in the back end"), "{status}: {line}");
        }
        let mb = r.peak_rss / (1024 * 1024);
        eprintln!("peak RSS {mb} MB for error answers of 31 MB (HTTP {status})");
        assert!(mb > 0, "the peak was measured");
        assert!(mb <= 400, "HTTP {status}: peak RSS {mb} MB");
    }
}

/// The asked records themselves padded: a server that knows the ids asked can put junk
/// under keys the model knows (`"data"` at the top, where it is not read, and
/// `request.content` as a list of empty lists). A record's built size no longer follows
/// it: 4 answers of ~31 MB at once stay within 400 MB, and every task is read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asked_records_padded_with_junk_cost_what_is_kept() {
    let server = HostileServer::start().await;
    let ids = ids(200);
    // 50 ids a batch: ~620 KB of junk each makes ~31 MB an answer.
    let per_record = 31 * 1024 * 1024 / 50;
    let data_junk = format!(
        r#""data":[[[[{}{{"id":{{}}}}]]]]"#,
        r#"{"id":{}},"#.repeat(per_record / 10)
    );
    let content_junk = format!(
        r#""request":{{"model":"m","content":[{}[]]}}"#,
        "[],".repeat(per_record / 3)
    );
    for (i, id) in ids.iter().enumerate() {
        let junk = if i % 2 == 0 {
            &data_junk
        } else {
            &content_junk
        };
        server.insert_raw(id, record_text(id, junk));
    }
    let r = run(
        &server.url(),
        &["get", "--json", "--retry-for", "0"],
        &ids.join("\n"),
    )
    .await;
    let lines = r.json_lines();
    assert_eq!(lines.len(), 200, "{}", r.stderr);
    for line in &lines {
        assert_eq!(line["status"], "succeeded", "{line}");
    }
    let mb = r.peak_rss / (1024 * 1024);
    eprintln!("peak RSS {mb} MB for 4 answers of 31 MB of padded asked records");
    assert!(mb > 0, "the peak was measured");
    assert!(mb <= 400, "peak RSS {mb} MB");
}

/// A listing page of ~31 MB (six records, then tiny nameless items) used to be built as
/// a whole `Value`, and one record with `1e309` made the whole listing "this API does not
/// list tasks". Now the page is read item by item: the good records are listed, the bad
/// one is an error row with its reason, the nameless and extra items are counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_listing_page_lists_the_good_records_and_reports_the_bad() {
    let server = HostileServer::start().await;
    let ids = ids(6);
    let records: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let extra = format!(r#""created_at":{}"#, 1_766_329_436 - i as i64);
            let extra = if i == 2 {
                format!(r#"{extra},"finished_at":1e309"#)
            } else {
                extra
            };
            record_text(id, &extra)
        })
        .collect();
    server.list_raw(records, 31 * 1024 * 1024);
    let r = run(
        &server.url(),
        &[
            "list",
            "--json",
            "--from",
            "2025-12-01T00:00:00Z",
            "--to",
            "2025-12-31T00:00:00Z",
        ],
        "",
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines = r.json_lines();
    assert_eq!(lines.len(), 6, "{}", r.stderr);
    for (i, id) in ids.iter().enumerate() {
        let line = lines
            .iter()
            .find(|l| l["id"] == id.as_str())
            .unwrap_or_else(|| panic!("{id} listed: {}", r.stdout));
        if i == 2 {
            assert_eq!(line["status"], "error", "{line}");
            let message = line["error_message"].as_str().unwrap_or_default();
            assert!(
                message.contains("number out of range at finished_at"),
                "{line}"
            );
        } else {
            assert_eq!(line["status"], "succeeded", "{line}");
        }
    }
    assert!(
        r.stderr.contains("1 listed record could not be read"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("94 listed item(s) named no task"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("past the page size asked"),
        "{}",
        r.stderr
    );
    let mb = r.peak_rss / (1024 * 1024);
    eprintln!("peak RSS {mb} MB for a listing page of 31 MB");
    assert!(mb > 0, "the peak was measured");
    assert!(mb <= 400, "peak RSS {mb} MB");
}

/// `wait` with records that cannot be read (`1e309`) and a batch that is not JSON (`NaN`):
/// it isolates the bad ids (halving the batch down to them), waits for the others to
/// finish, and on a log says how far it is, as `get` does.
#[tokio::test]
async fn wait_isolates_bad_records_and_says_how_far_it_is_on_a_log() {
    let server = HostileServer::start().await;
    let ids = ids(120);
    for (i, id) in ids.iter().enumerate() {
        let extra = match i {
            3 => r#""elapsed":NaN"#,
            99 => r#""created_at":1e309"#,
            _ => "",
        };
        server.insert_raw(id, record_text(id, extra));
    }
    let r = run_with(
        &server.url(),
        &[
            "wait",
            "--json",
            "--retry-for",
            "0",
            "--interval",
            "2",
            "--timeout",
            "60",
            "--concurrency",
            "1",
        ],
        &ids.join("\n"),
        &[("SEEDANCE_TEST_PROGRESS_EVERY_MS", "1")],
    )
    .await;
    let lines = r.json_lines();
    assert_eq!(lines.len(), 120, "{}", r.stderr);
    only_these_fail(&lines, &[3, 99]);
    assert!(
        lines[99]["error_message"]
            .as_str()
            .is_some_and(|m| m.contains("number out of range at created_at")),
        "{}",
        lines[99]
    );
    let asked = server.requests();
    asked_alone(&asked, &ids[3]);
    assert!(asked.len() < 30, "halving, not one request per id");
    let progress: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("asked "))
        .collect();
    assert!(!progress.is_empty(), "{}", r.stderr);
    assert!(
        progress.iter().all(|l| l.ends_with(" of 120")),
        "{progress:?}"
    );
    assert!(
        !r.stderr.contains('\r'),
        "no redraws in a log: {:?}",
        r.stderr
    );
}

/// A megabyte reason quoted on stderr (a retry, a status change under `wait`) is cut.
#[tokio::test]
async fn server_text_on_stderr_is_clipped() {
    let server = HostileServer::start().await;
    let ids = ids(1);
    let long = "y".repeat(1 << 20);
    server.fail_every_call(
        401,
        &format!(r#"{{"code":"invalid_token","message":"{long}"}}"#),
        0,
    );
    let r = run(&server.url(), &["get", "--retry-for", "0"], &ids[0]).await;
    assert_eq!(r.code, 3, "{}", r.stderr);
    for line in r.stderr.lines() {
        assert!(
            line.chars().count() <= 1000,
            "{} chars",
            line.chars().count()
        );
    }
    assert!(r.stderr.contains("yyy…"), "{}", r.stderr);
}
