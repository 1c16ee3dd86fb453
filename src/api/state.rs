//! What a record says about its task's state and, when it went wrong, why. The API and
//! its upstream have been seen to put both in many places (see CONTRACT.md); every place
//! is read here, so the rest of the record model stays about plain fields.

use super::Status;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Why a task failed, as the record tells it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Failure {
    pub code: Option<String>,
    pub message: Option<String>,
}

impl Failure {
    /// `code: message`, or whichever of the two is there.
    pub fn summary(&self) -> String {
        match (&self.code, &self.message) {
            (Some(c), Some(m)) => format!("{c}: {m}"),
            (Some(c), None) => c.clone(),
            (None, Some(m)) => m.clone(),
            (None, None) => String::new(),
        }
    }
}

/// Keys that hold a failure reason inside `response.data` and `response.data.content`,
/// most specific first.
const REASON_KEYS: [&str; 5] = ["error", "error_message", "reason", "message", "fail_reason"];

/// The status a record shows, and the failure reason it gives (only read when the task
/// failed or the record carries an error: a success's `message` is not a reason).
pub(super) fn read(raw: &Value) -> (Status, Option<Failure>) {
    let response = raw.get("response").filter(|r| is_present(r));
    let data = response.and_then(|r| r.get("data"));
    let content = data.and_then(|d| d.get("content"));
    let response_error = response
        .and_then(|r| r.get("error"))
        .filter(|e| is_present(e));
    let nested_error = [data, content]
        .into_iter()
        .flatten()
        .filter_map(|v| v.get("error"))
        .find(|e| is_present(e));
    let has_error = response_error.is_some() || nested_error.is_some();

    // Most specific first: the API's own error, then upstream's, then loose message keys
    // (also top-level, where a record without `response` has been seen to say why).
    let mut places: Vec<&Value> = Vec::with_capacity(16);
    places.extend(response_error);
    for v in [data, content].into_iter().flatten() {
        places.extend(REASON_KEYS.iter().filter_map(|k| v.get(*k)));
    }
    places.extend(response.and_then(|r| r.get("message")));
    places.extend(
        ["error", "fail_reason", "message"]
            .map(|k| raw.get(k))
            .into_iter()
            .flatten(),
    );
    let failure = || reason(&places);

    let status = match response {
        // Nothing from upstream yet, unless the gateway recorded why there never will be.
        None if is_present_at(raw, "error") || text(raw.get("fail_reason")).is_some() => {
            Status::Failed
        }
        None => Status::Pending,
        Some(r) => {
            let success = r.get("success").and_then(Value::as_bool);
            let word = [data, content]
                .into_iter()
                .flatten()
                .find_map(|v| v.get("status").and_then(Value::as_str));
            if success == Some(false) && (has_error || failure().is_some()) {
                Status::Failed
            } else if let Some(word) = word {
                Status::from_word(word)
            } else if has_error {
                Status::Failed
            } else {
                Status::Pending
            }
        }
    };

    let failure = if status.is_failure() || has_error {
        failure()
    } else {
        None
    };
    (status, failure)
}

/// Checks that the values the status is read from are of the type the reader needs,
/// where the record has them: `response` and `response.data` are objects, and `status`
/// (in `response.data` or `response.data.content`) is a word; `null` counts as absent.
/// Any other type (`"status": 7`) makes a record that cannot be read, not a task of
/// unknown state: the message says what was found and where.
pub(super) fn check_needed(raw: &Value) -> Result<(), WrongType> {
    let object_or_null = |v: Option<&Value>, at: &'static str| match v {
        None | Some(Value::Null | Value::Object(_)) => Ok(()),
        Some(other) => Err(WrongType {
            found: kind(other),
            expected: "an object",
            at,
        }),
    };
    let response = raw.get("response");
    object_or_null(response, "response")?;
    let data = response.and_then(|r| r.get("data"));
    object_or_null(data, "response.data")?;
    let content = data.and_then(|d| d.get("content"));
    for (v, at) in [
        (data, "response.data.status"),
        (content, "response.data.content.status"),
    ] {
        match v.and_then(|v| v.get("status")) {
            None | Some(Value::Null | Value::String(_)) => {}
            Some(other) => {
                return Err(WrongType {
                    found: kind(other),
                    expected: "a status word",
                    at,
                });
            }
        }
    }
    Ok(())
}

/// A value the status is read from, of the wrong type: "a number, expected a status word
/// at response.data.status".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{found}, expected {expected} at {at}")]
pub(super) struct WrongType {
    found: &'static str,
    expected: &'static str,
    at: &'static str,
}

/// What a value of the wrong type is, for [`check_needed`]'s message.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The first place that gives a code or a message. A code is taken only from an error
/// object (a bare word such as `"timeout"` is the message: it is all there is to show).
fn reason(places: &[&Value]) -> Option<Failure> {
    let mut code = None;
    let mut message = None;
    for v in places {
        match v {
            Value::Object(m) => {
                code = code.or_else(|| text(m.get("code")));
                message = message
                    .or_else(|| text(m.get("message")))
                    .or_else(|| text(m.get("msg")));
            }
            other => message = message.or_else(|| text(Some(other))),
        }
        if message.is_some() {
            break;
        }
    }
    (code.is_some() || message.is_some()).then_some(Failure { code, message })
}

/// Trimmed, non-blank text of a string or a number.
pub(super) fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Whether a value says something: not null, `false`, blank text or an empty container.
fn is_present(v: &Value) -> bool {
    match v {
        Value::Null | Value::Bool(false) => false,
        Value::String(s) => !s.trim().is_empty(),
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Bool(true) | Value::Number(_) => true,
    }
}

fn is_present_at(v: &Value, key: &str) -> bool {
    v.get(key).is_some_and(is_present)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn state(v: Value) -> (Status, Option<String>) {
        let (status, failure) = read(&v);
        (status, failure.map(|f| f.summary()))
    }

    #[test]
    fn a_bare_error_word_is_the_message() {
        assert_eq!(
            state(json!({"response": {"success": false, "error": "timeout"}})),
            (Status::Failed, Some("timeout".into()))
        );
    }

    #[test]
    fn the_api_error_wins_over_upstream_messages() {
        let v = json!({"response": {
            "success": false, "error": {"code": "bad_request", "message": "api"},
            "data": {"status": "failed", "message": "upstream"}
        }});
        assert_eq!(state(v), (Status::Failed, Some("bad_request: api".into())));
    }

    #[test]
    fn a_success_message_is_no_reason() {
        let v = json!({"response": {"success": true, "data": {"status": "succeeded", "message": "ok"}}});
        assert_eq!(state(v), (Status::Succeeded, None));
    }

    #[test]
    fn an_object_without_code_or_message_looks_further() {
        let v = json!({"response": {"data": {"status": "failed", "error": {"detail": 1}, "reason": "why"}}});
        assert_eq!(state(v), (Status::Failed, Some("why".into())));
    }

    fn check_needed_text(raw: &Value) -> Result<(), String> {
        check_needed(raw).map_err(|e| e.to_string())
    }

    #[test]
    fn values_the_status_needs_must_be_of_their_type() {
        assert_eq!(
            check_needed_text(&json!({"response": {"data": {"status": 7}}})),
            Err("a number, expected a status word at response.data.status".into())
        );
        assert_eq!(
            check_needed_text(&json!({"response": {"data": {"content": {"status": ["x"]}}}})),
            Err("a list, expected a status word at response.data.content.status".into())
        );
        assert_eq!(
            check_needed_text(&json!({"response": "done"})),
            Err("a string, expected an object at response".into())
        );
        assert_eq!(
            check_needed_text(&json!({"response": {"data": true}})),
            Err("a boolean, expected an object at response.data".into())
        );
        for fine in [
            json!({}),
            json!({"response": null}),
            json!({"response": {"data": null}}),
            json!({"response": {"data": {"status": null, "model": 5}}}),
            json!({"response": {"data": {"status": "running", "content": "text"}}}),
        ] {
            assert_eq!(check_needed(&fine), Ok(()), "{fine}");
        }
    }

    #[test]
    fn no_response_and_no_error_is_pending() {
        assert_eq!(state(json!({"response": {}})), (Status::Pending, None));
        assert_eq!(
            state(json!({"error": "", "fail_reason": null})),
            (Status::Pending, None)
        );
        assert_eq!(
            state(json!({"error": false})),
            (Status::Pending, None),
            "false says there is no error"
        );
    }
}
