//! A hostile stand-in for the API on 127.0.0.1: it answers `retrieve` and `retrieve_batch`
//! with records given as raw JSON text, so a record can hold what no `serde_json::Value`
//! can (`1e309`, `NaN`, `Infinity`), and it can pad every batch answer with megabytes of
//! tiny items of ids nobody asked for (`{"id":"x","a":[[[[]]]]}`). The transport is the
//! shared loopback core in `http.rs`.
#![allow(dead_code)]

#[allow(clippy::duplicate_mod)]
#[path = "http.rs"]
mod http;

use http::{Loopback, Reply, Request};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// One padding item: 23 bytes of JSON that cost a `Value` tree of about 1.5 KB.
pub const TINY_ITEM: &str = r#"{"id":"x","a":[[[[]]]]}"#;

#[derive(Default)]
struct State {
    /// Id → the record's JSON text, sent as it is.
    records: Mutex<HashMap<String, String>>,
    /// Padding put before the records of every batch answer (items and commas).
    padding: Mutex<Arc<String>>,
    /// Ids of each request, in order.
    asked: Mutex<Vec<Vec<String>>>,
}

#[derive(Clone)]
pub struct HostileServer {
    pub addr: SocketAddr,
    state: Arc<State>,
}

impl HostileServer {
    pub async fn start() -> Self {
        let state = Arc::new(State::default());
        let s = state.clone();
        let server = Loopback::start(move |request| {
            let s = s.clone();
            async move { serve(&request, &s) }
        })
        .await;
        Self {
            addr: server.addr,
            state,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The record of `id` is `text`, sent exactly so.
    pub fn insert_raw(&self, id: &str, text: impl Into<String>) {
        self.state
            .records
            .lock()
            .expect("lock")
            .insert(id.to_owned(), text.into());
    }

    /// Every batch answer starts with about `bytes` of [`TINY_ITEM`]s.
    pub fn pad_batches(&self, bytes: usize) {
        let n = bytes / (TINY_ITEM.len() + 1);
        let mut padding = String::with_capacity(n * (TINY_ITEM.len() + 1));
        for _ in 0..n {
            padding.push_str(TINY_ITEM);
            padding.push(',');
        }
        *self.state.padding.lock().expect("lock") = Arc::new(padding);
    }

    /// The ids of every request so far.
    pub fn requests(&self) -> Vec<Vec<String>> {
        self.state.asked.lock().expect("lock").clone()
    }
}

fn serve(request: &Request, state: &State) -> Reply {
    let (_, action, ids) = request.tasks_query();
    let batch = action == "retrieve_batch";
    state.asked.lock().expect("lock").push(ids.clone());
    let records = state.records.lock().expect("lock");
    let json = vec![("content-type".to_owned(), "application/json".to_owned())];
    if !batch {
        let text = ids
            .first()
            .and_then(|id| records.get(id))
            .cloned()
            .unwrap_or_else(|| "{}".to_owned());
        return Reply::new(200, json, text);
    }
    let padding = state.padding.lock().expect("lock").clone();
    let found: Vec<&String> = ids.iter().filter_map(|id| records.get(id)).collect();
    let mut out = String::with_capacity(
        padding.len() + 64 + found.iter().map(|r| r.len() + 1).sum::<usize>(),
    );
    out.push_str(r#"{"items":["#);
    out.push_str(&padding);
    for (i, r) in found.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(r);
    }
    if found.is_empty() && out.ends_with(',') {
        out.pop();
    }
    out.push_str(&format!(r#"],"count":{}}}"#, found.len()));
    Reply::new(200, json, out)
}

/// A finished task's record in the API's shape, as text, with `extra` spliced into its
/// top level (`"created_at": 1e309`).
pub fn record_text(id: &str, extra: &str) -> String {
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(",{extra}")
    };
    format!(
        r#"{{"id":"{id}","created_at":1766329436.091,"request":{{"model":"doubao-seedance-1-0-pro-250528","content":[{{"type":"text","text":"prompt of {id}"}}]}},"response":{{"success":true,"task_id":"{id}","data":{{"status":"succeeded","video_url":"https://cdn.example/{id}.mp4"}}}}{extra}}}"#
    )
}
