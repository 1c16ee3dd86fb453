//! The token panel's "Test": one harmless question that tells a good token from a bad one
//! without touching any real task.

use super::{ApiError, Client, ErrorKind};

/// A well-formed id no task has: the API answers it "not found" when the token is good.
pub const TOKEN_PROBE_ID: &str = "00000000-0000-4000-8000-000000000000";

/// What the API said about the token. Anything that is not an answer about the token
/// (a wrong API base, a proxy's page, an outage) is the `Err` of [`Client::check_token`].
#[derive(Debug, Clone, PartialEq)]
pub enum TokenCheck {
    /// The API accepted the token and answered about the probe task.
    Valid,
    /// 401, or a token error code: the token is wrong, expired or disabled.
    Rejected(ApiError),
    /// The token is good but its balance is spent (`used_up`).
    UsedUp(ApiError),
}

impl TokenCheck {
    /// One line for the token panel.
    pub fn describe(&self) -> String {
        match self {
            Self::Valid => "the token works".to_owned(),
            Self::Rejected(e) => format!("the token was rejected: {e}"),
            Self::UsedUp(e) => format!("the token works but its balance is used up: {e}"),
        }
    }
}

impl Client {
    /// Asks about [`TOKEN_PROBE_ID`]. Only an answer of the API itself counts as valid: a
    /// record, `{}` or a JSON `not_found`. A 404 `no_api`, an HTML page or an empty 404
    /// mean the call never reached the tasks API and are returned as errors.
    pub async fn check_token(&self) -> Result<TokenCheck, ApiError> {
        match self.retrieve(TOKEN_PROBE_ID).await {
            Ok(_) => Ok(TokenCheck::Valid),
            Err(e) if e.kind == ErrorKind::Auth => Ok(TokenCheck::Rejected(e)),
            Err(e) if e.kind == ErrorKind::Balance => Ok(TokenCheck::UsedUp(e)),
            Err(e) => Err(e),
        }
    }
}
