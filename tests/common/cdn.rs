//! A CDN stand-in on 127.0.0.1 for the library tests and benchmark: real HTTP/1.1 with
//! `Range` answered by 206, `HEAD` by the head a GET would get, and faults set per path —
//! a body cut after some bytes (once), a 200 that ignores `Range`, an HTML page, a 403
//! `AccessDenied` XML, a slow trickle, a refused `HEAD`, no answer at all.
#![allow(dead_code)]

#[allow(clippy::duplicate_mod)]
#[path = "http.rs"]
mod http;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

/// How a path misbehaves.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// The first answer announces the whole body and closes after this many bytes.
    CutOnce(usize),
    /// Every answer is a 200 with the whole body (Range is ignored); the first is cut
    /// after this many bytes.
    IgnoreRangeCutOnce(usize),
    /// 200 `text/html` with a gateway page.
    Html,
    /// 403 with the XML an expired signed link answers.
    Expired,
    /// The body goes out in pieces of this many bytes with this pause between them.
    Slow(usize, Duration),
    /// A `HEAD` is answered with this status and no length (GETs as usual).
    HeadRefused(u16),
    /// Never answers (the connection stays open for an hour).
    Hang,
}

#[derive(Default)]
struct State {
    files: Mutex<HashMap<String, Vec<u8>>>,
    faults: Mutex<HashMap<String, Fault>>,
    /// Each request: its path and its Range header.
    /// Each request: its path, its Range header, and whether it was a `HEAD`.
    log: Mutex<Vec<(String, Option<String>, bool)>>,
}

#[derive(Clone)]
pub struct Cdn {
    pub addr: SocketAddr,
    state: Arc<State>,
}

impl Cdn {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(State::default());
        let s = state.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, s.clone()));
            }
        });
        Self { addr, state }
    }

    pub fn put(&self, path: &str, bytes: Vec<u8>) {
        self.state
            .files
            .lock()
            .expect("lock")
            .insert(path.into(), bytes);
    }

    pub fn fault(&self, path: &str, fault: Fault) {
        self.state
            .faults
            .lock()
            .expect("lock")
            .insert(path.into(), fault);
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The Range header of each request for `path`, in order.
    pub fn ranges(&self, path: &str) -> Vec<Option<String>> {
        self.state
            .log
            .lock()
            .expect("lock")
            .iter()
            .filter(|(p, _, _)| p == path)
            .map(|(_, r, _)| r.clone())
            .collect()
    }

    /// Whether each request for `path` was a `HEAD`, in order.
    pub fn heads(&self, path: &str) -> Vec<bool> {
        self.state
            .log
            .lock()
            .expect("lock")
            .iter()
            .filter(|(p, _, _)| p == path)
            .map(|(_, _, head)| *head)
            .collect()
    }

    pub fn total_requests(&self) -> usize {
        self.state.log.lock().expect("lock").len()
    }
}

/// The bytes of `bytes=N-`.
fn range_start(range: &str) -> Option<usize> {
    range
        .strip_prefix("bytes=")?
        .strip_suffix('-')?
        .parse()
        .ok()
}

async fn serve(mut stream: TcpStream, state: Arc<State>) {
    let mut buf = Vec::new();
    while let Some((head, _)) = http::read_request(&mut stream, &mut buf).await {
        let head_only = head.starts_with("HEAD ");
        let target = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
        let path = target.split('?').next().unwrap_or("/").to_owned();
        let range = http::header(&head, "range");
        let seen_before = state
            .log
            .lock()
            .expect("lock")
            .iter()
            // A HEAD (a size probe) does not use up a fault meant for the fetch.
            .any(|(p, _, head)| *p == path && !head);
        state
            .log
            .lock()
            .expect("lock")
            .push((path.clone(), range.clone(), head_only));
        let fault = state.faults.lock().expect("lock").get(&path).cloned();
        let file = state.files.lock().expect("lock").get(&path).cloned();
        let Some(body) = file else {
            if !reply(
                &mut stream,
                "404 Not Found",
                "text/plain",
                &[],
                b"not found",
                head_only,
            )
            .await
            {
                return;
            }
            continue;
        };
        match fault {
            Some(Fault::Html) => {
                let page = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>";
                let html = "text/html; charset=utf-8";
                if !reply(&mut stream, "200 OK", html, &[], page, head_only).await {
                    return;
                }
                continue;
            }
            Some(Fault::Expired) => {
                let xml = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>";
                if !reply(
                    &mut stream,
                    "403 Forbidden",
                    "application/xml",
                    &[],
                    xml,
                    head_only,
                )
                .await
                {
                    return;
                }
                continue;
            }
            Some(Fault::HeadRefused(status)) if head_only => {
                let line = format!("HTTP/1.1 {status} Refused\r\ncontent-length: 0\r\n\r\n");
                if stream.write_all(line.as_bytes()).await.is_err() {
                    return;
                }
                continue;
            }
            Some(Fault::Hang) => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return;
            }
            _ => {}
        }
        let ignore_range = matches!(fault, Some(Fault::IgnoreRangeCutOnce(_)));
        let start = range
            .as_deref()
            .and_then(range_start)
            .filter(|_| !ignore_range);
        let (status, extra, part) = match start {
            Some(start) if start < body.len() => (
                "206 Partial Content",
                vec![(
                    "content-range".to_owned(),
                    format!("bytes {start}-{}/{}", body.len() - 1, body.len()),
                )],
                &body[start..],
            ),
            _ => ("200 OK", Vec::new(), &body[..]),
        };
        let cut = match fault {
            Some(Fault::CutOnce(n) | Fault::IgnoreRangeCutOnce(n)) if !seen_before => Some(n),
            _ => None,
        };
        let mut head = format!(
            "HTTP/1.1 {status}\r\ncontent-type: video/mp4\r\naccept-ranges: bytes\r\ncontent-length: {}\r\n",
            part.len()
        );
        for (k, v) in &extra {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        if stream.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        if head_only {
            continue;
        }
        if let Some(n) = cut {
            let _ = stream.write_all(&part[..n.min(part.len())]).await;
            let _ = stream.flush().await;
            return;
        }
        if let Some(Fault::Slow(piece, pause)) = fault {
            for chunk in part.chunks(piece.max(1)) {
                if stream.write_all(chunk).await.is_err() {
                    return;
                }
                let _ = stream.flush().await;
                tokio::time::sleep(pause).await;
            }
            continue;
        }
        if stream.write_all(part).await.is_err() {
            return;
        }
    }
}

async fn reply(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    extra: &[(String, String)],
    body: &[u8],
    head_only: bool,
) -> bool {
    let mut head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    if !head_only {
        bytes.extend_from_slice(body);
    }
    stream.write_all(&bytes).await.is_ok()
}
