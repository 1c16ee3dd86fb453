//! Tasks whose last question failed for a reason a retry may fix (network, server),
//! grouped for the window's retry banner: by kind, code and message, never by trace id
//! (it differs per request, so grouping by it gives one line per batch).

use crate::api::ApiError;
use crate::task::TaskEntry;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct FailureGroup {
    /// The first error of the group, as an example (its trace id is one of many).
    pub error: Arc<ApiError>,
    pub ids: Vec<String>,
}

impl FailureGroup {
    /// "rate_limited: Too many requests (HTTP 429)": the error without its trace id.
    pub fn describe(&self) -> String {
        let e = &self.error;
        let mut s = String::new();
        if let Some(code) = &e.code {
            s.push_str(code);
            s.push_str(": ");
        }
        s.push_str(&e.message);
        if let Some(status) = e.http_status
            && !e.message.starts_with("HTTP ")
        {
            s.push_str(&format!(" (HTTP {status})"));
        }
        s
    }
}

type GroupKey = (&'static str, Option<String>, String);

/// Groups in order of size (largest first), then by description.
pub fn failure_groups<'a>(
    entries: impl IntoIterator<Item = &'a Arc<TaskEntry>>,
) -> Vec<FailureGroup> {
    let mut groups: BTreeMap<GroupKey, FailureGroup> = BTreeMap::new();
    for e in entries {
        if let Some(err) = &e.error
            && !err.stops_everything()
            && !e.awaiting
        {
            groups
                .entry((err.kind.as_str(), err.code.clone(), err.message.clone()))
                .or_insert_with(|| FailureGroup {
                    error: err.clone(),
                    ids: Vec::new(),
                })
                .ids
                .push(e.id.clone());
        }
    }
    let mut list: Vec<FailureGroup> = groups.into_values().collect();
    list.sort_by_key(|g| std::cmp::Reverse(g.ids.len()));
    list
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ErrorKind;

    fn failed(id: &str, message: &str, trace: &str) -> Arc<TaskEntry> {
        let mut e = TaskEntry::new(id);
        e.awaiting = false;
        e.error = Some(Arc::new(ApiError {
            kind: ErrorKind::Server,
            http_status: Some(502),
            code: None,
            message: message.into(),
            trace_id: Some(trace.into()),
            retry_after: None,
        }));
        Arc::new(e)
    }

    #[test]
    fn trace_ids_do_not_split_a_group() {
        let entries = vec![
            failed("a", "Bad gateway", "t1"),
            failed("b", "Bad gateway", "t2"),
            failed("c", "Bad gateway", "t3"),
            failed("d", "Upstream timeout", "t4"),
        ];
        let groups = failure_groups(&entries);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].ids, ["a", "b", "c"]);
        assert_eq!(groups[0].describe(), "Bad gateway (HTTP 502)");
        assert!(!groups[0].describe().contains("t1"));
        assert_eq!(groups[1].ids, ["d"]);
    }

    #[test]
    fn waiting_rows_and_auth_stops_are_not_listed() {
        let mut waiting = (*failed("a", "Bad gateway", "t1")).clone();
        waiting.awaiting = true;
        let mut auth = (*failed("b", "Bad gateway", "t2")).clone();
        auth.error = Some(Arc::new(ApiError {
            kind: ErrorKind::Auth,
            http_status: Some(401),
            code: Some("invalid_token".into()),
            message: "no".into(),
            trace_id: None,
            retry_after: None,
        }));
        assert!(failure_groups(&[Arc::new(waiting), Arc::new(auth)]).is_empty());
    }
}
