//! The API token: from `SEEDANCE_API_TOKEN` (used, never saved) or the OS keyring
//! (service `seedance-tasks`, user `api-token`).
//!
//! Coded against `keyring_core` so that tests can hand in `keyring_core::mock::Store`;
//! the platform store comes from the `keyring` crate (Secret Service over zbus on Linux,
//! Keychain on macOS, Credential Manager on Windows). Keyring calls block (D-Bus round
//! trips, an unlock prompt): callers on a UI thread run them in the background.

use keyring_core::{CredentialStore, Entry};
use std::fmt;
use std::sync::Arc;

pub const SERVICE: &str = "seedance-tasks";
pub const USER: &str = "api-token";
pub const ENV_TOKEN: &str = "SEEDANCE_API_TOKEN";
/// Overrides the keyring user name, to keep several tokens (or to test without touching
/// the real one).
pub const ENV_KEYRING_USER: &str = "SEEDANCE_KEYRING_USER";

/// The token itself. No `Display`, a redacting `Debug`, and `expose` at the one place it
/// goes into a header, so it cannot slip into a log line or a panic message.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into().trim().to_owned())
    }

    /// `None` for an empty or blank token.
    pub fn parse(value: &str) -> Option<Self> {
        let token = Self::new(value);
        (!token.0.is_empty()).then_some(token)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A noun phrase that tells which token is in use without giving it away: "a
    /// 21-character token ending in …3456", or "a 1-character token" when the token is
    /// too short to show any of it. Reads in a sentence: "saved {hint} in the keyring".
    pub fn hint(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        let n = chars.len();
        let article = if starts_with_vowel_sound(n) {
            "an"
        } else {
            "a"
        };
        if n < 12 {
            return format!("{article} {n}-character token");
        }
        let tail: String = chars[n - 4..].iter().collect();
        format!("{article} {n}-character token ending in …{tail}")
    }
}

/// Whether a number read aloud starts with a vowel: "an 8-", "an 11-", "an 18-", "an 80-",
/// "an 800-" but "a 1-", "a 110-".
fn starts_with_vowel_sound(n: usize) -> bool {
    let digits = n.to_string();
    if digits.starts_with('8') {
        return true;
    }
    // 11, 18 and their thousands (11 000, 18 000 …) are said "eleven", "eighteen".
    let group = digits.len() % 3;
    (digits.starts_with("11") || digits.starts_with("18")) && group == 2
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// Where the token in use came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    Environment,
    Keyring,
    /// Typed in the window and kept in memory only (no keyring reachable, or chosen so).
    Session,
}

impl TokenSource {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Environment => "from the SEEDANCE_API_TOKEN environment variable (not saved)",
            Self::Keyring => "from the system keyring",
            Self::Session => "for this session only (not saved)",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error(
        "no system keyring is reachable ({0}); on Linux a Secret Service such as gnome-keyring \
         must be running in a D-Bus session. Use SEEDANCE_API_TOKEN or a token for this session only"
    )]
    Unavailable(String),
    #[error("the keyring refused access ({0}); unlock it and try again")]
    Locked(String),
    #[error("the keyring failed: {0}")]
    Failed(String),
}

fn map_error(e: keyring_core::Error) -> SecretError {
    match e {
        keyring_core::Error::NoStorageAccess(inner) => SecretError::Locked(inner.to_string()),
        keyring_core::Error::NoDefaultStore => {
            SecretError::Unavailable("no credential store".into())
        }
        other => SecretError::Failed(other.to_string()),
    }
}

/// The keyring entry for the token, in a given credential store.
#[derive(Clone)]
pub struct Keyring {
    store: Arc<CredentialStore>,
    user: String,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("store", &self.store.vendor())
            .finish()
    }
}

impl Keyring {
    /// The platform's store. Fails when none is reachable (on Linux: no D-Bus session or
    /// no Secret Service on it), which the app reports and works around.
    ///
    /// `keyring` (feature `v1`) builds the platform store once per process and caches the
    /// result, failure included: a Secret Service started later needs a restart of the app.
    pub fn platform() -> Result<Self, SecretError> {
        keyring::Entry::store_status()
            .as_ref()
            .map_err(|e| SecretError::Unavailable(e.to_string()))?;
        let store = keyring_core::get_default_store()
            .ok_or_else(|| SecretError::Unavailable("no credential store".into()))?;
        Ok(Self::with_store(store))
    }

    /// The user name comes from `SEEDANCE_KEYRING_USER` when set, else `api-token`.
    pub fn with_store(store: Arc<CredentialStore>) -> Self {
        let user = std::env::var(ENV_KEYRING_USER)
            .ok()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| USER.to_owned());
        Self { store, user }
    }

    pub fn with_user(mut self, user: impl Into<String>) -> Self {
        self.user = user.into();
        self
    }

    /// A fresh in-memory store (`keyring_core::mock`), for tests and for machines where
    /// the real one cannot run.
    pub fn mock() -> Result<Self, SecretError> {
        let store: Arc<CredentialStore> = keyring_core::mock::Store::new().map_err(map_error)?;
        Ok(Self::with_store(store))
    }

    pub fn vendor(&self) -> String {
        self.store.vendor()
    }

    fn entry(&self) -> Result<Entry, SecretError> {
        Entry::new_in_store(&self.store, SERVICE, &self.user).map_err(map_error)
    }

    pub fn get(&self) -> Result<Option<Token>, SecretError> {
        match self.entry()?.get_password() {
            Ok(value) => Ok(Token::parse(&value)),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_error(e)),
        }
    }

    pub fn set(&self, token: &Token) -> Result<(), SecretError> {
        self.entry()?
            .set_password(token.expose())
            .map_err(map_error)
    }

    /// Deleting a token that is not there is not an error.
    pub fn delete(&self) -> Result<(), SecretError> {
        match self.entry()?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_error(e)),
        }
    }
}

/// The token to use: the environment first (never saved), then the keyring.
pub fn resolve(
    env_value: Option<&str>,
    keyring: Option<&Keyring>,
) -> Result<Option<(Token, TokenSource)>, SecretError> {
    if let Some(token) = env_value.and_then(Token::parse) {
        return Ok(Some((token, TokenSource::Environment)));
    }
    match keyring {
        Some(k) => Ok(k.get()?.map(|t| (t, TokenSource::Keyring))),
        None => Ok(None),
    }
}

/// `SEEDANCE_API_TOKEN`, when set and not blank.
pub fn env_token() -> Option<String> {
    std::env::var(ENV_TOKEN)
        .ok()
        .filter(|v| !v.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_never_prints() {
        let t = Token::new("  sk-very-secret-123456  ");
        assert_eq!(t.expose(), "sk-very-secret-123456");
        assert_eq!(format!("{t:?}"), "Token(<redacted>)");
        assert_eq!(t.hint(), "a 21-character token ending in …3456");
        assert!(!format!("{:?}", Some((t, TokenSource::Keyring))).contains("secret"));
        assert_eq!(Token::parse("   "), None);
    }

    #[test]
    fn hints_read_naturally_for_every_length() {
        assert_eq!(Token::new("x").hint(), "a 1-character token");
        assert_eq!(Token::new("abcdefgh").hint(), "an 8-character token");
        assert_eq!(Token::new("abcdefghijk").hint(), "an 11-character token");
        let long = Token::new("a".repeat(18) + "wxyz");
        assert_eq!(long.hint(), "a 22-character token ending in …wxyz");
        assert_eq!(
            Token::new("b".repeat(14) + "tail").hint(),
            "an 18-character token ending in …tail"
        );
        assert_eq!(
            Token::new("c".repeat(106) + "tail").hint(),
            "a 110-character token ending in …tail"
        );
        assert_eq!(
            Token::new("d".repeat(76) + "tail").hint(),
            "an 80-character token ending in …tail"
        );
    }

    #[test]
    fn mock_store_round_trip() {
        let k = Keyring::mock().expect("mock");
        assert_eq!(k.get(), Ok(None));
        k.set(&Token::new("abc")).expect("set");
        assert_eq!(k.get(), Ok(Some(Token::new("abc"))));
        k.delete().expect("delete");
        assert_eq!(k.get(), Ok(None));
        k.delete().expect("deleting twice is fine");
    }

    #[test]
    fn environment_wins_over_keyring() {
        let k = Keyring::mock().expect("mock");
        k.set(&Token::new("from-keyring")).expect("set");
        let (t, s) = resolve(Some("from-env"), Some(&k))
            .expect("ok")
            .expect("some");
        assert_eq!((t.expose(), s), ("from-env", TokenSource::Environment));
        let (t, s) = resolve(Some("  "), Some(&k)).expect("ok").expect("some");
        assert_eq!((t.expose(), s), ("from-keyring", TokenSource::Keyring));
        assert_eq!(resolve(None, None), Ok(None));
    }
}
