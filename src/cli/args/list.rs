//! The arguments of `list`: a creation range given as a look-back (`--since 7d`) or as two
//! RFC 3339 times, a limit, and the follow mode.

use super::seconds::{SecondsError, number};
use clap::Args;

/// The longest look-back `--since` accepts.
pub const MAX_SINCE_SECONDS: f64 = 90.0 * 86_400.0;
pub const DEFAULT_SINCE_SECONDS: f64 = 7.0 * 86_400.0;

#[derive(Debug, Args)]
pub struct ListArgs {
    /// How far back to list: a number and a unit m, h, d or w (90m, 24h, 7d, 2w; up to
    /// 90 days). The default is 7d.
    #[arg(long, value_name = "DURATION", conflicts_with_all = ["from", "to"], value_parser = since_seconds)]
    pub since: Option<f64>,

    /// List tasks created from this time on (RFC 3339, e.g. 2026-01-31T08:00:00Z).
    #[arg(long, value_name = "RFC3339", value_parser = rfc3339_seconds)]
    pub from: Option<f64>,

    /// ... up to this time (RFC 3339; default now).
    #[arg(long, value_name = "RFC3339", requires = "from", value_parser = rfc3339_seconds)]
    pub to: Option<f64>,

    /// Only the N newest tasks (paging stops once they are in).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub limit: Option<u32>,

    /// Print JSON Lines (the same fields as `get --json`) instead of a table.
    #[arg(long)]
    pub json: bool,

    /// Then keep printing each task created after the start, once, as it appears, until
    /// Ctrl+C (which exits 0).
    #[arg(long)]
    pub follow: bool,

    /// Seconds between questions while following (at least 10).
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0, requires = "follow", value_parser = interval_seconds)]
    pub interval: f64,

    #[command(flatten)]
    pub save: crate::cli::save_args::SaveArgs,
}

/// Why a `--since` duration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SinceError {
    #[error("{0:?} needs a unit: m, h, d or w (e.g. 7d)")]
    NoUnit(String),
    #[error("{0:?} does not start with a number (e.g. 24h)")]
    NoNumber(String),
    #[error("unknown unit {0:?}: use m, h, d or w")]
    UnknownUnit(String),
    #[error("the duration must be more than zero")]
    NotPositive,
    #[error("at most 90 days (90d)")]
    TooLong,
}

/// A `--from` / `--to` that is not an RFC 3339 time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not an RFC 3339 time such as 2026-01-31T08:00:00Z ({reason})")]
pub struct TimeError {
    text: String,
    reason: chrono::ParseError,
}

/// `90m`, `24h`, `7d`, `2w` → seconds.
pub fn since_seconds(text: &str) -> Result<f64, SinceError> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .ok_or_else(|| SinceError::NoUnit(text.to_owned()))?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| SinceError::NoNumber(text.to_owned()))?;
    let unit_seconds = match unit.trim() {
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        "w" => 7.0 * 86_400.0,
        other => return Err(SinceError::UnknownUnit(other.to_owned())),
    };
    let seconds = number * unit_seconds;
    if !seconds.is_finite() || seconds <= 0.0 {
        return Err(SinceError::NotPositive);
    }
    if seconds > MAX_SINCE_SECONDS {
        return Err(SinceError::TooLong);
    }
    Ok(seconds)
}

fn rfc3339_seconds(text: &str) -> Result<f64, TimeError> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.timestamp_millis() as f64 / 1000.0)
        .map_err(|reason| TimeError {
            text: text.to_owned(),
            reason,
        })
}

/// The floor (10 s, lowered only by the test hook) is checked when the command runs.
fn interval_seconds(text: &str) -> Result<f64, SecondsError> {
    let value = number(text)?;
    if value.is_finite() && value > 0.0 && value <= 86_400.0 {
        Ok(value)
    } else {
        Err(SecondsError::OutOfRange {
            min: 10.0,
            max: 86_400.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_four_units() {
        assert_eq!(since_seconds("90m"), Ok(5400.0));
        assert_eq!(since_seconds("24h"), Ok(86_400.0));
        assert_eq!(since_seconds("7d"), Ok(604_800.0));
        assert_eq!(since_seconds("2w"), Ok(1_209_600.0));
        assert_eq!(since_seconds("90d"), Ok(MAX_SINCE_SECONDS));
        for bad in ["", "7", "d", "91d", "13w", "0h", "5y", "-1d", "1.5.2h"] {
            assert!(since_seconds(bad).is_err(), "{bad}");
        }
        assert_eq!(
            since_seconds("5y").map_err(|e| e.to_string()),
            Err("unknown unit \"y\": use m, h, d or w".to_owned())
        );
    }

    #[test]
    fn times_are_rfc3339() {
        assert_eq!(rfc3339_seconds("1970-01-01T00:01:00Z"), Ok(60.0));
        assert_eq!(rfc3339_seconds("1970-01-01T01:00:00+01:00"), Ok(0.0));
        assert!(rfc3339_seconds("yesterday").is_err());
        let e = rfc3339_seconds("yesterday").map_err(|e| e.to_string());
        assert!(
            e.as_ref()
                .is_err_and(|e| e.starts_with("\"yesterday\" is not an RFC 3339 time such as")),
            "{e:?}"
        );
    }
}
