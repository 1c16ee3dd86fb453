use std::fmt;
use std::time::Duration;

/// What kind of trouble a call ran into; decides what the engine and the UI do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 401 (`invalid_token`, `token_expired`) or a token code on 400: ask for a new token.
    Auth,
    /// 403 `used_up`: the balance is spent.
    Balance,
    /// 429: back off and try again.
    RateLimited,
    /// 413: split the batch.
    TooLarge,
    /// The `not_found` code: the API does not know the task asked about. A 404 without
    /// that code (`no_api`, a proxy's page, an empty body) is `Request`: the call went to
    /// the wrong place, which says nothing about the task.
    NotFound,
    /// 5xx: retry with backoff.
    Server,
    /// Other 4xx (a 404 without the `not_found` code included), or a redirect: the request
    /// itself is wrong; retrying at once will not help.
    Request,
    /// Connect failure, timeout, dropped connection.
    Network,
    /// A 2xx answer that is not the JSON we expect.
    Decode,
    /// Refused before sending: the token would have crossed the network in clear text.
    InsecureTransport,
}

impl ErrorKind {
    /// The word shown (and exported) as the code of an error the API gave no code for.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auth => "auth",
            Self::Balance => "balance",
            Self::RateLimited => "ratelimited",
            Self::TooLarge => "toolarge",
            Self::NotFound => "notfound",
            Self::Server => "server",
            Self::Request => "request",
            Self::Network => "network",
            Self::Decode => "decode",
            Self::InsecureTransport => "insecuretransport",
        }
    }
}

/// An error of the call itself (not of a task): HTTP status, the API's code and message,
/// the trace id for support, and how long the server asked us to wait.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub kind: ErrorKind,
    pub http_status: Option<u16>,
    pub code: Option<String>,
    pub message: String,
    pub trace_id: Option<String>,
    pub retry_after: Option<Duration>,
}

/// How much of a non-JSON body to quote: enough to recognise a proxy page, short enough
/// for one line of a status bar.
const BODY_EXCERPT_CHARS: usize = 300;

const AUTH_CODES: [&str; 5] = [
    "invalid_token",
    "token_expired",
    "token_mismatched",
    "no_token",
    "disabled",
];

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            http_status: None,
            code: None,
            message: message.into(),
            trace_id: None,
            retry_after: None,
        }
    }

    /// Builds the error of a non-2xx answer from its status, body and headers.
    pub fn from_response(
        status: u16,
        body: &str,
        header_trace_id: Option<String>,
        retry_after: Option<Duration>,
    ) -> Self {
        // Only the fields used are read: a `Value` of the whole body would cost many
        // times its size (see `error_body`).
        let read = super::error_body::ErrorBody::read(body);
        let is_json = read.is_some();
        let fields = read.unwrap_or_default();
        let code = fields.error_code.or(fields.code);
        let message = fields
            .error_message
            .or(fields.message)
            .or(fields.detail)
            .unwrap_or_else(|| {
                if is_json {
                    format!("HTTP {status}")
                } else {
                    format!("HTTP {status}: {}", excerpt(body))
                }
            });
        let trace_id = fields.trace_id.or(header_trace_id);
        // The code decides where there is one (the API also sends errors with HTTP 200
        // or a generic status); the HTTP status otherwise.
        let kind = match (status, code.as_deref()) {
            (_, Some("used_up")) => ErrorKind::Balance,
            (_, Some(c)) if AUTH_CODES.contains(&c) => ErrorKind::Auth,
            (401 | 403, _) => ErrorKind::Auth,
            (_, Some("too_many_requests")) | (429, _) => ErrorKind::RateLimited,
            (_, Some("request_too_large")) | (413, _) => ErrorKind::TooLarge,
            (_, Some("not_found")) => ErrorKind::NotFound,
            (408, _) => ErrorKind::Network,
            (_, Some("api_error")) | (500..=599, _) => ErrorKind::Server,
            _ => ErrorKind::Request,
        };
        Self {
            kind,
            http_status: Some(status),
            code,
            message,
            trace_id,
            retry_after,
        }
    }

    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::RateLimited | ErrorKind::Server | ErrorKind::Network
        )
    }

    pub fn is_auth(&self) -> bool {
        self.kind == ErrorKind::Auth
    }

    pub fn is_balance(&self) -> bool {
        self.kind == ErrorKind::Balance
    }

    /// Auth and balance problems stop all querying: every further call would fail the same way.
    pub fn stops_everything(&self) -> bool {
        self.is_auth() || self.is_balance()
    }

    /// What a person should do about it.
    pub fn hint(&self) -> &'static str {
        match self.kind {
            ErrorKind::Auth => "check the API token (Token panel, or `seedance-tasks token set`)",
            ErrorKind::Balance => "top up the balance on AceDataCloud, then retry",
            ErrorKind::RateLimited => "the API is rate limiting; retry in a moment",
            ErrorKind::Server | ErrorKind::Network => {
                "retry later; if it persists, quote the trace id to support"
            }
            ErrorKind::InsecureTransport => {
                "use an https:// API base (plain http is allowed for loopback only)"
            }
            ErrorKind::Decode => {
                "the answer was not what the API sends; check --api-base or a proxy in between"
            }
            ErrorKind::Request if matches!(self.http_status, Some(300..=399 | 404)) => {
                "nothing answers as the API there; check --api-base (or the API base in the \
                 Token panel) and any proxy in between"
            }
            _ => "",
        }
    }
}

pub(crate) fn excerpt(body: &str) -> String {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return "(empty body)".to_owned();
    }
    let mut out: String = trimmed
        .chars()
        .take(BODY_EXCERPT_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if trimmed.chars().nth(BODY_EXCERPT_CHARS).is_some() {
        out.push('…');
    }
    out
}

impl ApiError {
    /// Why a request waits before its next try, in two words: "rate limited" for a 429,
    /// "request failed" otherwise (the status line and the CLI's stderr say it alike).
    pub fn waiting_reason(&self) -> &'static str {
        if self.kind == ErrorKind::RateLimited {
            "rate limited"
        } else {
            "request failed"
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(code) = &self.code {
            write!(f, "{code}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(status) = self.http_status
            && !self.message.starts_with("HTTP ")
        {
            write!(f, " (HTTP {status})")?;
        }
        if let Some(trace) = &self.trace_id {
            write!(f, " [trace {trace}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(path).expect("fixture")
    }

    #[test]
    fn documented_error_bodies() {
        let cases = [
            (
                "doc-error-api_error.json",
                500,
                ErrorKind::Server,
                "api_error",
            ),
            (
                "doc-error-invalid_token.json",
                401,
                ErrorKind::Auth,
                "invalid_token",
            ),
            (
                "doc-error-token_expired.json",
                401,
                ErrorKind::Auth,
                "token_expired",
            ),
            ("doc-error-no_token.json", 400, ErrorKind::Auth, "no_token"),
            (
                "doc-error-token_mismatched.json",
                400,
                ErrorKind::Auth,
                "token_mismatched",
            ),
            ("var-error-used_up.json", 403, ErrorKind::Balance, "used_up"),
            (
                "var-error-too_many_requests.json",
                429,
                ErrorKind::RateLimited,
                "too_many_requests",
            ),
        ];
        for (name, status, kind, code) in cases {
            let e = ApiError::from_response(status, &fixture(name), None, None);
            assert_eq!(e.kind, kind, "{name}");
            assert_eq!(e.code.as_deref(), Some(code), "{name}");
            assert!(e.trace_id.is_some(), "{name}");
            assert!(!e.message.is_empty());
        }
        let used_up = ApiError::from_response(403, &fixture("var-error-used_up.json"), None, None);
        assert!(used_up.is_balance() && used_up.stops_everything() && !used_up.is_retryable());
    }

    #[test]
    fn kind_words_are_the_ones_exports_always_had() {
        use ErrorKind::*;
        for kind in [
            Auth,
            Balance,
            RateLimited,
            TooLarge,
            NotFound,
            Server,
            Request,
            Network,
            Decode,
            InsecureTransport,
        ] {
            assert_eq!(kind.as_str(), format!("{kind:?}").to_lowercase());
        }
    }

    #[test]
    fn codes_win_over_a_generic_status() {
        let body = r#"{"success": false, "error": {"code": "invalid_token", "message": "bad"}}"#;
        assert_eq!(
            ApiError::from_response(200, body, None, None).kind,
            ErrorKind::Auth
        );
        let body = r#"{"error": {"code": "no_api", "message": "no such api"}}"#;
        assert_eq!(
            ApiError::from_response(404, body, None, None).kind,
            ErrorKind::Request,
            "no_api: the path is wrong, not the task"
        );
        let body = r#"{"error": {"code": "not_found", "message": "no such task"}}"#;
        assert_eq!(
            ApiError::from_response(404, body, None, None).kind,
            ErrorKind::NotFound
        );
        for body in ["", "<html>404</html>", r#"{"detail": "Not Found"}"#] {
            assert_eq!(
                ApiError::from_response(404, body, None, None).kind,
                ErrorKind::Request,
                "{body:?}"
            );
        }
        let body = r#"{"error": {"code": "api_error", "message": "boom"}}"#;
        assert!(ApiError::from_response(200, body, None, None).is_retryable());
    }

    #[test]
    fn html_body_is_quoted_not_parsed() {
        let html = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
        let e = ApiError::from_response(502, html, Some("hdr-trace".into()), None);
        assert_eq!(e.kind, ErrorKind::Server);
        assert!(e.message.contains("502 Bad Gateway"), "{}", e.message);
        assert_eq!(e.trace_id.as_deref(), Some("hdr-trace"));
        assert!(e.is_retryable());
        let long = "x".repeat(10_000);
        let e = ApiError::from_response(500, &long, None, None);
        assert!(e.message.chars().count() < 320);
        assert_eq!(
            ApiError::from_response(502, "", None, None).message,
            "HTTP 502: (empty body)"
        );
    }

    #[test]
    fn display_has_code_status_and_trace() {
        let e = ApiError::from_response(401, &fixture("doc-error-invalid_token.json"), None, None);
        assert_eq!(
            e.to_string(),
            "invalid_token: The specified token is invalid or wrong. (HTTP 401) [trace 2efa9340-b21b-4e26-9e14-4aac95f343ab]"
        );
    }
}
