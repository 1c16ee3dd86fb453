//! Value parsers for the `--interval`, `--timeout` and `--retry-for` seconds that several
//! subcommands share.

/// Why a number of seconds on the command line was refused (clap shows the sentence).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SecondsError {
    #[error("{0:?} is not a number of seconds")]
    NotANumber(String),
    #[error("must be between {min} and {max} seconds")]
    OutOfRange { min: f64, max: f64 },
}

/// A number of seconds in `min..=max`.
pub(super) fn seconds(text: &str, min: f64, max: f64) -> Result<f64, SecondsError> {
    let value = number(text)?;
    if value.is_finite() && (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(SecondsError::OutOfRange { min, max })
    }
}

/// Any number (range checks are the caller's).
pub(super) fn number(text: &str) -> Result<f64, SecondsError> {
    text.trim()
        .parse()
        .map_err(|_| SecondsError::NotANumber(text.to_owned()))
}

pub(super) fn interval_seconds(text: &str) -> Result<f64, SecondsError> {
    seconds(text, 2.0, 86_400.0)
}

pub(super) fn retry_seconds(text: &str) -> Result<f64, SecondsError> {
    seconds(text, 0.0, 3600.0)
}

pub(super) fn timeout_seconds(text: &str) -> Result<f64, SecondsError> {
    seconds(text, 0.0, 30.0 * 86_400.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_read_as_before() {
        assert_eq!(
            interval_seconds("soon").map_err(|e| e.to_string()),
            Err("\"soon\" is not a number of seconds".to_owned())
        );
        assert_eq!(
            interval_seconds("1").map_err(|e| e.to_string()),
            Err("must be between 2 and 86400 seconds".to_owned())
        );
        assert_eq!(retry_seconds(" 0 "), Ok(0.0));
        assert!(timeout_seconds("NaN").is_err());
    }
}
