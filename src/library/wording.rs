//! How fetch problems read: short reasons a person can act on, shared by the library,
//! the window's **Download…** and the CLI.

use std::io;

pub fn describe_status(status: reqwest::StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("HTTP {} {reason}", status.as_u16()),
        None => format!("HTTP {}", status.as_u16()),
    }
}

/// A redirect that comes back as the answer was not followed: the client could not even
/// read its target as a link (`file:`, `javascript:`), or there was none.
pub fn describe_unfollowed(response: &reqwest::Response) -> String {
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok());
    let refused = location.and_then(|loc| {
        let target = response
            .url()
            .join(loc)
            .map_or_else(|_| loc.to_owned(), String::from);
        crate::links::fetch_link(&target).err()
    });
    match refused {
        Some(refused) => format!("refused a redirect: {}", refused.reason),
        None => describe_status(response.status()),
    }
}

pub fn describe_request(e: &reqwest::Error) -> String {
    let host = e
        .url()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "the server".into());
    if e.is_timeout() {
        format!("{host} did not answer in time")
    } else if e.is_connect() {
        format!("cannot connect to {host}: {}", root_cause(e))
    } else if e.is_builder() {
        format!("invalid link: {}", root_cause(e))
    } else {
        // A refused redirect says which hop and why; the host alone would blame the first.
        root_cause(e)
    }
}

/// reqwest's own message is generic ("error sending request"); the innermost source says why.
pub fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

pub fn describe_io(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        io::ErrorKind::NotFound => "folder not found".into(),
        io::ErrorKind::StorageFull => "disk full".into(),
        io::ErrorKind::ReadOnlyFilesystem => "read-only file system".into(),
        io::ErrorKind::NotADirectory => "a path component is not a folder".into(),
        _ => e.to_string(),
    }
}

/// Decimal units, as file managers show them.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if n < 1000 {
        return if n == 1 {
            "1 byte".into()
        } else {
            format!("{n} bytes")
        };
    }
    let mut value = n as f64 / 1000.0;
    let mut unit = 0;
    while value >= 999.95 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(human_bytes(0), "0 bytes");
        assert_eq!(human_bytes(1), "1 byte");
        assert_eq!(human_bytes(999), "999 bytes");
        assert_eq!(human_bytes(1_000), "1.0 kB");
        assert_eq!(human_bytes(1_234_567), "1.2 MB");
        assert_eq!(human_bytes(999_999_999), "1.0 GB");
    }

    #[test]
    fn statuses_carry_their_reason() {
        assert_eq!(
            describe_status(reqwest::StatusCode::NOT_FOUND),
            "HTTP 404 Not Found"
        );
        let odd = reqwest::StatusCode::from_u16(599).expect("valid code");
        assert_eq!(describe_status(odd), "HTTP 599");
    }
}
