//! A static file server on 127.0.0.1 for the download and preview tests: raw HTTP/1.1
//! over TCP, GET only, keep-alive. Faults (dropped or stalled bodies, held responses) are
//! set per path so a test can make a download fail, or stay in flight, on purpose, and a
//! path may redirect elsewhere. The transport is the shared loopback core in `http.rs`.
#![allow(dead_code)]

// Also included by `common` in crates that use both servers: clippy's duplicate_mod is
// about that, and two copies of a small helper module are harmless.
#[allow(clippy::duplicate_mod)]
#[path = "http.rs"]
mod http;

use http::{InFlightCounter, Loopback, Reply, Request};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

#[derive(Default)]
struct State {
    files: Mutex<HashMap<String, Vec<u8>>>,
    /// Send the full Content-Length, then close after this many body bytes.
    drop_after: Mutex<HashMap<String, usize>>,
    /// Send the full Content-Length and this many body bytes, then go silent.
    stall_after: Mutex<HashMap<String, usize>>,
    /// Path → Location of a 302.
    redirects: Mutex<HashMap<String, String>>,
    requests: Mutex<HashMap<String, usize>>,
    /// `HEAD` requests (a size asked before saving), counted apart from the fetches.
    heads: Mutex<usize>,
    user_agents: Mutex<Vec<Option<String>>>,
    /// Path and `Range` header of each GET, in order.
    ranges: Mutex<Vec<(String, Option<String>)>>,
    authorizations: Mutex<Vec<Option<String>>>,
    in_flight: InFlightCounter,
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
        let state = Arc::new(State::default());
        let s = state.clone();
        let server = Loopback::start(move |request| serve(request, s.clone())).await;
        Self {
            addr: server.addr,
            state,
        }
    }

    /// GET `path` answers 302 to `location` (any text: the client decides whether to go).
    pub fn redirect(&self, path: &str, location: &str) {
        self.state
            .redirects
            .lock()
            .expect("lock")
            .insert(path.to_owned(), location.to_owned());
    }

    pub fn put(&self, path: &str, bytes: Vec<u8>) {
        self.state
            .files
            .lock()
            .expect("lock")
            .insert(path.to_owned(), bytes);
    }

    /// `path` answers 404 from now on (as an expired link does).
    pub fn remove(&self, path: &str) {
        self.state.files.lock().expect("lock").remove(path);
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

    /// The GET requests answered (fetches), whatever their outcome; `HEAD`s are apart.
    pub fn total_requests(&self) -> usize {
        self.state.requests.lock().expect("lock").values().sum()
    }

    /// The `HEAD` requests answered.
    pub fn heads(&self) -> usize {
        *self.state.heads.lock().expect("lock")
    }

    pub fn user_agents(&self) -> Vec<Option<String>> {
        self.state.user_agents.lock().expect("lock").clone()
    }

    /// The `Range` header of each GET of `path`, in order (`None`: asked for all of it).
    /// The server ignores it and answers with the whole file.
    pub fn ranges(&self, path: &str) -> Vec<Option<String>> {
        self.state
            .ranges
            .lock()
            .expect("lock")
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, range)| range.clone())
            .collect()
    }

    pub fn authorizations(&self) -> Vec<Option<String>> {
        self.state.authorizations.lock().expect("lock").clone()
    }

    /// Requests being answered right now (held ones included).
    pub fn in_flight(&self) -> usize {
        self.state.in_flight.now()
    }

    /// The most requests that were ever being answered at once.
    pub fn max_in_flight(&self) -> usize {
        self.state.in_flight.max()
    }
}

async fn serve(request: Request, state: Arc<State>) -> Reply {
    let _guard = state.in_flight.enter();
    let path = request.path.clone();
    if request.method == "HEAD" {
        *state.heads.lock().expect("lock") += 1;
        let length = state.files.lock().expect("lock").get(&path).map(Vec::len);
        return match length {
            Some(length) => Reply::Head {
                status: 200,
                headers: vec![(
                    "content-type".to_owned(),
                    "application/octet-stream".to_owned(),
                )],
                length,
            },
            None => Reply::Head {
                status: 404,
                headers: Vec::new(),
                length: 0,
            },
        };
    }
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
        .push(request.header("user-agent"));
    state
        .authorizations
        .lock()
        .expect("lock")
        .push(request.header("authorization"));
    state
        .ranges
        .lock()
        .expect("lock")
        .push((path.clone(), request.header("range")));

    let hold = state.hold.lock().expect("lock").clone();
    if let Some(mut hold) = hold {
        // An error means the server state was dropped: answer anyway.
        let _ = hold.wait_for(|released| *released).await;
    }

    if request.method != "GET" {
        return Reply::new(405, Vec::new(), Vec::new());
    }
    let redirect = state.redirects.lock().expect("lock").get(&path).cloned();
    if let Some(location) = redirect {
        return Reply::new(302, vec![("location".into(), location)], Vec::new());
    }
    let file = state.files.lock().expect("lock").get(&path).cloned();
    let Some(body) = file else {
        return Reply::text(404, "not found");
    };
    let headers = vec![(
        "content-type".to_owned(),
        "application/octet-stream".to_owned(),
    )];
    let drop_after = state.drop_after.lock().expect("lock").get(&path).copied();
    let stall_after = state.stall_after.lock().expect("lock").get(&path).copied();
    match (drop_after, stall_after) {
        (Some(sent), _) => Reply::Partial {
            status: 200,
            headers,
            body,
            sent,
            stall: false,
        },
        (None, Some(sent)) => Reply::Partial {
            status: 200,
            headers,
            body,
            sent,
            stall: true,
        },
        (None, None) => Reply::new(200, headers, body),
    }
}
