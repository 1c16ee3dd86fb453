use crate::api::{ApiError, BatchAnswer, Client, Page, PageQuery};
use crate::demo::Demo;
use std::sync::Arc;

/// What the engine asks: the real API, or the built-in demo that answers the same way
/// without network or token (so the demo exercises the very same engine path).
#[derive(Clone, Debug)]
pub enum Backend {
    Http(Client),
    Demo(Arc<Demo>),
}

impl Backend {
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

    pub fn is_demo(&self) -> bool {
        matches!(self, Self::Demo(_))
    }
}
