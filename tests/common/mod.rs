//! A SeeDance Tasks API stand-in on 127.0.0.1 for the tests and benchmarks: real HTTP/1.1
//! over TCP (keep-alive included), so the client's headers, timeouts and connection
//! handling are exercised for real. Faults are scripted per request. The transport is the
//! shared loopback core in `http.rs`; this file is the API's handler.
#![allow(dead_code)]

use serde_json::{Value, json};
// Also included by `files.rs` in crates that use both servers: clippy's duplicate_mod is
// about that, and two copies of a small helper module are harmless.
#[path = "account.rs"]
pub mod account;
#[allow(clippy::duplicate_mod)]
#[path = "http.rs"]
mod http;
#[path = "storm.rs"]
mod storm;
pub use storm::Storm;
#[path = "videos.rs"]
mod videos;
// Only the crates that create generations use it.
#[allow(unused_imports)]
pub use videos::VideoFault;

use http::{InFlightCounter, Loopback, Reply, Request};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the next request gets instead of a normal answer.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Any status with a body and extra headers.
    Reply {
        status: u16,
        body: String,
        headers: Vec<(String, String)>,
    },
    /// Read the request, never answer.
    Hang,
    /// Read the request, close the connection without a byte.
    Drop,
    /// A refusal whose message repeats the Authorization header it was sent, as some
    /// servers do: what the client shows of it must not show the token.
    EchoToken { status: u16 },
}

impl Fault {
    pub fn status(status: u16, body: impl Into<String>) -> Self {
        Self::Reply {
            status,
            body: body.into(),
            headers: Vec::new(),
        }
    }

    pub fn rate_limited(retry_after: &str) -> Self {
        Self::Reply {
            status: 429,
            body: json!({"success": false, "error": {"code": "too_many_requests", "message": "Too many requests"}, "trace_id": "t-429"}).to_string(),
            headers: vec![("Retry-After".into(), retry_after.into())],
        }
    }

    pub fn html_502() -> Self {
        Self::Reply {
            status: 502,
            body: "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>".into(),
            headers: vec![("Content-Type".into(), "text/html".into())],
        }
    }

    /// 401 whose message repeats the token it was sent.
    pub fn echo_token() -> Self {
        Self::EchoToken { status: 401 }
    }

    pub fn unauthorized() -> Self {
        Self::status(401, json!({"error": {"code": "invalid_token", "message": "The specified token is invalid or wrong."}, "trace_id": "t-401"}).to_string())
    }
}

#[derive(Debug, Clone)]
pub struct Logged {
    pub action: String,
    pub ids: Vec<String>,
    pub authorization: Option<String>,
    pub user_agent: Option<String>,
    pub content_type: Option<String>,
    pub at: Instant,
}

#[derive(Default)]
struct State {
    tasks: Mutex<HashMap<String, Value>>,
    faults: Mutex<VecDeque<Fault>>,
    log: Mutex<Vec<Logged>>,
    latency: Mutex<Duration>,
    /// Batches with more ids than this get 413.
    batch_limit: Mutex<Option<usize>>,
    in_flight: InFlightCounter,
    /// Storm mode (see `storm.rs`), after any scripted fault.
    storm: Mutex<Option<Storm>>,
    /// The account listing and the extra-items mode (see `account.rs`).
    account: account::Account,
    /// `POST /seedance/videos` (see `videos.rs`).
    videos: Mutex<videos::Videos>,
}

#[derive(Clone)]
pub struct TestServer {
    pub addr: SocketAddr,
    state: Arc<State>,
    server: Loopback,
}

impl TestServer {
    /// Starts on an ephemeral loopback port, on the current tokio runtime.
    pub async fn start() -> Self {
        let state = Arc::new(State::default());
        let s = state.clone();
        let server = Loopback::start(move |request| serve(request, s.clone())).await;
        Self {
            addr: server.addr,
            state,
            server,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn insert(&self, record: Value) {
        let id = record["id"].as_str().expect("record id").to_owned();
        self.state.tasks.lock().expect("lock").insert(id, record);
    }

    pub fn push_fault(&self, fault: Fault) {
        self.state.faults.lock().expect("lock").push_back(fault);
    }

    pub fn set_latency(&self, latency: Duration) {
        *self.state.latency.lock().expect("lock") = latency;
    }

    pub fn set_batch_limit(&self, limit: usize) {
        *self.state.batch_limit.lock().expect("lock") = Some(limit);
    }

    pub fn requests(&self) -> Vec<Logged> {
        self.state.log.lock().expect("lock").clone()
    }

    pub fn asked_ids(&self) -> Vec<String> {
        self.requests().into_iter().flat_map(|r| r.ids).collect()
    }

    pub fn max_in_flight(&self) -> usize {
        self.state.in_flight.max()
    }

    pub fn connections(&self) -> usize {
        self.server.connections()
    }

    /// From now on, answer like a gateway in a storm (see [`Storm`]).
    pub fn start_storm(&self, per_second: usize) {
        *self.state.storm.lock().expect("lock") = Some(Storm::new(per_second));
    }

    /// From now on, a plain rate limit (see [`Storm::rate_limit`]).
    pub fn start_rate_limit(&self, per_second: usize) {
        *self.state.storm.lock().expect("lock") = Some(Storm::rate_limit(per_second));
    }

    /// The account behind the listing (see `account.rs`).
    pub fn account(&self) -> &account::Account {
        &self.state.account
    }

    /// When the storm or the rate limit gave each 429, in order.
    pub fn rejections(&self) -> Vec<Instant> {
        self.state
            .storm
            .lock()
            .expect("lock")
            .as_ref()
            .map_or_else(Vec::new, Storm::rejections)
    }

    /// (admitted, rejected with 429) by the storm so far.
    pub fn storm_counts(&self) -> (u64, u64) {
        self.state
            .storm
            .lock()
            .expect("lock")
            .as_ref()
            .map_or((0, 0), Storm::counts)
    }
}

/// The paths the API stand-in serves; any other answers 404 `no_api` like the gateway.
const API_PATHS: [&str; 1] = ["/seedance/tasks"];

fn no_api(path: &str) -> Fault {
    Fault::status(
        404,
        json!({"success": false, "error": {"code": "no_api", "message": format!("No API found for {path}")}, "trace_id": "t-404"}).to_string(),
    )
}

/// A task record in the API's shape.
pub fn record(id: &str, status: &str) -> Value {
    let mut data = json!({"task_id": format!("cgt-test-{}", &id[..8.min(id.len())]), "status": status, "model": "doubao-seedance-1-0-pro-250528"});
    if status == "succeeded" {
        data["video_url"] = json!(format!("https://cdn.example/{id}.mp4"));
        data["last_frame_url"] = json!(format!("https://cdn.example/{id}.png"));
    }
    if status == "failed" {
        data["error"] =
            json!({"code": "OutputVideoSensitiveContentDetected", "message": "sensitive"});
    }
    // An unfinished task created days ago is stale and no longer asked: unfinished ones
    // are a minute old, so that a watch keeps asking them.
    let created_at = if ["succeeded", "failed"].contains(&status) {
        1766329436.091
    } else {
        seedance_tasks::task::unix_now() - 60.0
    };
    json!({
        "id": id, "type": "videos", "trace_id": format!("trace-{id}"), "created_at": created_at,
        "request": {"model": "doubao-seedance-1-0-pro-250528", "content": [{"type": "text", "text": format!("prompt of {id}")}]},
        "response": {"success": true, "task_id": id, "data": data}
    })
}

/// `n` distinct valid task ids.
pub fn make_ids(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("{:08x}-0000-4000-8000-{:012x}", i, i))
        .collect()
}

/// Answers one request: scripted faults first, then the tasks it knows.
async fn serve(request: Request, state: Arc<State>) -> Reply {
    let _guard = state.in_flight.enter();
    if request.path == videos::PATH {
        return videos::serve(request, state.clone()).await;
    }
    let (body, action, ids) = request.tasks_query();
    state.log.lock().expect("lock").push(Logged {
        action: action.clone(),
        ids: ids.clone(),
        authorization: request.header("authorization"),
        user_agent: request.header("user-agent"),
        content_type: request.header("content-type"),
        at: Instant::now(),
    });
    let latency = *state.latency.lock().expect("lock");
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let fault = if API_PATHS.contains(&request.path.as_str()) {
        let scripted = state.faults.lock().expect("lock").pop_front();
        scripted.or_else(|| {
            let mut storm = state.storm.lock().expect("lock");
            storm.as_mut().and_then(|s| s.judge(Instant::now()))
        })
    } else {
        Some(no_api(&request.path))
    };
    let (status, body, mut headers) = match fault {
        Some(Fault::Hang) => {
            // Held here, not by the core, so the request still counts as in flight.
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return Reply::Drop;
        }
        Some(Fault::Drop) => return Reply::Drop,
        Some(Fault::Reply {
            status,
            body,
            headers,
        }) => (status, body, headers),
        Some(Fault::EchoToken { status }) => {
            let sent = request.header("authorization").unwrap_or_default();
            let body = json!({"error": {"code": "invalid_token",
                "message": format!("The token in '{sent}' is invalid or wrong.")},
                "trace_id": "t-echo"});
            (status, body.to_string(), Vec::new())
        }
        None => match state.account.route(&action, &body) {
            Some((status, body)) => (status, body, Vec::new()),
            None => answer(&state, &action, &ids),
        },
    };
    headers.insert(0, ("x-trace-id".into(), "hdr-trace".into()));
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        headers.insert(1, ("content-type".into(), "application/json".into()));
    }
    Reply::new(status, headers, body)
}

fn answer(state: &State, action: &str, ids: &[String]) -> (u16, String, Vec<(String, String)>) {
    let tasks = state.tasks.lock().expect("lock");
    if action == "retrieve_batch" {
        if state
            .batch_limit
            .lock()
            .expect("lock")
            .is_some_and(|limit| ids.len() > limit)
        {
            let body = json!({"success": false, "error": {"code": "request_too_large", "message": "too many ids"}});
            return (413, body.to_string(), Vec::new());
        }
        // Known ids only, in reverse order: the client must match by id, not position.
        let extras = state.account.extras(ids);
        let items: Vec<&Value> = ids
            .iter()
            .rev()
            .filter_map(|id| tasks.get(id))
            .chain(&extras)
            .collect();
        (
            200,
            json!({"items": items, "count": items.len()}).to_string(),
            Vec::new(),
        )
    } else {
        let body = ids
            .first()
            .and_then(|id| tasks.get(id))
            .cloned()
            .unwrap_or_else(|| json!({}));
        (200, body.to_string(), Vec::new())
    }
}

/// A PNG of `width` × `height` whose pixels differ along both axes (blue `blue`).
pub fn png(width: u32, height: u32, blue: u8) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, blue])
    });
    let mut bytes = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut bytes, image::ImageFormat::Png)
        .expect("encode png");
    bytes.into_inner()
}

/// The mean difference per channel of two images of one size (0 = the same pixels).
pub fn mean_difference(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions(), "images of different sizes");
    let diff: u64 = a
        .pixels()
        .zip(b.pixels())
        .map(|(p, q)| (0..3).map(|c| u64::from(p[c].abs_diff(q[c]))).sum::<u64>())
        .sum();
    diff as f64 / (f64::from(a.width()) * f64::from(a.height()) * 3.0)
}
