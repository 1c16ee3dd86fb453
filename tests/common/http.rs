//! The core of the loopback test servers (the API stand-in in `mod.rs`, the file server in
//! `files.rs`): a TCP listener on 127.0.0.1, HTTP/1.1 requests read off each keep-alive
//! connection, and replies written back — whole, cut short, or never — as the handler
//! says. The servers differ only in their handler.
#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as the handler sees it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The request target without its query.
    pub path: String,
    pub head: String,
    pub body: Vec<u8>,
}

impl Request {
    /// A header's value (names compared without case).
    pub fn header(&self, name: &str) -> Option<String> {
        header(&self.head, name)
    }

    /// A Tasks API request's body, its action (`retrieve` when it names none) and the ids
    /// it asks about (`ids` for `retrieve_batch`, else `id`); what is not JSON asks none.
    pub fn tasks_query(&self) -> (serde_json::Value, String, Vec<String>) {
        let body: serde_json::Value =
            serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null);
        let action = body["action"].as_str().unwrap_or("retrieve").to_owned();
        let ids: Vec<String> = if action == "retrieve_batch" {
            body["ids"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        } else {
            body["id"]
                .as_str()
                .map(|s| vec![s.to_owned()])
                .unwrap_or_default()
        };
        (body, action, ids)
    }
}

/// What the handler answers.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Status, headers (Content-Length is added), body.
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Announces the whole body, sends `sent` bytes of it, then closes the connection or
    /// (with `stall`) goes silent until the client gives up.
    Partial {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        sent: usize,
        stall: bool,
    },
    /// A `HEAD`'s answer: the head a GET would get (its Content-Length), no body.
    Head {
        status: u16,
        headers: Vec<(String, String)>,
        length: usize,
    },
    /// Never answers (the connection stays open for an hour).
    Hang,
    /// Closes the connection without a byte.
    Drop,
}

impl Reply {
    pub fn new(status: u16, headers: Vec<(String, String)>, body: impl Into<Vec<u8>>) -> Self {
        Self::Full {
            status,
            headers,
            body: body.into(),
        }
    }

    pub fn text(status: u16, body: &str) -> Self {
        Self::new(
            status,
            vec![("content-type".into(), "text/plain".into())],
            body,
        )
    }
}

/// A running server: its address and how many connections it has accepted.
#[derive(Clone)]
pub struct Loopback {
    pub addr: SocketAddr,
    connections: Arc<AtomicUsize>,
}

impl Loopback {
    /// Starts on an ephemeral loopback port, on the current tokio runtime; `handler` is
    /// called once per request, in order on each connection.
    pub async fn start<H, F>(handler: H) -> Self
    where
        H: Fn(Request) -> F + Send + Sync + 'static,
        F: Future<Output = Reply> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("addr");
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = connections.clone();
        let handler = Arc::new(handler);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(stream, handler.clone()));
            }
        });
        Self { addr, connections }
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

async fn serve<H, F>(mut stream: TcpStream, handler: Arc<H>)
where
    H: Fn(Request) -> F + Send + Sync + 'static,
    F: Future<Output = Reply> + Send + 'static,
{
    let mut buf = Vec::new();
    while let Some((head, body)) = read_request(&mut stream, &mut buf).await {
        let mut parts = head.lines().next().unwrap_or("").split_whitespace();
        let method = parts.next().unwrap_or("").to_owned();
        let target = parts.next().unwrap_or("/");
        let path = target.split('?').next().unwrap_or("/").to_owned();
        let reply = handler(Request {
            method,
            path,
            head,
            body,
        })
        .await;
        if !write_reply(&mut stream, reply).await {
            return;
        }
    }
}

/// `false` when the connection is over.
async fn write_reply(stream: &mut TcpStream, reply: Reply) -> bool {
    match reply {
        Reply::Hang => {
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
            false
        }
        Reply::Drop => false,
        Reply::Head {
            status,
            headers,
            length,
        } => {
            let head = response_head(status, &headers, length);
            stream.write_all(head.as_bytes()).await.is_ok()
        }
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let mut bytes = response_head(status, &headers, body.len()).into_bytes();
            bytes.extend_from_slice(&body);
            stream.write_all(&bytes).await.is_ok()
        }
        Reply::Partial {
            status,
            headers,
            body,
            sent,
            stall,
        } => {
            let head = response_head(status, &headers, body.len());
            if stream.write_all(head.as_bytes()).await.is_err() {
                return false;
            }
            let _ = stream.write_all(&body[..sent.min(body.len())]).await;
            let _ = stream.flush().await;
            if stall {
                // Silent until the client gives up and closes the connection.
                let mut sink = [0u8; 1024];
                while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
            }
            false
        }
    }
}

fn response_head(status: u16, headers: &[(String, String)], length: usize) -> String {
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\ncontent-length: {length}\r\n",
        reason(status)
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    head
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "X",
    }
}

/// The head and body of the next request on a keep-alive connection; `buf` carries bytes
/// already read past the previous one. `None` when the client closes.
pub async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<(String, Vec<u8>)> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let length = header(&head, "content-length")
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + length {
                read_more(stream, buf).await?;
            }
            let body = buf[end + 4..end + 4 + length].to_vec();
            buf.drain(..end + 4 + length);
            return Some((head, body));
        }
        read_more(stream, buf).await?;
    }
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<()> {
    let mut chunk = [0u8; 8192];
    let n = stream.read(&mut chunk).await.ok()?;
    if n == 0 {
        return None;
    }
    buf.extend_from_slice(&chunk[..n]);
    Some(())
}

/// A header's value from a request head (names compared without case).
pub fn header(head: &str, name: &str) -> Option<String> {
    head.lines().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_owned())
    })
}

/// Counts requests being answered and remembers the most at once.
#[derive(Default)]
pub struct InFlightCounter {
    now: AtomicUsize,
    max: AtomicUsize,
}

impl InFlightCounter {
    /// Counts one request until the guard is dropped.
    pub fn enter(&self) -> InFlight<'_> {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(now, Ordering::SeqCst);
        InFlight(self)
    }

    pub fn now(&self) -> usize {
        self.now.load(Ordering::SeqCst)
    }

    pub fn max(&self) -> usize {
        self.max.load(Ordering::SeqCst)
    }
}

pub struct InFlight<'a>(&'a InFlightCounter);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}
