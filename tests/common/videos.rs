//! `POST /seedance/videos` in the API stand-in: every body is recorded, an accepted one
//! becomes a task that `/seedance/tasks` answers for (in the same task map), and faults
//! are scripted per request — including the ones that come after the task was created,
//! which a client must never answer by sending the request again.

use super::http::{Reply, Request};
use super::{State, record};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

pub const PATH: &str = "/seedance/videos";

/// What the next create request gets.
#[derive(Debug, Clone)]
pub enum VideoFault {
    /// 429 with this Retry-After: not accepted, no task.
    RateLimited(String),
    /// 400 with this message: not accepted, no task.
    BadRequest(String),
    /// 401 `invalid_token`: not accepted, no task.
    Unauthorized,
    /// The task IS created, then the answer is a 500.
    ServerErrorAfterAccept,
    /// The task IS created, then an HTML gateway page (502).
    HtmlAfterAccept,
    /// The task IS created, then the connection closes without a byte.
    DropAfterAccept,
    /// The task IS created, then nothing is ever answered.
    HangAfterAccept,
}

#[derive(Default)]
pub(super) struct Videos {
    bodies: Vec<Value>,
    faults: VecDeque<VideoFault>,
    created: Vec<String>,
    /// Created tasks run, then succeed this long after creation (`None`: stay queued).
    life: Option<Duration>,
    /// Create requests being answered now, and the most at once (the task endpoint's
    /// requests counted apart).
    in_flight: usize,
    max_in_flight: usize,
}

/// Counts one create request in flight for as long as it lives.
struct InFlight(Arc<State>);

impl InFlight {
    fn new(state: &Arc<State>) -> Self {
        let mut v = state.videos.lock().expect("lock");
        v.in_flight += 1;
        v.max_in_flight = v.max_in_flight.max(v.in_flight);
        Self(state.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Ok(mut v) = self.0.videos.lock() {
            v.in_flight -= 1;
        }
    }
}

impl super::TestServer {
    pub fn push_video_fault(&self, fault: VideoFault) {
        self.state
            .videos
            .lock()
            .expect("lock")
            .faults
            .push_back(fault);
    }

    /// Every create body received, in order (a retried request shows twice).
    pub fn video_bodies(&self) -> Vec<Value> {
        self.state.videos.lock().expect("lock").bodies.clone()
    }

    /// The ids of the tasks the stand-in created, answered or not.
    pub fn created_ids(&self) -> Vec<String> {
        self.state.videos.lock().expect("lock").created.clone()
    }

    /// The most create requests answered at once so far.
    pub fn max_videos_in_flight(&self) -> usize {
        self.state.videos.lock().expect("lock").max_in_flight
    }

    /// Created tasks are `running` at once and `succeeded` after `life`.
    pub fn set_video_life(&self, life: Duration) {
        self.state.videos.lock().expect("lock").life = Some(life);
    }
}

pub(super) async fn serve(request: Request, state: Arc<State>) -> Reply {
    let _counted = InFlight::new(&state);
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let (fault, id, life) = {
        let mut v = state.videos.lock().expect("lock");
        v.bodies.push(body.clone());
        let fault = v.faults.pop_front();
        // Numbered by arrival (under the lock): two creates at once get two ids.
        let n = v.bodies.len();
        (fault, format!("{n:08x}-aaaa-4bbb-8ccc-{n:012x}"), v.life)
    };
    let latency = *state.latency.lock().expect("lock");
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match &fault {
        Some(VideoFault::RateLimited(after)) => {
            let body = json!({"success": false, "error": {"code": "too_many_requests", "message": "Too many requests"}, "trace_id": "t-429"});
            return json_reply(429, &body, vec![("Retry-After".into(), after.clone())]);
        }
        Some(VideoFault::BadRequest(message)) => {
            let body = json!({"success": false, "error": {"code": "bad_request", "message": message}, "trace_id": "t-400"});
            return json_reply(400, &body, Vec::new());
        }
        Some(VideoFault::Unauthorized) => {
            let body = json!({"success": false, "error": {"code": "invalid_token", "message": "The specified token is invalid or wrong."}, "trace_id": "t-401"});
            return json_reply(401, &body, Vec::new());
        }
        _ => {}
    }
    let mut task = record(&id, if life.is_some() { "running" } else { "queued" });
    task["request"] = body.clone();
    state
        .tasks
        .lock()
        .expect("lock")
        .insert(id.clone(), task.clone());
    state.videos.lock().expect("lock").created.push(id.clone());
    // The account lists it too, as the real account would (for the window's search for
    // a generation that may have been created).
    let mut owned = task.clone();
    owned["user_id"] = json!(super::account::OWNER);
    owned["application_id"] = json!(super::account::OWNER_APP);
    state.account.add(owned);
    if let Some(life) = life {
        let (state, id) = (state.clone(), id.clone());
        tokio::spawn(async move {
            tokio::time::sleep(life).await;
            let mut done = record(&id, "succeeded");
            done["request"] = body;
            state.tasks.lock().expect("lock").insert(id, done);
        });
    }
    match fault {
        Some(VideoFault::ServerErrorAfterAccept) => {
            let body = json!({"success": false, "error": {"code": "api_error", "message": "internal error"}, "trace_id": "t-500"});
            json_reply(500, &body, Vec::new())
        }
        Some(VideoFault::HtmlAfterAccept) => Reply::new(
            502,
            vec![("content-type".into(), "text/html".into())],
            "<html><body><h1>502 Bad Gateway</h1></body></html>",
        ),
        Some(VideoFault::DropAfterAccept) => Reply::Drop,
        Some(VideoFault::HangAfterAccept) => Reply::Hang,
        _ => {
            let answer = json!({"success": true, "task_id": id, "trace_id": format!("trace-{id}"),
                "data": {"task_id": format!("cgt-{}", &id[..8]), "status": "queued"}});
            json_reply(200, &answer, Vec::new())
        }
    }
}

fn json_reply(status: u16, body: &Value, mut headers: Vec<(String, String)>) -> Reply {
    headers.push(("content-type".into(), "application/json".into()));
    headers.push(("x-trace-id".into(), "hdr-trace".into()));
    Reply::new(status, headers, body.to_string())
}
