//! Which links the app follows. Task records come from a server and carry links that the
//! user opens in a browser, that downloads fetch and that previews load: a record is
//! data, so a `file:///…` path, a Windows program path or a `javascript:` link in it must
//! never reach the system opener, and a download must never be sent in clear text to
//! another machine.

use std::fmt;
use std::net::IpAddr;
use url::{Host, Url};

/// The host of the demo's links. `.invalid` is reserved (RFC 2606) and never resolves, so
/// a demo link can reach nothing even if some path forgot to ask [`is_demo`].
pub const DEMO_HOST: &str = "demo.invalid";

/// Links shown in the window are cut to this many characters inside a reason.
const SHOWN_CHARS: usize = 80;

/// Why a link is not followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// Not an `http`/`https` link at all (a file path, `file:`, `javascript:`, garbage).
    NotWeb,
    /// Plain `http` to another machine, where a download could be read or altered on the way.
    Insecure,
    /// A link of the offline demo: there is nothing behind it.
    Demo,
    /// A link-local address (169.254.0.0/16, fe80::/10): cloud machines answer their
    /// metadata, credentials included, there.
    LinkLocal,
    /// A link with a user name or password before its host (`https://user:pass@host`),
    /// which hides the real host from a quick read and sends credentials no record should.
    UserInfo,
}

/// A refused link, with a reason a person can read (fit for a disabled button's tooltip).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRefused {
    pub kind: RefusalKind,
    pub reason: String,
}

impl fmt::Display for LinkRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for LinkRefused {}

/// Links a browser may open: `https` and `http` only, never a demo link, a link-local
/// host or a link with user info. The one rule for every Open (video and last frame,
/// grid, details and keys alike).
pub fn web_link(s: &str) -> Result<Url, LinkRefused> {
    let not_web = || LinkRefused {
        kind: RefusalKind::NotWeb,
        reason: format!("not a web link: {}", shown(s)),
    };
    let url = Url::parse(s.trim()).map_err(|_| not_web())?;
    if !matches!(url.scheme(), "https" | "http") || url.host().is_none() {
        return Err(not_web());
    }
    if is_demo_url(&url) {
        return Err(LinkRefused {
            kind: RefusalKind::Demo,
            reason: "a demo link: the demo has no real files".into(),
        });
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(LinkRefused {
            kind: RefusalKind::UserInfo,
            reason: format!(
                "a link with a user name or password before its host: {}",
                shown(&display(s))
            ),
        });
    }
    if is_link_local(&url) {
        return Err(LinkRefused {
            kind: RefusalKind::LinkLocal,
            reason: format!(
                "a link-local address, where cloud machines keep their metadata: {}",
                shown(s)
            ),
        });
    }
    Ok(url)
}

fn is_link_local(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_link_local(),
        Some(Host::Ipv6(ip)) => {
            (ip.segments()[0] & 0xffc0) == 0xfe80
                || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_link_local())
        }
        _ => false,
    }
}

/// A link as it is shown to people: parsed and written back the way a browser's address
/// bar does, with each label of the host in Unicode unless it mixes scripts in a way
/// that imitates another name (`аpple.com` with a Cyrillic `а` stays `xn--pple-43d.com`).
/// Text that is no link is returned cleaned of control characters.
pub fn display(s: &str) -> String {
    let Ok(url) = Url::parse(s.trim()) else {
        return crate::text::clean_for_terminal(s.trim());
    };
    let Some(Host::Domain(ascii)) = url.host() else {
        return url.to_string();
    };
    let host = ascii
        .split('.')
        .map(|label| {
            let (unicode, result) = idna::domain_to_unicode(label);
            if result.is_err() || is_deceptive(&unicode) {
                label.to_owned()
            } else {
                unicode
            }
        })
        .collect::<Vec<_>>()
        .join(".");
    format!(
        "{}{host}{}",
        &url[..url::Position::BeforeHost],
        &url[url::Position::AfterHost..]
    )
}

/// Whether a host label mixes scripts as no real name does (Latin with Cyrillic or
/// Greek, say), or is all Cyrillic or Greek letters that read as Latin ones (`аррӏе`).
/// Latin with the scripts written together in Chinese, Japanese and Korean is fine, as
/// browsers allow it.
fn is_deceptive(label: &str) -> bool {
    use unicode_script::{Script, UnicodeScript};
    let mut scripts: Vec<Script> = Vec::new();
    for c in label.chars() {
        let script = c.script();
        if !matches!(script, Script::Common | Script::Inherited | Script::Unknown)
            && !scripts.contains(&script)
        {
            scripts.push(script);
        }
    }
    let east_asian = |s: &Script| {
        matches!(
            s,
            Script::Latin
                | Script::Han
                | Script::Hiragana
                | Script::Katakana
                | Script::Hangul
                | Script::Bopomofo
        )
    };
    if scripts.len() > 1 && !scripts.iter().all(east_asian) {
        return true;
    }
    const LATIN_LOOKALIKES: &str = "аеорсухіјѕԁһӏԛԝүАВЕКМНОРСТХοαρνικτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ";
    matches!(scripts.as_slice(), [Script::Cyrillic | Script::Greek])
        && label
            .chars()
            .filter(|c| c.is_alphabetic())
            .all(|c| LATIN_LOOKALIKES.contains(c))
}

/// Links the app itself fetches (downloads, previews): a [`web_link`], and plain `http`
/// only to this computer.
pub fn fetch_link(s: &str) -> Result<Url, LinkRefused> {
    let url = web_link(s)?;
    if url.scheme() == "http" && !is_loopback(&url) {
        return Err(LinkRefused {
            kind: RefusalKind::Insecure,
            reason: format!(
                "not a secure link: {} (plain http is only followed to this computer)",
                shown(s)
            ),
        });
    }
    Ok(url)
}

/// Whether `url` is one of the demo's links.
pub fn is_demo(url: &str) -> bool {
    Url::parse(url.trim()).is_ok_and(|u| is_demo_url(&u))
}

/// A demo link for `file` (e.g. `<task id>.mp4`).
pub fn demo_link(file: &str) -> String {
    format!("https://{DEMO_HOST}/seedance/{file}")
}

fn is_demo_url(url: &Url) -> bool {
    url.host_str()
        .is_some_and(|h| h.eq_ignore_ascii_case(DEMO_HOST))
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// The redirect rule of every client that fetches links (see [`redirect_allowed`]).
/// reqwest asks it before the next hop is requested, so a refused hop makes no connection.
pub fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        match redirect_allowed(attempt.url(), attempt.previous()) {
            Ok(()) => attempt.follow(),
            Err(refused) => attempt.error(refused),
        }
    })
}

/// Whether a redirect to `next` may be followed after the hops in `previous`: at most ten
/// hops, each a [`fetch_link`], and once on `https` never back to plain `http`.
pub fn redirect_allowed(next: &Url, previous: &[Url]) -> Result<(), LinkRefused> {
    const MAX_HOPS: usize = 10;
    if previous.len() > MAX_HOPS {
        return Err(LinkRefused {
            kind: RefusalKind::NotWeb,
            reason: "refused a redirect: too many redirects".into(),
        });
    }
    if next.scheme() == "http" && previous.iter().any(|earlier| earlier.scheme() == "https") {
        return Err(LinkRefused {
            kind: RefusalKind::Insecure,
            reason: format!(
                "refused a redirect from https to plain http: {}",
                shown(next.as_str())
            ),
        });
    }
    fetch_link(next.as_str())
        .map(drop)
        .map_err(|refused| LinkRefused {
            reason: format!("refused a redirect: {}", refused.reason),
            ..refused
        })
}

/// A link as it may be shown: no control characters, not endless.
fn shown(s: &str) -> String {
    let clean = crate::text::clean_for_terminal(s.trim());
    if clean.chars().count() <= SHOWN_CHARS {
        return clean;
    }
    let mut cut: String = clean.chars().take(SHOWN_CHARS - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(r: Result<Url, LinkRefused>) -> LinkRefused {
        match r {
            Ok(url) => panic!("followed {url}"),
            Err(e) => e,
        }
    }

    #[test]
    fn web_links_are_http_and_https() {
        for ok in [
            "https://cdn.example/v.mp4",
            "http://cdn.example/v.mp4",
            "  https://cdn.example/a b.mp4\n",
            "HTTPS://CDN.EXAMPLE/V.MP4",
        ] {
            assert!(web_link(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn everything_else_is_not_a_web_link() {
        for bad in [
            "file:///etc/passwd",
            "/etc/passwd",
            "etc/passwd",
            r"C:\Windows\System32\calc.exe",
            r"\\host\share\x.exe",
            "javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "ftp://host/x",
            "mailto:a@b.c",
            "https://",
            "",
            "not a link",
        ] {
            let e = refused(web_link(bad));
            assert_eq!(e.kind, RefusalKind::NotWeb, "{bad}");
            assert!(e.reason.starts_with("not a web link"), "{bad}: {e}");
        }
        assert_eq!(
            refused(web_link("file:///etc/passwd")).to_string(),
            "not a web link: file:///etc/passwd"
        );
    }

    #[test]
    fn reasons_are_printable_and_short() {
        let e = refused(web_link("javascript:\u{1b}[31mred\u{202e}"));
        assert!(!e.reason.chars().any(char::is_control), "{e:?}");
        assert!(!e.reason.contains('\u{202e}'));
        let long = format!("file:///{}", "a".repeat(500));
        assert!(refused(web_link(&long)).reason.chars().count() < 120);
    }

    #[test]
    fn link_local_hosts_and_user_info_are_refused() {
        for bad in [
            "http://169.254.169.254/latest/meta-data/",
            "https://169.254.0.1/x",
            "http://[fe80::1]/x",
            "https://[febf::1]/x",
            "http://[::ffff:169.254.169.254]/x",
        ] {
            assert_eq!(refused(web_link(bad)).kind, RefusalKind::LinkLocal, "{bad}");
            assert_eq!(
                refused(fetch_link(bad)).kind,
                RefusalKind::LinkLocal,
                "{bad}"
            );
        }
        for bad in [
            "https://user:pass@cdn.example/v.mp4",
            "https://cdn.example.com@evil.example/v.mp4",
            "http://a@127.0.0.1/x",
        ] {
            let e = refused(web_link(bad));
            assert_eq!(e.kind, RefusalKind::UserInfo, "{bad}");
        }
        assert!(web_link("https://169.255.0.1/x").is_ok());
        assert!(web_link("https://[fec0::1]/x").is_ok());
    }

    #[test]
    fn mixed_script_hosts_are_shown_in_punycode() {
        assert_eq!(
            display("https://аpple.com/v.mp4"),
            "https://xn--pple-43d.com/v.mp4"
        );
        assert_eq!(display("https://аррӏе.com/"), "https://xn--80ak6aa92e.com/");
        assert_eq!(
            display("https://xn--pple-43d.com/"),
            "https://xn--pple-43d.com/"
        );
        assert_eq!(
            display("https://münchen.de/a b"),
            "https://münchen.de/a%20b"
        );
        assert_eq!(display("https://東京.jp/x"), "https://東京.jp/x");
        assert_eq!(display("https://例え.テスト/"), "https://例え.テスト/");
        assert_eq!(display("https://москва.рф/"), "https://москва.рф/");
        assert_eq!(
            display("https://cdn.example/v.mp4"),
            "https://cdn.example/v.mp4"
        );
        assert_eq!(display("not a link\u{1b}[31m"), "not a link");
        let e = refused(web_link("https://user@аpple.com/"));
        assert!(e.reason.contains("xn--pple-43d.com"), "{e}");
    }

    #[test]
    fn fetches_need_https_except_to_this_computer() {
        assert!(fetch_link("https://cdn.example/v.mp4").is_ok());
        for local in [
            "http://127.0.0.1:8080/v.mp4",
            "http://127.9.9.9/v.mp4",
            "http://localhost/v.mp4",
            "http://[::1]:80/v.mp4",
        ] {
            assert!(fetch_link(local).is_ok(), "{local}");
        }
        for remote in [
            "http://192.0.2.1/x",
            "http://cdn.example/v.mp4",
            "http://localhost.example/v.mp4",
            "http://[2001:db8::1]/x",
        ] {
            let e = refused(fetch_link(remote));
            assert_eq!(e.kind, RefusalKind::Insecure, "{remote}");
        }
        assert_eq!(
            refused(fetch_link("file:///etc/passwd")).kind,
            RefusalKind::NotWeb
        );
    }

    #[test]
    fn demo_links_are_recognised_and_never_followed() {
        let link = demo_link("x.mp4");
        assert!(is_demo(&link));
        assert!(!is_demo("https://cdn.example/x.mp4"));
        assert!(!is_demo("not a link"));
        assert_eq!(refused(web_link(&link)).kind, RefusalKind::Demo);
        assert_eq!(refused(fetch_link(&link)).kind, RefusalKind::Demo);
    }

    fn url(s: &str) -> Url {
        Url::parse(s).expect("test url")
    }

    #[test]
    fn redirects_follow_the_fetch_rule_and_never_downgrade() {
        let local = url("http://127.0.0.1:9/a");
        let secure = url("https://cdn.example/a");
        assert!(
            redirect_allowed(&url("http://127.0.0.1:9/b"), std::slice::from_ref(&local)).is_ok()
        );
        assert!(
            redirect_allowed(
                &url("https://cdn2.example/b"),
                std::slice::from_ref(&secure)
            )
            .is_ok()
        );
        assert!(
            redirect_allowed(&url("https://cdn.example/b"), std::slice::from_ref(&local)).is_ok()
        );
        let down = redirect_allowed(&url("http://127.0.0.1:9/b"), std::slice::from_ref(&secure));
        assert_eq!(down.map_err(|e| e.kind), Err(RefusalKind::Insecure));
        let remote = redirect_allowed(&url("http://192.0.2.1/x"), std::slice::from_ref(&local));
        assert!(remote.is_err_and(|e| {
            e.reason
                .starts_with("refused a redirect: not a secure link")
        }));
        let file = redirect_allowed(&url("file:///etc/passwd"), std::slice::from_ref(&secure));
        assert_eq!(file.map_err(|e| e.kind), Err(RefusalKind::NotWeb));
        let hops = vec![secure; 11];
        assert!(redirect_allowed(&url("https://cdn.example/z"), &hops).is_err());
    }
}
