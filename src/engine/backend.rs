use super::create::CreateCall;
use crate::api::{
    ApiError, BatchAnswer, Client, ClientConfig, CreateFailure, CreateResponse, Page, PageQuery,
    TokenCheck,
};
use crate::demo::Demo;
use crate::secrets::Token;
use std::sync::Arc;

/// What the engine asks: the real API, or the built-in demo that answers the same way
/// without network or token (so the demo exercises the very same engine path).
#[derive(Clone, Debug)]
pub enum Backend {
    Http(Client),
    Demo(Arc<Demo>),
}

impl Backend {
    /// The API at `base_url` with `token`: the window and the CLI hand the engine these
    /// two, and the engine builds the HTTP client. Fails, without a request, on a base
    /// that is not a URL, plain http off loopback, or a token that cannot be a header.
    pub fn http(base_url: &str, token: &Token) -> Result<Self, ApiError> {
        let config = ClientConfig {
            base_url: base_url.to_owned(),
            ..ClientConfig::default()
        };
        Self::with_config(&config, token)
    }

    /// As [`Self::http`], with timeouts of the caller's (tests of slow servers).
    pub fn with_config(config: &ClientConfig, token: &Token) -> Result<Self, ApiError> {
        Client::new(config, token).map(Self::Http)
    }

    /// One call for a chunk of ids: `retrieve` for a single id (its `{}` answer means
    /// unknown), `retrieve_batch` otherwise.
    pub async fn ask(&self, ids: &[String]) -> Result<BatchAnswer, ApiError> {
        match self {
            Self::Http(client) => match ids {
                [one] => Ok(BatchAnswer {
                    records: client.retrieve(one).await?.into_iter().collect(),
                    unreadable: Vec::new(),
                }),
                _ => client.retrieve_batch(ids).await,
            },
            Self::Demo(demo) => demo.ask(ids).await,
        }
    }

    /// One page of the account's task listing (see `engine::listing`).
    pub async fn list_page(&self, query: &PageQuery) -> Result<Page, ApiError> {
        match self {
            Self::Http(client) => client.list_page(query).await,
            Self::Demo(demo) => Ok(demo.list_page(query).await),
        }
    }

    /// One generation, sent once (see `engine::create` for when it is sent again).
    pub async fn create(&self, call: &CreateCall) -> Result<CreateResponse, CreateFailure> {
        match self {
            Self::Http(client) => client.create_video(&call.body).await,
            Self::Demo(demo) => Ok(CreateResponse {
                task_id: demo.create(&call.model, &call.prompt).await,
                trace_id: None,
                raw: serde_json::json!({}),
            }),
        }
    }

    /// The token check (see `api::TokenCheck`); the demo takes any token.
    pub async fn check_token(&self) -> Result<TokenCheck, ApiError> {
        match self {
            Self::Http(client) => client.check_token().await,
            Self::Demo(_) => Ok(TokenCheck::Valid),
        }
    }

    /// Whether both ask the same API with the same token (and so share its limits).
    pub fn same_account(&self, other: &Backend) -> bool {
        match (self, other) {
            (Self::Http(a), Self::Http(b)) => a.same_account(b),
            (Self::Demo(a), Self::Demo(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    pub fn is_demo(&self) -> bool {
        matches!(self, Self::Demo(_))
    }
}
