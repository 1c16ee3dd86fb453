//! A static file server on 127.0.0.1 for the download and preview tests: raw HTTP/1.1
//! over TCP, GET only, keep-alive. Faults (dropped or stalled bodies, held responses) are
//! set per path so a test can make a download fail, or stay in flight, on purpose.
#![allow(dead_code)]

// Also included by `common` in crates that use both servers: clippy's duplicate_mod is
// about that, and two copies of a small helper module are harmless.
#[allow(clippy::duplicate_mod)]
#[path = "http.rs"]
mod http;

use http::{header, read_request};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

#[derive(Default)]
struct State {
    files: Mutex<HashMap<String, Vec<u8>>>,
    /// Send the full Content-Length, then close after this many body bytes.
    drop_after: Mutex<HashMap<String, usize>>,
    /// Send the full Content-Length and this many body bytes, then go silent.
    stall_after: Mutex<HashMap<String, usize>>,
    requests: Mutex<HashMap<String, usize>>,
    user_agents: Mutex<Vec<Option<String>>>,
    authorizations: Mutex<Vec<Option<String>>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    /// While true, every request is counted then waits before it is answered.
    hold: Mutex<Option<watch::Receiver<bool>>>,
    hold_tx: Mutex<Option<watch::Sender<bool>>>,
}

#[derive(Clone)]
pub struct FileServer {
    pub addr: SocketAddr,
    state: Arc<State>,
}

impl FileServer {
    /// Starts on an ephemeral loopback port, on the current tokio runtime.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
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
            .insert(path.to_owned(), bytes);
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn set_drop_after(&self, path: &str, n_bytes: usize) {
        self.state
            .drop_after
            .lock()
            .expect("lock")
            .insert(path.to_owned(), n_bytes);
    }

    pub fn set_stall_after(&self, path: &str, n_bytes: usize) {
        self.state
            .stall_after
            .lock()
            .expect("lock")
            .insert(path.to_owned(), n_bytes);
    }

    /// Removes the drop and stall faults of `path`.
    pub fn clear_faults(&self, path: &str) {
        self.state.drop_after.lock().expect("lock").remove(path);
        self.state.stall_after.lock().expect("lock").remove(path);
    }

    /// From now on, requests wait unanswered until [`FileServer::release`].
    pub fn hold(&self) {
        let (tx, rx) = watch::channel(false);
        *self.state.hold.lock().expect("lock") = Some(rx);
        *self.state.hold_tx.lock().expect("lock") = Some(tx);
    }

    /// Answers every held request and stops holding new ones.
    pub fn release(&self) {
        *self.state.hold.lock().expect("lock") = None;
        if let Some(tx) = self.state.hold_tx.lock().expect("lock").take() {
            tx.send_replace(true);
        }
    }

    /// GET requests received for `path` so far.
    pub fn requests(&self, path: &str) -> usize {
        self.state
            .requests
            .lock()
            .expect("lock")
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    pub fn total_requests(&self) -> usize {
        self.state.requests.lock().expect("lock").values().sum()
    }

    pub fn user_agents(&self) -> Vec<Option<String>> {
        self.state.user_agents.lock().expect("lock").clone()
    }

    pub fn authorizations(&self) -> Vec<Option<String>> {
        self.state.authorizations.lock().expect("lock").clone()
    }

    /// Requests being answered right now (held ones included).
    pub fn in_flight(&self) -> usize {
        self.state.in_flight.load(Ordering::SeqCst)
    }

    /// The most requests that were ever being answered at once.
    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }
}

struct InFlight<'a>(&'a State);

impl<'a> InFlight<'a> {
    fn new(state: &'a State) -> Self {
        let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        state.max_in_flight.fetch_max(now, Ordering::SeqCst);
        Self(state)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn serve(mut stream: TcpStream, state: Arc<State>) {
    let mut buf = Vec::new();
    while let Some((head, _body)) = read_request(&mut stream, &mut buf).await {
        let _guard = InFlight::new(&state);
        let mut parts = head.lines().next().unwrap_or("").split_whitespace();
        let method = parts.next().unwrap_or("").to_owned();
        let target = parts.next().unwrap_or("/");
        let path = target.split('?').next().unwrap_or("/").to_owned();
        *state
            .requests
            .lock()
            .expect("lock")
            .entry(path.clone())
            .or_default() += 1;
        state
            .user_agents
            .lock()
            .expect("lock")
            .push(header(&head, "user-agent"));
        state
            .authorizations
            .lock()
            .expect("lock")
            .push(header(&head, "authorization"));

        let hold = state.hold.lock().expect("lock").clone();
        if let Some(mut hold) = hold {
            // An error means the server state was dropped: answer anyway.
            let _ = hold.wait_for(|released| *released).await;
        }

        if method != "GET" {
            let reply = "HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n";
            if stream.write_all(reply.as_bytes()).await.is_err() {
                return;
            }
            continue;
        }
        let file = state.files.lock().expect("lock").get(&path).cloned();
        let Some(body) = file else {
            let reply = "HTTP/1.1 404 Not Found\r\ncontent-length: 9\r\ncontent-type: text/plain\r\n\r\nnot found";
            if stream.write_all(reply.as_bytes()).await.is_err() {
                return;
            }
            continue;
        };
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\ncontent-type: application/octet-stream\r\n\r\n",
            body.len()
        );
        if stream.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let drop_after = state.drop_after.lock().expect("lock").get(&path).copied();
        let stall_after = state.stall_after.lock().expect("lock").get(&path).copied();
        if let Some(n) = drop_after {
            let _ = stream.write_all(&body[..n.min(body.len())]).await;
            let _ = stream.flush().await;
            return;
        }
        if let Some(n) = stall_after {
            let _ = stream.write_all(&body[..n.min(body.len())]).await;
            let _ = stream.flush().await;
            // Silent until the client gives up and closes the connection.
            let mut sink = [0u8; 1024];
            while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
            return;
        }
        if stream.write_all(&body).await.is_err() {
            return;
        }
    }
}
