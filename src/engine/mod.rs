//! The only place that calls the API: `retrieve`, `retrieve_batch`, the listing's pages,
//! creates and the token check all go through one [`door`](door::Door) per API base and
//! token, with one concurrency limit, one 429 gate and a pace that learns the rate limit.
//! Takes [`Command`]s; queries answer with [`Event`]s, a listing, a create and a token
//! check on a reply channel of their own. Owns the batching, retries with backoff,
//! Retry-After, the stop on an auth or balance error, and the watch schedule. The CLI and
//! the window both drive it, handing it a base URL and a token ([`Backend::http`]).

mod backend;
mod batch;
mod create;
mod door;
mod follow;
mod handle;
mod listing;
mod retry;
mod runner;
mod watch;

/// Defined by the task model, which gives outcomes their meaning; re-exported because the
/// engine's events carry them.
pub use crate::task::Outcome;
pub use backend::Backend;
pub use create::{CreateCall, CreatePolicy, OnRetry};
pub use door::PROBE_AFTER;
pub use follow::{
    FOLLOW_INTERVAL, FOLLOW_OVERLAP, Followed, Follower, MIN_FOLLOW_INTERVAL, TEST_FLOOR_ENV,
    follow_interval, min_follow_interval,
};
pub use handle::test_token;
pub use listing::{
    LIST_CONCURRENCY, ListCancel, ListError, ListEvent, ListEvents, ListProgress, ListRequest,
    Listing, UNSUPPORTED_MESSAGE, left_out, newest_first,
};
pub use runner::spawn;

use crate::api::ApiError;
use std::sync::Arc;
use std::time::Duration;

/// Re-asking more often than this gains nothing (tasks take minutes) and risks a 429.
pub const MIN_WATCH_INTERVAL: Duration = Duration::from_secs(2);

#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Ids per `retrieve_batch` call. AceDataCloud's own tooling recommends at most 50.
    pub batch_size: usize,
    /// Requests in flight at once, all kinds together (batches, listing pages, creates,
    /// the token check): the door's one limit.
    pub concurrency: usize,
    /// How long a batch keeps retrying 5xx answers, timeouts and dropped connections
    /// (capped exponential backoff with jitter) before its ids end in an error. Time spent
    /// waiting out a 429 does not count: a busy API is not a broken one.
    pub retry_for: Duration,
    /// 429 answers in a row (with nothing else between them) after which a batch gives up:
    /// only a server that never lets a request through ends a batch this way.
    pub max_rate_limit_retries: u32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// How often unfinished tasks are re-asked at first (never below [`MIN_WATCH_INTERVAL`]).
    pub watch_interval: Duration,
    /// The interval grows for tasks that run long, up to this.
    pub watch_interval_max: Duration,
    /// A task watched longer than this is given up on (`Event::WatchExpired`).
    pub watch_timeout: Option<Duration>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            batch_size: 50,
            concurrency: 4,
            retry_for: Duration::from_secs(60),
            max_rate_limit_retries: 20,
            backoff_base: Duration::from_millis(500),
            // Short enough that a batch unlucky in a storm is not idle long after the
            // storm has passed; with `retry_for` of 60 s it still gets about ten tries.
            backoff_max: Duration::from_secs(10),
            watch_interval: Duration::from_secs(5),
            watch_interval_max: Duration::from_secs(60),
            watch_timeout: None,
        }
    }
}

impl EngineConfig {
    fn sanitized(mut self) -> Self {
        self.batch_size = self.batch_size.max(1);
        self.concurrency = self.concurrency.max(1);
        self.watch_interval = self.watch_interval.max(MIN_WATCH_INTERVAL);
        self.watch_interval_max = self.watch_interval_max.max(self.watch_interval);
        self
    }
}

#[derive(Debug)]
pub enum Command {
    /// Ask about these ids now; with `watch`, keep re-asking the unfinished ones.
    Query {
        ids: Vec<String>,
        watch: bool,
    },
    /// Stop watching these ids (removed from the grid).
    Forget(Vec<String>),
    /// Pause or resume the watch schedule.
    SetWatching(bool),
    /// A new token or API base: clears a stop caused by an auth error, and gets a door
    /// of its own (the API's limits are per token).
    SetBackend(Backend),
    /// The account's tasks; see [`EngineHandle::list`].
    List(handle::ListJob),
    /// One generation; see [`EngineHandle::create`].
    Create(handle::CreateJob),
    /// Whether a token works; see [`EngineHandle::test_token`].
    TestToken(handle::TokenJob),
    Shutdown,
}

#[derive(Debug, Clone)]
pub enum Event {
    /// Outcomes of one batch, as they arrive.
    Results(Vec<(String, Outcome)>),
    /// A batch will be retried after `wait`.
    Retrying {
        ids: usize,
        attempt: u32,
        wait: Duration,
        error: Arc<ApiError>,
    },
    /// Querying stopped on an auth or balance error. Sent once until a new backend or query.
    Halted(Arc<ApiError>),
    /// These ids were watched for longer than `watch_timeout` without finishing.
    WatchExpired(Vec<String>),
    /// What the engine is doing, for a status line.
    Activity(Activity),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Activity {
    /// Ids in batches that have been started and not yet answered.
    pub in_flight: usize,
    /// Ids waiting to be re-asked by the watch.
    pub watching: usize,
    /// Whether the watch schedule runs (paused by the user or an auth stop).
    pub watch_active: bool,
}

impl Activity {
    pub fn is_idle(&self) -> bool {
        self.in_flight == 0
    }
}

pub use handle::EngineHandle;

/// Called after each event is queued, e.g. `egui::Context::request_repaint`, so that a
/// window wakes up for results without polling.
pub type Notify = Arc<dyn Fn() + Send + Sync>;
