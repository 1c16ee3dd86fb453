use chrono::{DateTime, Local, NaiveDateTime, TimeZone, Utc};
use serde_json::Value;

/// Reads a timestamp the way the API has been seen to send one: Unix seconds as a float
/// or an integer, milliseconds, a numeric string, or an RFC 3339 / `YYYY-MM-DD HH:MM:SS`
/// string (taken as UTC). Returns Unix seconds.
pub fn parse_timestamp(value: &Value) -> Option<f64> {
    let seconds = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => {
            let s = s.trim();
            if let Ok(n) = s.parse::<f64>() {
                n
            } else if let Ok(t) = DateTime::parse_from_rfc3339(s) {
                t.timestamp_millis() as f64 / 1000.0
            } else {
                let t = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
                    .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f"))
                    .ok()?;
                t.and_utc().timestamp_millis() as f64 / 1000.0
            }
        }
        _ => return None,
    };
    if !seconds.is_finite() || seconds <= 0.0 {
        return None;
    }
    // Past 1e12 "seconds" would be the year 33 658: it is milliseconds.
    let seconds = if seconds > 1e12 {
        seconds / 1000.0
    } else {
        seconds
    };
    // A time no calendar date stands for is no time at all: a caller that could not show
    // it must not compute with it either (an elapsed time of 0 s from the year 10^297).
    to_utc(seconds).map(|_| seconds)
}

/// No generation runs for ten years: a longer duration is a broken clock or a hostile
/// record, and reads as unknown.
pub const MAX_PLAUSIBLE_SECONDS: f64 = 10.0 * 365.25 * 86_400.0;

/// Clocks differ by minutes, not days: a time more than this after now reads as unknown.
pub const MAX_AHEAD_SECONDS: f64 = 86_400.0;

/// `seconds` as a duration, or `None` when it is negative, not a number or over
/// [`MAX_PLAUSIBLE_SECONDS`].
pub fn plausible_duration(seconds: f64) -> Option<f64> {
    (seconds.is_finite() && (0.0..=MAX_PLAUSIBLE_SECONDS).contains(&seconds)).then_some(seconds)
}

/// `when` (Unix seconds), or `None` when it is more than [`MAX_AHEAD_SECONDS`] after `now`.
pub fn plausible_time(when: f64, now: f64) -> Option<f64> {
    (when.is_finite() && when <= now + MAX_AHEAD_SECONDS).then_some(when)
}

/// The system clock in Unix seconds (0 for a clock set before 1970).
pub fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn to_utc(seconds: f64) -> Option<DateTime<Utc>> {
    let millis = (seconds * 1000.0).round();
    if !millis.is_finite() || millis.abs() > 8.0e15 {
        return None;
    }
    Utc.timestamp_millis_opt(millis as i64).single()
}

/// RFC 3339 in UTC with milliseconds, for `--json`.
pub fn format_rfc3339(seconds: f64) -> Option<String> {
    to_utc(seconds).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

/// Local time for people: `2025-12-21 23:03:56`.
pub fn format_local(seconds: f64) -> Option<String> {
    to_utc(seconds).map(|t| {
        t.with_timezone(&Local)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_every_seen_shape() {
        assert_eq!(
            parse_timestamp(&json!(1766329436.091)),
            Some(1766329436.091)
        );
        assert_eq!(parse_timestamp(&json!(1743414619)), Some(1743414619.0));
        assert_eq!(parse_timestamp(&json!("1743414619")), Some(1743414619.0));
        assert_eq!(
            parse_timestamp(&json!(1743414619000_i64)),
            Some(1743414619.0)
        );
        assert_eq!(
            parse_timestamp(&json!("2025-03-31T09:50:19Z")),
            Some(1743414619.0)
        );
        assert_eq!(
            parse_timestamp(&json!("2025-03-31 09:50:19")),
            Some(1743414619.0)
        );
        assert_eq!(parse_timestamp(&json!("soon")), None);
        assert_eq!(parse_timestamp(&json!(null)), None);
        assert_eq!(parse_timestamp(&json!(-5)), None);
        assert_eq!(
            parse_timestamp(&json!(1e300)),
            None,
            "no date stands for it"
        );
        assert_eq!(format_rfc3339(1e297), None);
    }

    #[test]
    fn absurd_times_and_durations_are_unknown() {
        let now = 1_766_329_436.0;
        assert_eq!(plausible_time(now + 3600.0, now), Some(now + 3600.0));
        assert_eq!(plausible_time(now + 2.0 * 86_400.0, now), None);
        let year_9999 = parse_timestamp(&json!("9999-01-01T00:00:00Z")).expect("a date");
        assert_eq!(plausible_time(year_9999, now), None);
        assert_eq!(plausible_duration(65.1), Some(65.1));
        assert_eq!(plausible_duration(1e308), None);
        assert_eq!(plausible_duration(11.0 * 365.25 * 86_400.0), None);
        assert_eq!(plausible_duration(-1.0), None);
        assert_eq!(plausible_duration(f64::NAN), None);
    }

    #[test]
    fn formats_rfc3339() {
        assert_eq!(
            format_rfc3339(1766329436.091).as_deref(),
            Some("2025-12-21T15:03:56.091Z")
        );
    }
}
