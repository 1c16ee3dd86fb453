//! Every file in tests/fixtures against what the record model must read from it: the
//! status and the failure reason, in every shape the API and its upstream send. A fixture
//! added without an expectation here fails the test, so none goes untested.

use seedance_tasks::api::{Status, TaskRecord};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// What a fixture must read as.
enum Want {
    /// An error body of the call itself, or `{}`: no task record in it.
    NoRecord,
    /// A batch answer whose every item reads as this status, without a reason.
    Batch(Status),
    /// One record: its status, and the reason's `code: message` summary when it has one.
    Record(Status, Option<&'static str>),
}

fn failed(reason: &'static str) -> Want {
    Want::Record(Status::Failed, Some(reason))
}

fn expectations() -> Vec<(&'static str, Want)> {
    use Want::*;
    vec![
        ("doc-error-api_error.json", NoRecord),
        ("doc-error-invalid_token.json", NoRecord),
        ("doc-error-no_token.json", NoRecord),
        ("doc-error-token_expired.json", NoRecord),
        ("doc-error-token_mismatched.json", NoRecord),
        ("doc-retrieve-batch.json", Batch(Status::Succeeded)),
        (
            "doc-retrieve-succeeded.json",
            Record(Status::Succeeded, None),
        ),
        ("var-batch-partial.json", Batch(Status::Succeeded)),
        ("var-empty-object.json", NoRecord),
        ("var-error-too_many_requests.json", NoRecord),
        ("var-error-used_up.json", NoRecord),
        (
            "var-failed-error.json",
            failed(
                "bad_request: The request failed because the output video may contain sensitive information.",
            ),
        ),
        (
            "var-failed-upstream-status.json",
            failed(
                "OutputAudioSensitiveContentDetected: The request failed because the output audio may contain sensitive information.",
            ),
        ),
        ("var-failed-error-string.json", failed("timeout")),
        (
            "var-failed-data-error-string.json",
            failed("The prompt was rejected by moderation."),
        ),
        (
            "var-failed-data-error-message.json",
            failed("Generation ran out of time upstream."),
        ),
        (
            "var-failed-data-reason.json",
            failed("Image could not be downloaded."),
        ),
        (
            "var-failed-data-message.json",
            failed("Internal upstream error."),
        ),
        (
            "var-failed-content-error.json",
            failed(
                "InputImageSensitiveContentDetected: The input image may contain sensitive information.",
            ),
        ),
        (
            "var-failed-content-reason.json",
            failed("Quota of the upstream account exhausted."),
        ),
        (
            "var-failed-top-level-error.json",
            failed("upstream_error: The upstream service did not accept the task."),
        ),
        (
            "var-failed-top-level-error-string.json",
            failed("submission failed"),
        ),
        (
            "var-failed-top-level-fail-reason.json",
            failed("task was never submitted upstream"),
        ),
        (
            "var-pending-no-response.json",
            Record(Status::Pending, None),
        ),
        ("var-queued.json", Record(Status::Queued, None)),
        ("var-running.json", Record(Status::Running, None)),
        ("var-status-canceled.json", Record(Status::Cancelled, None)),
        (
            "var-status-error.json",
            failed("InternalServiceError: The service encountered an unexpected internal error."),
        ),
        ("var-status-fail.json", failed("content policy")),
        ("var-status-failure.json", Record(Status::Failed, None)),
        (
            "var-status-timed-out.json",
            failed("The task exceeded execution_expires_after."),
        ),
        ("var-status-timeout.json", Record(Status::Failed, None)),
        (
            "var-status-unknown-word.json",
            Record(Status::Other("Moderating".into()), None),
        ),
        (
            "var-succeeded-content-shape.json",
            Record(Status::Succeeded, None),
        ),
    ]
}

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(fixtures_dir().join(name)).expect("fixture");
    serde_json::from_str(&text).expect("fixture is JSON")
}

#[test]
fn every_fixture_has_an_expectation() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    let listed: BTreeSet<String> = expectations()
        .into_iter()
        .map(|(n, _)| n.to_owned())
        .collect();
    assert_eq!(on_disk, listed);
}

#[test]
fn every_fixture_reads_as_expected() {
    for (name, want) in expectations() {
        let v = fixture(name);
        match want {
            Want::NoRecord => {
                assert_eq!(TaskRecord::from_value(v), None, "{name}");
            }
            Want::Batch(status) => {
                let items = v["items"].as_array().expect("items");
                assert!(!items.is_empty(), "{name}");
                for item in items {
                    let r = TaskRecord::from_value(item.clone()).expect("record");
                    assert_eq!(r.status, status, "{name}");
                    assert_eq!(r.failure, None, "{name}");
                }
            }
            Want::Record(status, reason) => {
                let r = TaskRecord::from_value(v).expect("record");
                assert_eq!(r.status, status, "{name}");
                let got = r.failure.as_ref().map(|f| f.summary());
                assert_eq!(got.as_deref(), reason, "{name}");
            }
        }
    }
}

/// A word the app does not know is shown as sent, but never reads as one of the app's
/// own words (`error` is a question that failed, not an upstream state).
#[test]
fn an_unknown_word_is_the_apis_own() {
    let r = TaskRecord::from_value(fixture("var-status-unknown-word.json")).expect("record");
    assert!(r.status.is_api_word());
    assert_eq!(r.status.as_str(), "Moderating");
    assert_eq!(r.status.label(), "Moderating");
    assert!(r.status.is_unfinished());
    assert!(!Status::Error.is_api_word());
    assert_ne!(r.status.key(), Status::Error.key());
}

/// Staleness counts from creation: the fixtures were created on 2025-12-21 at 15:03:56 UTC.
#[test]
fn unfinished_tasks_go_stale_72_hours_after_creation() {
    let created = 1766329436.091;
    let within = created + 72.0 * 3600.0 - 1.0;
    let past = created + 72.0 * 3600.0 + 1.0;
    for name in [
        "var-pending-no-response.json",
        "var-queued.json",
        "var-running.json",
        "var-status-unknown-word.json",
    ] {
        let r = TaskRecord::from_value(fixture(name)).expect("record");
        assert!(!r.is_stale(within) && r.is_live(within), "{name}");
        assert!(r.is_stale(past) && !r.is_live(past), "{name}");
        assert!(r.status.is_unfinished(), "{name}: keeps its status");
    }
    for name in ["doc-retrieve-succeeded.json", "var-failed-error.json"] {
        let r = TaskRecord::from_value(fixture(name)).expect("record");
        assert!(!r.is_stale(past) && !r.is_live(past), "{name}: finished");
    }
    let undated = TaskRecord::from_value(serde_json::json!({"id": "u"})).expect("record");
    assert!(
        !undated.is_stale(f64::MAX),
        "no creation time, nothing to measure"
    );
}
