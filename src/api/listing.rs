//! One page of the account's task listing: `retrieve_batch` without ids, with paging and
//! a creation-time range, as AceDataCloud's own web app sends it. Undocumented for SeeDance
//! (see CONTRACT.md): this module only speaks the request; judging whether the API honoured
//! it is the engine's job (`engine::listing`).

use super::{ApiError, Client, ErrorKind, TaskRecord};
use serde_json::{Map, Value, json};

/// The most items the listing asks for per page: the sibling services that document these
/// fields cap `limit` at 100.
pub const MAX_PAGE_SIZE: usize = 100;

/// Whose tasks to list, when a known record tells: the web app sends both fields, and a
/// listing that honours them must never answer with another user's task.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListScope {
    pub user_id: Option<String>,
    pub application_id: Option<String>,
}

impl ListScope {
    /// The scope a record carries (`user_id`, `application_id`); empty when it has neither.
    pub fn from_record(record: &TaskRecord) -> Self {
        let raw = record.raw();
        Self {
            user_id: id_text(raw.get("user_id")),
            application_id: id_text(raw.get("application_id")),
        }
    }
}

/// A non-empty string id (some records carry numbers: those are read as their digits).
pub(super) fn id_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The question for one page.
#[derive(Debug, Clone, PartialEq)]
pub struct PageQuery {
    pub offset: usize,
    /// Items asked for (1 to [`MAX_PAGE_SIZE`]).
    pub limit: usize,
    /// Epoch seconds, both ends included.
    pub created_at_min: i64,
    pub created_at_max: i64,
    pub scope: ListScope,
}

impl PageQuery {
    pub fn body(&self) -> Value {
        let mut body = Map::new();
        body.insert("action".into(), json!("retrieve_batch"));
        body.insert("offset".into(), json!(self.offset));
        body.insert("limit".into(), json!(self.limit.clamp(1, MAX_PAGE_SIZE)));
        body.insert("created_at_min".into(), json!(self.created_at_min));
        body.insert("created_at_max".into(), json!(self.created_at_max));
        body.insert("type".into(), json!("videos"));
        if let Some(user) = &self.scope.user_id {
            body.insert("user_id".into(), json!(user));
        }
        if let Some(app) = &self.scope.application_id {
            body.insert("application_id".into(), json!(app));
        }
        Value::Object(body)
    }
}

/// One listed task with the owner fields the listing is checked against.
#[derive(Debug, Clone)]
pub struct ListedTask {
    pub record: TaskRecord,
    pub user_id: Option<String>,
}

/// A listed record that could not be read: its id, the owner it names and why.
#[derive(Debug, Clone)]
pub struct UnreadableTask {
    pub id: String,
    pub user_id: Option<String>,
    pub error: ApiError,
}

/// One page as the API answered it.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub items: Vec<ListedTask>,
    /// The total the API announced for the whole range, when it sent one.
    pub count: Option<u64>,
    /// Records of the page that could not be read, by id, each with why: they fail alone.
    pub unreadable: Vec<UnreadableTask>,
    /// Items within the limit that name no task: no `id`, or unreadable without one.
    pub nameless: usize,
    /// Items past the page's `limit`, dropped unread.
    pub beyond_limit: usize,
}

impl Page {
    /// Items of the page within its limit, read or not: how the listing tells a short
    /// page (the last) from a full one.
    pub fn answered(&self) -> usize {
        self.items.len() + self.unreadable.len() + self.nameless
    }

    /// Reads a listing answer item by item, as a batch answer is (`answer`): each item's
    /// text is read into a record alone, at most `limit` of them. An answer that is not
    /// `{"items": [...]}` is a `Decode` error: an API that answers a listing with
    /// something else does not list. A record that cannot be read fails alone.
    pub fn from_text(body: &str, limit: usize, token: &str) -> Result<Self, ApiError> {
        let mut reader = super::page_reader::Reader::new(limit, token);
        let mut de = serde_json::Deserializer::from_str(body);
        serde::de::Deserializer::deserialize_any(&mut de, &mut reader).map_err(|e| {
            ApiError::new(
                ErrorKind::Decode,
                format!("the listing answer could not be read: {e}"),
            )
        })?;
        reader.finish()
    }
}

impl Client {
    /// One page of the account's tasks. Errors as for any call; a `not_found` error is an
    /// error of the call (a listing has no single task to be unknown). The page is read
    /// on a blocking thread: an answer of 30 MB takes a while to walk.
    pub async fn list_page(&self, query: &PageQuery) -> Result<Page, ApiError> {
        let text = self.post_text(&query.body()).await.map_err(|mut e| {
            if e.kind == ErrorKind::NotFound {
                e.kind = ErrorKind::Request;
            }
            e
        })?;
        let limit = query.limit.clamp(1, MAX_PAGE_SIZE);
        let token = self.token.clone();
        tokio::task::spawn_blocking(move || Page::from_text(&text, limit, &token))
            .await
            .unwrap_or_else(|e| {
                Err(ApiError::new(
                    ErrorKind::Decode,
                    format!("reading the listing answer stopped: {e}"),
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_value(value: Value) -> Result<Page, ApiError> {
        Page::from_text(&value.to_string(), MAX_PAGE_SIZE, "")
    }

    #[test]
    fn the_body_is_the_web_apps() {
        let q = PageQuery {
            offset: 200,
            limit: 500,
            created_at_min: 10,
            created_at_max: 20,
            scope: ListScope {
                user_id: Some("u1".into()),
                application_id: None,
            },
        };
        assert_eq!(
            q.body(),
            json!({"action": "retrieve_batch", "offset": 200, "limit": 100,
                "created_at_min": 10, "created_at_max": 20, "type": "videos", "user_id": "u1"})
        );
    }

    #[test]
    fn pages_read_items_owners_and_count() {
        let page = from_value(json!({"items": [
            {"id": "a", "user_id": "u1"}, {"id": "b", "user_id": 7}, {"no_id": true}],
            "count": 12}))
        .expect("page");
        assert_eq!(page.count, Some(12));
        let owners: Vec<_> = page.items.iter().map(|t| t.user_id.clone()).collect();
        assert_eq!(owners, [Some("u1".into()), Some("7".into())]);
        assert!(from_value(json!({"id": "a"})).is_err());
        assert!(from_value(json!({"items": {}})).is_err());
        assert!(from_value(json!([])).is_err());
        let no_count = from_value(json!({"items": []})).expect("page");
        assert_eq!(no_count.count, None);
    }

    #[test]
    fn a_page_is_read_item_by_item_and_a_bad_record_fails_alone() {
        let body = r#"{"count": 5, "junk": [[[[]]]], "items": [
            {"id": "a", "user_id": "u1"},
            {"id": "b", "created_at": 1e309, "user_id": "u2"},
            {"created_at": -1e309},
            {"id": "c", "response": {"data": {"status": "succeeded"}}},
            {"id": "d"}, {"id": "e"}]}"#;
        let page = Page::from_text(body, 4, "").expect("page");
        let ids: Vec<&str> = page.items.iter().map(|t| t.record.id.as_str()).collect();
        assert_eq!(ids, ["a", "c"]);
        assert_eq!(page.unreadable.len(), 1);
        assert_eq!(page.unreadable[0].id, "b");
        assert_eq!(page.unreadable[0].user_id.as_deref(), Some("u2"));
        assert!(
            page.unreadable[0]
                .error
                .message
                .ends_with("number out of range at created_at"),
            "{}",
            page.unreadable[0].error
        );
        assert_eq!((page.nameless, page.beyond_limit), (1, 2));
        assert_eq!(page.answered(), 4, "a full page, bad records counted");
        assert_eq!(page.count, Some(5));
        let e = Page::from_text("{\"items\": [NaN]}", 4, "").expect_err("not JSON");
        assert_eq!(e.kind, ErrorKind::Decode);
    }

    #[test]
    fn an_unreadable_record_keeps_no_token_in_its_id() {
        let token = "sk-listing-secret-0123456789";
        // The token escaped in JSON: `\u0065` is `e`, so the decoded id holds it.
        let body = r#"{"items": [
            {"id": "x-sk-listing-s\u0065cret-0123456789", "created_at": 1e309,
             "user_id": "sk-listing-secret-0123456789"}]}"#;
        let page = Page::from_text(body, 4, token).expect("page");
        assert_eq!(page.unreadable.len(), 1);
        let bad = &page.unreadable[0];
        assert!(!bad.id.contains(token), "{}", bad.id);
        assert!(bad.id.starts_with("x-"), "{}", bad.id);
        assert!(
            bad.user_id.as_deref().is_some_and(|u| !u.contains(token)),
            "{:?}",
            bad.user_id
        );
    }

    #[test]
    fn scope_comes_from_the_record() {
        let r = TaskRecord::from_value(json!({"id": "a", "user_id": "u", "application_id": "p"}))
            .expect("record");
        assert_eq!(
            ListScope::from_record(&r),
            ListScope {
                user_id: Some("u".into()),
                application_id: Some("p".into())
            }
        );
    }
}
