//! The sending side of the engine, and the requests that answer on a reply channel of
//! their own: a listing, a create, a token check. A reply channel rather than an
//! [`Event`](super::Event): each of these has one asker waiting for one answer (the CLI's
//! `list`, a window job awaiting its `Done`), while the event stream is shared by every
//! query and the watch. Progress and retries still come as they happen, through the
//! callbacks the request carries.

use super::create::{self, CreateCall, CreatePolicy, OnRetry};
use super::door::{Answer, Door};
use super::follow::{Followed, Follower};
use super::listing::{ListCancel, ListError, ListEvents, ListRequest, Listing};
use super::{Backend, Command};
use crate::api::{ApiError, CreateFailure, CreateResponse, ErrorKind, TokenCheck};
use crate::secrets::Token;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// The sending side of the engine; dropping it (or `Shutdown`) ends the engine task.
#[derive(Debug, Clone)]
pub struct EngineHandle {
    pub(super) commands: mpsc::UnboundedSender<Command>,
}

fn stopped() -> ApiError {
    ApiError::new(ErrorKind::Network, "the engine has stopped")
}

impl EngineHandle {
    /// Returns false when the engine has stopped.
    pub fn send(&self, command: Command) -> bool {
        self.commands.send(command).is_ok()
    }

    pub fn query(&self, ids: Vec<String>, watch: bool) -> bool {
        self.send(Command::Query { ids, watch })
    }

    /// Lists the account's tasks in `request`'s range, through the engine's door.
    /// `on_event` hears progress after each page and every retry.
    pub async fn list(
        &self,
        request: ListRequest,
        on_event: ListEvents,
        cancel: ListCancel,
    ) -> Result<Listing, ListError> {
        let (reply, answer) = oneshot::channel();
        let job = ListJob {
            request,
            on_event,
            cancel,
            reply,
        };
        if !self.send(Command::List(job)) {
            return Err(ListError::Api(Arc::new(stopped())));
        }
        answer
            .await
            .unwrap_or_else(|_| Err(ListError::Api(Arc::new(stopped()))))
    }

    /// Follow's question: the listing `follower` asks for next, and of its answer the
    /// tasks not handed out before, oldest first, and the unreadable records not handed out
    /// before.
    pub async fn follow(
        &self,
        follower: &mut Follower,
        on_event: ListEvents,
        cancel: ListCancel,
    ) -> Result<Followed, ListError> {
        let listing = self.list(follower.request(), on_event, cancel).await?;
        Ok(Followed {
            tasks: follower.take_new(listing.tasks),
            unreadable: follower.take_new_unreadable(listing.unreadable),
            nameless: listing.nameless,
            beyond_limit: listing.beyond_limit,
        })
    }

    /// Sends one generation through the engine's door (see `engine::create`).
    pub async fn create(
        &self,
        call: CreateCall,
        policy: CreatePolicy,
        on_retry: OnRetry,
    ) -> Result<CreateResponse, CreateFailure> {
        let (reply, answer) = oneshot::channel();
        let job = CreateJob {
            call,
            policy,
            on_retry,
            reply,
        };
        if !self.send(Command::Create(job)) {
            return Err(CreateFailure::NotSent(stopped()));
        }
        // The engine runs a create to its end even when it stops: a lost reply means
        // the create's fate is unknown.
        answer.await.unwrap_or_else(|_| {
            Err(CreateFailure::Uncertain(ApiError::new(
                ErrorKind::Network,
                "the engine stopped while the create was under way",
            )))
        })
    }

    /// Whether `token` works at `base_url`: through the engine's door when that is the
    /// backend it uses, else through a door of its own (another token has limits of its own).
    pub async fn test_token(&self, base_url: &str, token: &Token) -> Result<TokenCheck, ApiError> {
        let backend = Backend::http(base_url, token)?;
        let (reply, answer) = oneshot::channel();
        if !self.send(Command::TestToken(TokenJob { backend, reply })) {
            return Err(stopped());
        }
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }
}

/// Whether `token` works at `base_url`, when no engine runs (no token in use yet): one
/// question through a door of its own.
pub async fn test_token(base_url: &str, token: &Token) -> Result<TokenCheck, ApiError> {
    let door = Door::new(Backend::http(base_url, token)?, 1);
    check(&door).await
}

pub(super) async fn check(door: &Door) -> Result<TokenCheck, ApiError> {
    let (result, _) = door
        .send(
            || door.backend().check_token(),
            |r: &Result<TokenCheck, ApiError>| match r {
                Ok(_) => Answer::Accepted,
                Err(e) => Answer::of_error(e),
            },
        )
        .await;
    result
}

pub struct ListJob {
    pub(super) request: ListRequest,
    pub(super) on_event: ListEvents,
    pub(super) cancel: ListCancel,
    pub(super) reply: oneshot::Sender<Result<Listing, ListError>>,
}

pub struct CreateJob {
    pub(super) call: CreateCall,
    pub(super) policy: CreatePolicy,
    pub(super) on_retry: OnRetry,
    pub(super) reply: oneshot::Sender<Result<CreateResponse, CreateFailure>>,
}

impl CreateJob {
    pub(super) async fn run(mut self, door: Arc<Door>) {
        let result = create::run(&door, &self.call, &self.policy, &mut self.on_retry).await;
        // The asker may have gone (the window closed): the create is done all the same.
        let _ = self.reply.send(result);
    }
}

pub struct TokenJob {
    pub(super) backend: Backend,
    pub(super) reply: oneshot::Sender<Result<TokenCheck, ApiError>>,
}

macro_rules! opaque_debug {
    ($($t:ty),*) => {$(
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($t)).finish_non_exhaustive()
            }
        }
    )*};
}
opaque_debug!(ListJob, CreateJob, TokenJob);
