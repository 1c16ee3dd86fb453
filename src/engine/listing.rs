//! The account's tasks without ids: pages of the undocumented listing (`retrieve_batch`
//! with `offset`/`limit` and a creation range), up to [`LIST_CONCURRENCY`] pages asked at
//! a time through the engine's retry policy and its one door (so pages and batches share
//! one limit on requests in flight and one 429 gate), checked page by page. A listing the API does not
//! honour (an error, items outside the range, several users' tasks, a page that repeats
//! the first) ends as [`ListError::Unsupported`], never as a partial list shown as whole.

use super::batch::{Shared, with_retries};
use super::door::Door;
use super::{EngineConfig, Event};
use crate::api::{
    ApiError, ErrorKind, ListScope, ListedTask, MAX_PAGE_SIZE, PageQuery, TaskRecord,
};
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;
use tokio::task::JoinSet;

/// Pages a listing asks at once. They wait at the engine's door with every other
/// request, so together with batches no more than the engine's concurrency are in flight.
pub const LIST_CONCURRENCY: usize = 4;

/// Hears a listing's progress and retries.
pub type ListEvents = Arc<dyn Fn(ListEvent) + Send + Sync>;

/// What the listing says when the API does not list (the reason follows it).
pub const UNSUPPORTED_MESSAGE: &str =
    "this API does not list tasks for this token — paste ids instead";

/// A creation time this far outside the asked range is the API ignoring the range, not
/// rounding (the bounds are whole seconds, the records' times fractions of one).
const RANGE_SLACK_SECONDS: f64 = 1.0;

/// Which tasks to list.
#[derive(Debug, Clone, PartialEq)]
pub struct ListRequest {
    /// Unix seconds; tasks created at or after it.
    pub created_from: f64,
    /// Unix seconds; `None` pins it to the moment the listing starts, so tasks created
    /// meanwhile do not shift the pages' offsets.
    pub created_to: Option<f64>,
    /// Only the newest `limit` tasks (paging stops once they are in).
    pub limit: Option<usize>,
    /// The owner a known record gives, sent along and checked against every item.
    pub scope: ListScope,
    /// Items per page, at most [`MAX_PAGE_SIZE`].
    pub page_size: usize,
}

impl ListRequest {
    pub fn new(created_from: f64) -> Self {
        Self {
            created_from,
            created_to: None,
            limit: None,
            scope: ListScope::default(),
            page_size: MAX_PAGE_SIZE,
        }
    }
}

/// How far a listing has got: `Display` reads "312 of 1 204", or "312 so far" when the
/// API sent no total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListProgress {
    pub received: usize,
    pub total: Option<u64>,
}

impl fmt::Display for ListProgress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.total {
            Some(total) => write!(f, "{} of {}", grouped(self.received as u64), grouped(total)),
            None => write!(f, "{} so far", grouped(self.received as u64)),
        }
    }
}

/// `1204` → `1 204`: the space groups digits in every locale's reading.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

#[derive(Debug, Clone)]
pub enum ListEvent {
    Progress(ListProgress),
    /// A page will be asked again after `wait` (a 429, a 5xx, a dropped connection).
    Retrying {
        attempt: u32,
        wait: std::time::Duration,
        error: Arc<ApiError>,
    },
}

/// What a listing sent besides tasks, one sentence each (no full stop): items that named
/// no task, and items past the page size asked. Empty when there were none. The CLI and
/// the window say these the same way.
pub fn left_out(nameless: usize, beyond_limit: usize) -> Vec<String> {
    let mut said = Vec::new();
    if nameless > 0 {
        said.push(format!(
            "{nameless} listed item(s) named no task (no readable id) and were left out"
        ));
    }
    if beyond_limit > 0 {
        said.push(format!(
            "the API sent {beyond_limit} item(s) past the page size asked; they were left out"
        ));
    }
    said
}

/// A complete listing.
#[derive(Debug, Clone)]
pub struct Listing {
    /// Deduplicated by id, newest first (records without a creation time last).
    pub tasks: Vec<TaskRecord>,
    /// The total the API announced, when it did.
    pub total: Option<u64>,
    /// The end of the range as sent (Unix seconds).
    pub created_at_max: i64,
    /// Listed records that could not be read, by id, each with why: each fails alone,
    /// the rest of its page is listed. None of them is also in `tasks`.
    pub unreadable: Vec<(String, Arc<ApiError>)>,
    /// Listed items that name no task (no `id`, or unreadable without one): counted,
    /// so that they are said rather than dropped unseen.
    pub nameless: usize,
    /// Items a page sent past the `limit` asked, dropped unread.
    pub beyond_limit: usize,
}

#[derive(Debug, Clone)]
pub enum ListError {
    /// The API does not honour the listing; `reason` says which check failed.
    Unsupported {
        reason: String,
    },
    /// The call failed for reasons that are not about listing: the token, the balance,
    /// the network or the server after the retries.
    Api(Arc<ApiError>),
    Cancelled,
}

impl ListError {
    fn unsupported(reason: impl Into<String>) -> Self {
        Self::Unsupported {
            reason: reason.into(),
        }
    }

    /// Whether the token or the balance is the problem (the CLI's exit 3).
    pub fn is_token_problem(&self) -> bool {
        matches!(self, Self::Api(e) if e.stops_everything())
    }

    /// An error of a listing call: one that says the API cannot list (a refused request,
    /// an answer of the wrong shape) is "unsupported"; trouble of the token, the network or
    /// the server is not an answer about listing at all.
    fn from_call(error: ApiError) -> Self {
        match error.kind {
            ErrorKind::Request | ErrorKind::NotFound | ErrorKind::Decode | ErrorKind::TooLarge => {
                Self::unsupported(format!("the API refused the listing request: {error}"))
            }
            _ => Self::Api(Arc::new(error)),
        }
    }
}

impl fmt::Display for ListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unsupported { reason } => write!(f, "{UNSUPPORTED_MESSAGE} ({reason})"),
            Self::Api(e) => write!(f, "{e}"),
            Self::Cancelled => f.write_str("the listing was cancelled"),
        }
    }
}

impl std::error::Error for ListError {}

/// Stops a listing from another task or thread (the window's Cancel).
#[derive(Debug, Clone, Default)]
pub struct ListCancel(Arc<(AtomicBool, Notify)>);

impl ListCancel {
    pub fn cancel(&self) {
        self.0.0.store(true, Ordering::SeqCst);
        self.0.1.notify_waiters();
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.0.load(Ordering::SeqCst)
    }

    /// Resolves once [`Self::cancel`] has been called.
    pub async fn cancelled(&self) {
        loop {
            let notified = self.0.1.notified();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

type PageResult = (usize, Result<crate::api::Page, ApiError>);

/// Lists the account's tasks in `request`'s range. `on_event` hears progress after each
/// page and every retry. Pages go through the engine's retry policy (`config.retry_for`,
/// backoff with jitter) and `door` (its request slots, 429 gate and pace), up to
/// [`LIST_CONCURRENCY`] asked at once.
pub(super) async fn list_tasks(
    door: Arc<Door>,
    config: &EngineConfig,
    request: &ListRequest,
    on_event: ListEvents,
    cancel: &ListCancel,
) -> Result<Listing, ListError> {
    let now = crate::task::unix_now();
    let created_at_max = request.created_to.unwrap_or(now).ceil() as i64;
    let created_at_min = request.created_from.floor() as i64;
    let page_size = request
        .page_size
        .clamp(1, MAX_PAGE_SIZE)
        .min(request.limit.unwrap_or(usize::MAX).max(1));
    let template = PageQuery {
        offset: 0,
        limit: page_size,
        created_at_min,
        created_at_max,
        scope: request.scope.clone(),
    };
    let shared = Arc::new(listing_shared(door, config, on_event.clone()));
    let mut pages = Pager::new(request, page_size);
    let mut checks = Checks::new(created_at_min, created_at_max, &request.scope);
    let mut tasks: HashMap<String, TaskRecord> = HashMap::new();
    let mut unreadable: HashMap<String, Arc<ApiError>> = HashMap::new();
    let (mut nameless, mut beyond_limit) = (0, 0);
    let mut total = None;
    let mut running: JoinSet<PageResult> = JoinSet::new();
    loop {
        // The first page alone: it is where an API that does not list says so, and asking
        // three more pages of such an API would be impolite.
        while running.len() < LIST_CONCURRENCY
            && (pages.answered > 0 || running.is_empty())
            && let Some(offset) = pages.next_offset()
        {
            let query = PageQuery {
                offset,
                ..template.clone()
            };
            let shared = shared.clone();
            running.spawn(async move {
                let result = with_retries(&shared, query.limit, || {
                    shared.door.backend().list_page(&query)
                })
                .await;
                (offset, result)
            });
        }
        if running.is_empty() {
            break;
        }
        let done = tokio::select! {
            () = cancel.cancelled() => {
                running.abort_all();
                return Err(ListError::Cancelled);
            }
            Some(done) = running.join_next() => done,
        };
        let (offset, result) = done.map_err(|e| {
            ListError::Api(Arc::new(ApiError::new(
                ErrorKind::Network,
                format!("internal error while listing: {e}"),
            )))
        })?;
        let page = match result {
            Ok(page) => page,
            Err(e) => {
                running.abort_all();
                return Err(ListError::from_call(e));
            }
        };
        if let Err(reason) = checks.page(offset, &page, &tasks) {
            running.abort_all();
            return Err(ListError::unsupported(reason.to_string()));
        }
        if total.is_none() {
            total = page.count;
        }
        pages.answered(offset, page.answered(), page.count);
        nameless += page.nameless;
        beyond_limit += page.beyond_limit;
        for bad in page.unreadable {
            unreadable
                .entry(bad.id)
                .or_insert_with(|| Arc::new(bad.error));
        }
        for ListedTask { record, .. } in page.items {
            tasks.entry(record.id.clone()).or_insert(record);
        }
        on_event(ListEvent::Progress(ListProgress {
            received: tasks.len(),
            total,
        }));
    }
    // A record read on one page and unreadable on another is listed as read.
    unreadable.retain(|id, _| !tasks.contains_key(id));
    let mut unreadable: Vec<(String, Arc<ApiError>)> = unreadable.into_iter().collect();
    unreadable.sort_by(|a, b| a.0.cmp(&b.0));
    let mut tasks: Vec<TaskRecord> = tasks.into_values().collect();
    tasks.sort_by(newest_first);
    if let Some(limit) = request.limit {
        tasks.truncate(limit);
    }
    Ok(Listing {
        tasks,
        total,
        created_at_max,
        unreadable,
        nameless,
        beyond_limit,
    })
}

/// Newest first; records without a creation time after all others; ties by id so that
/// the order never depends on which page came back first.
pub fn newest_first(a: &TaskRecord, b: &TaskRecord) -> std::cmp::Ordering {
    match (a.created_at, b.created_at) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    }
    .then_with(|| a.id.cmp(&b.id))
}

/// The engine's retry machinery through the engine's door, with its `Retrying` events
/// turned into [`ListEvent`]s. The halt is the listing's own: a listing that meets a bad
/// token ends with that error, and the engine's queries stop on their own first answer.
fn listing_shared(door: Arc<Door>, config: &EngineConfig, on_event: ListEvents) -> Shared {
    Shared {
        door,
        config: config.clone(),
        halt: Arc::new(Mutex::new(None)),
        emit: Arc::new(move |event| {
            if let Event::Retrying {
                attempt,
                wait,
                error,
                ..
            } = event
            {
                on_event(ListEvent::Retrying {
                    attempt,
                    wait,
                    error,
                });
            }
        }),
    }
}

/// Which offsets to ask: up to the announced count, the first short page, or the limit,
/// whichever comes first.
struct Pager {
    page_size: usize,
    next: usize,
    end: usize,
    answered: usize,
}

impl Pager {
    fn new(request: &ListRequest, page_size: usize) -> Self {
        Self {
            page_size,
            next: 0,
            end: request.limit.unwrap_or(usize::MAX),
            answered: 0,
        }
    }

    fn next_offset(&mut self) -> Option<usize> {
        (self.next < self.end).then(|| {
            let offset = self.next;
            self.next += self.page_size;
            offset
        })
    }

    fn answered(&mut self, offset: usize, items: usize, count: Option<u64>) {
        self.answered += 1;
        if let Some(count) = count {
            self.end = self.end.min(usize::try_from(count).unwrap_or(usize::MAX));
        }
        if items < self.page_size {
            self.end = self.end.min(offset + items);
        }
    }
}

/// The checks every page must pass for the listing to be believed.
struct Checks {
    min: f64,
    max: f64,
    /// The owner the caller knows, or the first one seen.
    known_user: Option<String>,
    given_user: bool,
}

impl Checks {
    fn new(min: i64, max: i64, scope: &ListScope) -> Self {
        Self {
            min: min as f64,
            max: max as f64,
            known_user: scope.user_id.clone(),
            given_user: scope.user_id.is_some(),
        }
    }

    fn page(
        &mut self,
        offset: usize,
        page: &crate::api::Page,
        seen: &HashMap<String, TaskRecord>,
    ) -> Result<(), PageProblem> {
        let items = &page.items;
        for item in items {
            if let Some(created) = item.record.created_at
                && !(self.min - RANGE_SLACK_SECONDS..=self.max + RANGE_SLACK_SECONDS)
                    .contains(&created)
            {
                return Err(PageProblem::OutOfRange {
                    id: item.record.id.clone(),
                    at: crate::api::format_rfc3339(created).unwrap_or_else(|| created.to_string()),
                    from: crate::api::format_rfc3339(self.min).unwrap_or_default(),
                    to: crate::api::format_rfc3339(self.max).unwrap_or_default(),
                });
            }
            self.owner(&item.record.id, item.user_id.as_ref())?;
        }
        // A record that could not be read is shown by its id: it must be the same user's.
        for bad in &page.unreadable {
            self.owner(&bad.id, bad.user_id.as_ref())?;
        }
        let repeats = !items.is_empty() && items.iter().all(|i| seen.contains_key(&i.record.id));
        if offset > 0 && repeats {
            return Err(PageProblem::IgnoresOffset(offset));
        }
        Ok(())
    }

    fn owner(&mut self, id: &str, user: Option<&String>) -> Result<(), PageProblem> {
        let Some(user) = user else {
            return Ok(());
        };
        match &self.known_user {
            Some(known) if known != user => Err(if self.given_user {
                PageProblem::OtherUser(id.to_owned())
            } else {
                PageProblem::MixedUsers(id.to_owned())
            }),
            Some(_) => Ok(()),
            None => {
                self.known_user = Some(user.clone());
                Ok(())
            }
        }
    }
}

/// How a page shows that the listing does not do what was asked (the reason of
/// [`ListError::Unsupported`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum PageProblem {
    #[error("it ignores the creation range: task {id} was created at {at}, outside {from} to {to}")]
    OutOfRange {
        id: String,
        at: String,
        from: String,
        to: String,
    },
    #[error("it answered with another user's task ({0})")]
    OtherUser(String),
    #[error("it mixes several users' tasks ({0})")]
    MixedUsers(String),
    #[error("it ignores the offset: the page at offset {0} repeats tasks already listed")]
    IgnoresOffset(usize),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_problems_read_as_before() {
        let range = PageProblem::OutOfRange {
            id: "t".into(),
            at: "2026-01-01T00:00:00Z".into(),
            from: "2026-11-01T00:00:00Z".into(),
            to: "2026-11-30T00:00:00Z".into(),
        };
        assert_eq!(
            range.to_string(),
            "it ignores the creation range: task t was created at 2026-01-01T00:00:00Z, \
             outside 2026-11-01T00:00:00Z to 2026-11-30T00:00:00Z"
        );
        assert_eq!(
            PageProblem::OtherUser("t".into()).to_string(),
            "it answered with another user's task (t)"
        );
        assert_eq!(
            PageProblem::MixedUsers("t".into()).to_string(),
            "it mixes several users' tasks (t)"
        );
        assert_eq!(
            PageProblem::IgnoresOffset(100).to_string(),
            "it ignores the offset: the page at offset 100 repeats tasks already listed"
        );
    }

    #[test]
    fn progress_reads_naturally() {
        let p = ListProgress {
            received: 312,
            total: Some(1204),
        };
        assert_eq!(p.to_string(), "312 of 1 204");
        let p = ListProgress {
            received: 1_000_000,
            total: None,
        };
        assert_eq!(p.to_string(), "1 000 000 so far");
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
    }

    #[test]
    fn pager_stops_at_count_short_page_or_limit() {
        let mut p = Pager::new(&ListRequest::new(0.0), 100);
        assert_eq!(p.next_offset(), Some(0));
        p.answered(0, 100, Some(250));
        assert_eq!(p.next_offset(), Some(100));
        assert_eq!(p.next_offset(), Some(200));
        assert_eq!(p.next_offset(), None);

        let mut p = Pager::new(&ListRequest::new(0.0), 100);
        assert_eq!(p.next_offset(), Some(0));
        p.answered(0, 100, None);
        assert_eq!(p.next_offset(), Some(100));
        p.answered(100, 40, None);
        assert_eq!(p.next_offset(), None);

        let request = ListRequest {
            limit: Some(150),
            ..ListRequest::new(0.0)
        };
        let mut p = Pager::new(&request, 100);
        assert_eq!(p.next_offset(), Some(0));
        assert_eq!(p.next_offset(), Some(100));
        assert_eq!(p.next_offset(), None);
    }

    #[test]
    fn an_unreadable_record_of_another_user_is_another_users_task() {
        let scope = ListScope {
            user_id: Some("u1".into()),
            application_id: None,
        };
        let mut checks = Checks::new(0, 10, &scope);
        let page = crate::api::Page {
            unreadable: vec![crate::api::UnreadableTask {
                id: "t".into(),
                user_id: Some("u2".into()),
                error: ApiError::new(ErrorKind::Decode, "bad"),
            }],
            ..Default::default()
        };
        assert_eq!(
            checks.page(0, &page, &HashMap::new()),
            Err(PageProblem::OtherUser("t".into()))
        );
        let mut same = Checks::new(0, 10, &scope);
        let mut page = page;
        page.unreadable[0].user_id = Some("u1".into());
        assert_eq!(same.page(0, &page, &HashMap::new()), Ok(()));
    }

    #[test]
    fn the_unsupported_message_names_the_check() {
        let e = ListError::unsupported("it mixes several users' tasks (x)");
        assert_eq!(
            e.to_string(),
            "this API does not list tasks for this token — paste ids instead (it mixes several users' tasks (x))"
        );
        let refused = ListError::from_call(ApiError::new(ErrorKind::Request, "bad_request"));
        assert!(matches!(refused, ListError::Unsupported { .. }));
        let auth = ListError::from_call(ApiError::new(ErrorKind::Auth, "invalid_token"));
        assert!(auth.is_token_problem());
    }
}
