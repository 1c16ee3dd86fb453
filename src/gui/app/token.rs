//! The token's lifecycle: read from the keyring at start (in the background, so a keyring
//! waiting for its unlock prompt never blocks the window), saved, forgotten, tested, or
//! used for this session only. A token in use is handed to the engine with the API base;
//! the engine builds the HTTP client, and the token test asks through the engine too.

use super::SeedanceApp;
use super::background::{Done, Job};
use crate::api::{ApiError, TokenCheck};
use crate::engine::{self, Backend};
use crate::gui::token::{TokenIntent, TokenMessage};
use crate::secrets::{Keyring, SecretError, Token, TokenSource};

/// Where the window finds the keyring.
pub enum KeyringProvider {
    /// The OS keyring (Secret Service, Keychain, Credential Manager).
    Platform,
    /// A given store or failure, for tests (`Keyring::mock()`) and machines without one.
    Given(Result<Keyring, SecretError>),
}

impl KeyringProvider {
    fn open(self) -> Result<Keyring, SecretError> {
        match self {
            Self::Platform => Keyring::platform(),
            Self::Given(k) => k,
        }
    }
}

impl SeedanceApp {
    /// The keyring is read in the background even with a token from the environment, so
    /// Save and Forget know whether they can work.
    pub(super) fn open_keyring(&mut self, provider: KeyringProvider) {
        self.services
            .background
            .blocking(&self.ctx, Job::Keyring, move || {
                let keyring = provider.open();
                let token = match &keyring {
                    Ok(k) => k.get(),
                    Err(e) => Err(e.clone()),
                };
                Done::KeyringOpened { keyring, token }
            });
    }

    pub(super) fn use_token(&mut self, token: Token, source: TokenSource) {
        match Backend::http(&self.session.api_base, &token) {
            Ok(backend) => {
                if self.session.is_demo() {
                    self.leave_demo();
                }
                self.session.token = Some((token, source));
                self.set_backend(backend);
            }
            Err(e) => {
                self.panels.token.message = Some(TokenMessage::Bad(format!("{e}. {}", e.hint())))
            }
        }
    }

    pub(super) fn on_keyring_opened(
        &mut self,
        keyring: Result<Keyring, SecretError>,
        token: Result<Option<Token>, SecretError>,
    ) {
        self.services.keyring = Some(keyring);
        match token {
            Ok(Some(t)) if self.session.token.is_none() && !self.session.is_demo() => {
                self.use_token(t, TokenSource::Keyring);
            }
            Ok(_) | Err(SecretError::Unavailable(_)) => {}
            Err(e) => self.panels.token.message = Some(TokenMessage::Bad(e.to_string())),
        }
        if self.session.token.is_none() && !self.session.is_demo() {
            self.panels.token.expanded = true;
        }
    }

    pub(super) fn on_token_saved(&mut self, token: Token, result: Result<(), SecretError>) {
        self.panels.token.busy = None;
        match result {
            Ok(()) => {
                self.panels.token.field.clear();
                self.panels.token.message =
                    Some(TokenMessage::Good("Saved in the system keyring.".into()));
                self.use_token(token, TokenSource::Keyring);
            }
            Err(e) => {
                self.panels.token.message = Some(TokenMessage::Bad(format!("Could not save: {e}")))
            }
        }
    }

    pub(super) fn on_token_forgotten(&mut self, result: Result<(), SecretError>) {
        self.panels.token.busy = None;
        match result {
            Ok(()) => {
                self.panels.token.message = Some(TokenMessage::Info(
                    "Removed from the system keyring.".into(),
                ));
                if matches!(self.session.token, Some((_, TokenSource::Keyring))) {
                    self.session.token = None;
                    self.stop_engine();
                }
            }
            Err(e) => {
                self.panels.token.message =
                    Some(TokenMessage::Bad(format!("Could not remove: {e}")))
            }
        }
    }

    pub(super) fn on_token_tested(&mut self, result: Result<TokenCheck, ApiError>) {
        self.panels.token.busy = None;
        self.panels.token.message = Some(match result {
            Ok(TokenCheck::Valid) => TokenMessage::Good("The token is valid.".into()),
            Ok(TokenCheck::Rejected(e)) => TokenMessage::Bad(format!("Invalid token: {e}")),
            Ok(TokenCheck::UsedUp(e)) => {
                TokenMessage::Bad(format!("The token works but the balance is used up: {e}"))
            }
            // Not an answer about the token (a wrong API base, a proxy's page, an outage).
            Err(e) => TokenMessage::Bad(format!("Could not check: {e}. {}", e.hint())),
        });
    }

    pub(super) fn on_token_intent(&mut self, intent: TokenIntent) {
        match intent {
            TokenIntent::Save(token) => {
                let Some(keyring) = self.services.keyring().cloned() else {
                    return;
                };
                self.panels.token.busy = Some("Saving…");
                self.services
                    .background
                    .blocking(&self.ctx, Job::Token, move || {
                        let result = keyring.set(&token);
                        Done::TokenSaved { token, result }
                    });
            }
            TokenIntent::UseForSession(token) => {
                self.panels.token.field.clear();
                self.panels.token.message = Some(TokenMessage::Info(
                    "Using the token for this session only.".into(),
                ));
                self.use_token(token, TokenSource::Session);
            }
            TokenIntent::Forget => {
                let Some(keyring) = self.services.keyring().cloned() else {
                    return;
                };
                self.panels.token.busy = Some("Removing…");
                self.services
                    .background
                    .blocking(&self.ctx, Job::Token, move || {
                        Done::TokenForgotten(keyring.delete())
                    });
            }
            TokenIntent::Test(token) => {
                let base = self.session.api_base.clone();
                // The engine in use, if any: the test then shares its door (its limits)
                // when it is the same token.
                let running = self.services.engine.as_ref().map(|(e, _)| e.clone());
                self.panels.token.busy = Some("Testing…");
                self.services
                    .background
                    .future(&self.ctx, Job::Token, async move {
                        let result = match running {
                            Some(engine) => engine.test_token(&base, &token).await,
                            None => engine::test_token(&base, &token).await,
                        };
                        Done::TokenTested(result)
                    });
            }
            TokenIntent::StartDemo => self.start_demo(),
        }
    }
}
