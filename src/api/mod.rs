//! The SeeDance Tasks API and nothing else: the HTTP client, the tolerant record model and
//! the errors of the call. Each call sends one request and returns what came back.
//! Knows no UI and no scheduling policy: retries, waits for a 429 and the limit on
//! requests in flight are `engine`'s, the only caller of these calls.

mod answer;
mod client;
mod error;
mod error_body;
mod listing;
mod page_reader;
mod record;
mod sparse;
mod state;
mod status;
mod time;
mod token_check;

pub use answer::BatchAnswer;
pub use client::{Client, ClientConfig, CreateFailure, CreateResponse, DEFAULT_API_BASE};
pub use error::{ApiError, ErrorKind};
pub use listing::{ListScope, ListedTask, MAX_PAGE_SIZE, Page, PageQuery, UnreadableTask};
pub use record::TaskRecord;
pub use state::Failure;
pub use status::Status;
pub use time::{
    MAX_AHEAD_SECONDS, MAX_PLAUSIBLE_SECONDS, format_local, format_rfc3339, parse_timestamp,
    plausible_duration,
};
pub use token_check::{TOKEN_PROBE_ID, TokenCheck};
