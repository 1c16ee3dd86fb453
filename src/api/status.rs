use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The status of a task as the app shows it: the record's state, or the outcome of asking
/// about it (`NotFound`, `Error`) when there is no record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Status {
    Pending,
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    Expired,
    NotFound,
    Error,
    /// A status word the contract does not know, as the API sent it: shown as it is,
    /// treated as not finished. Never one of the app's own words ([`Status::is_api_word`]
    /// tells it apart from `Error`, a question that failed).
    Other(String),
}

impl Status {
    /// Maps an upstream `response.data.status` word, accepting every spelling seen in
    /// AceDataCloud's clients (`succeed`, `success`, `completed`, `canceled`, …).
    pub fn from_word(word: &str) -> Self {
        let lower = word.trim().to_ascii_lowercase();
        match lower.as_str() {
            "pending" | "" => Self::Pending,
            "queued" | "queuing" => Self::Queued,
            "running" | "processing" | "in_progress" => Self::Running,
            "succeeded" | "succeed" | "success" | "completed" => Self::Succeeded,
            // Upstream's words for a generation that stopped with an error.
            "failed" | "failure" | "fail" | "error" | "errored" | "timeout" | "timed_out"
            | "timedout" => Self::Failed,
            "cancelled" | "canceled" => Self::Cancelled,
            "expired" => Self::Expired,
            _ => Self::Other(word.trim().to_owned()),
        }
    }

    /// The word used by `--json` and the grid.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Pending => "pending",
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
            Self::NotFound => "not_found",
            Self::Error => "error",
            Self::Other(word) => word,
        }
    }

    /// Whether this is a word only the API uses (`Other`): to be shown apart from the
    /// app's own words, which say what the app knows (`error` is a question that failed).
    pub fn is_api_word(&self) -> bool {
        matches!(self, Self::Other(_))
    }

    /// The word for people: the app's words with spaces (`not found`), the API's own
    /// word exactly as it was sent.
    pub fn label(&self) -> String {
        match self {
            Self::Other(word) => word.clone(),
            known => known.as_str().replace('_', " "),
        }
    }

    /// A hover text for the API's own words, which the app cannot explain.
    pub fn tooltip(&self) -> Option<String> {
        match self {
            Self::Other(word) => Some(format!(
                "\"{word}\" is the API's own status word, not one this app knows; \
                 the task is treated as unfinished"
            )),
            _ => None,
        }
    }

    /// A key that tells every status apart, for filters and counts: `as_str` for the
    /// app's words, `api:` and the word for the API's own, so an API word that happens
    /// to read like one of the app's (`not_found`) gets its own toggle.
    pub fn key(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Self::Other(word) => format!("api:{word}").into(),
            known => known.as_str().into(),
        }
    }

    /// Whether asking again could change the answer on its own (watch mode re-asks these).
    pub fn is_unfinished(&self) -> bool {
        matches!(
            self,
            Self::Pending | Self::Queued | Self::Running | Self::Other(_)
        )
    }

    /// Whether the task ended badly (for exit codes and colours).
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            Self::Failed | Self::Cancelled | Self::Expired | Self::NotFound | Self::Error
        )
    }

    /// Sort rank: the order a person scans a list in, problems first, then work in
    /// progress, then the finished successes.
    pub fn rank(&self) -> u8 {
        match self {
            Self::Error => 0,
            Self::Failed => 1,
            Self::Expired => 2,
            Self::Cancelled => 3,
            Self::NotFound => 4,
            Self::Other(_) => 5,
            Self::Pending => 6,
            Self::Queued => 7,
            Self::Running => 8,
            Self::Succeeded => 9,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Status {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Read back through `from_word`, so every word `as_str` writes maps to the same status
/// (`Other` words are kept as they were; `not_found` and `error` are the grid's own words
/// and belong to the caller: see `store`).
impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let word = String::deserialize(deserializer)?;
        Ok(Self::from_word(&word))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_every_spelling_of_the_contract() {
        for (word, want) in [
            ("queued", Status::Queued),
            ("pending", Status::Pending),
            ("processing", Status::Running),
            ("running", Status::Running),
            ("succeeded", Status::Succeeded),
            ("SUCCEED", Status::Succeeded),
            ("success", Status::Succeeded),
            ("completed", Status::Succeeded),
            ("failed", Status::Failed),
            ("cancelled", Status::Cancelled),
            ("canceled", Status::Cancelled),
            ("expired", Status::Expired),
            ("error", Status::Failed),
            ("timeout", Status::Failed),
            ("timed_out", Status::Failed),
            ("fail", Status::Failed),
            ("failure", Status::Failed),
        ] {
            assert_eq!(Status::from_word(word), want, "{word}");
        }
        let other = Status::from_word("Moderating");
        assert_eq!(other, Status::Other("Moderating".into()));
        assert!(other.is_unfinished());
        assert_eq!(other.as_str(), "Moderating");
    }

    #[test]
    fn the_api_words_stay_apart_from_the_apps() {
        let other = Status::from_word("not_found");
        assert!(other.is_api_word());
        assert!(!Status::NotFound.is_api_word() && !Status::Error.is_api_word());
        assert_ne!(other.key(), Status::NotFound.key());
        assert_eq!(other.label(), "not_found");
        assert_eq!(Status::NotFound.label(), "not found");
        assert!(other.tooltip().is_some_and(|t| t.contains("API's own")));
        assert_eq!(Status::Error.tooltip(), None);
        assert_eq!(Status::Running.key(), "running");
    }
}
