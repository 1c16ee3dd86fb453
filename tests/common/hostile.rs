//! A hostile stand-in for the API on 127.0.0.1: it answers `retrieve` and `retrieve_batch`
//! with records given as raw JSON text, so a record can hold what no `serde_json::Value`
//! can (`1e309`, `NaN`, `Infinity`), and it can pad every batch answer with megabytes of
//! tiny items of ids nobody asked for (`{"id":"x","a":[[[[]]]]}`). It can also answer
//! every call with an error whose body is padded so (`fail_every_call`), and list the
//! account's tasks (`retrieve_batch` with `offset`) as raw records followed by megabytes
//! of tiny nameless items (`list_raw`). The transport is the shared loopback core in
//! `http.rs`.
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

/// A listing's padding item: no id, so it names no task.
pub const NAMELESS_ITEM: &str = r#"{"a":[[[[]]]]}"#;

/// About `bytes` of `item`s, each followed by a comma.
pub fn padding(item: &str, bytes: usize) -> String {
    let n = bytes / (item.len() + 1);
    let mut out = String::with_capacity(n * (item.len() + 1));
    for _ in 0..n {
        out.push_str(item);
        out.push(',');
    }
    out
}

#[derive(Default)]
struct State {
    /// Id → the record's JSON text, sent as it is.
    records: Mutex<HashMap<String, String>>,
    /// Padding put before the records of every batch answer (items and commas).
    padding: Mutex<Arc<String>>,
    /// Ids of each request, in order.
    asked: Mutex<Vec<Vec<String>>>,
    /// Every call answered with this status and body instead.
    failure: Mutex<Option<(u16, Arc<String>)>>,
    /// The account's tasks as raw records, newest first, and the padding after them.
    listing: Mutex<(Vec<String>, Arc<String>)>,
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
        *self.state.padding.lock().expect("lock") = Arc::new(padding(TINY_ITEM, bytes));
    }

    /// Every call is answered with `status` and `{"success":false,"error":<error>,
    /// "junk":[…]}`, the junk about `bytes` of [`TINY_ITEM`]s.
    pub fn fail_every_call(&self, status: u16, error: &str, bytes: usize) {
        let mut junk = padding(TINY_ITEM, bytes);
        junk.pop();
        let body = format!(r#"{{"success":false,"error":{error},"junk":[{junk}]}}"#);
        *self.state.failure.lock().expect("lock") = Some((status, Arc::new(body)));
    }

    /// The listing answers `records` (raw text, newest first), each page's items followed
    /// by about `bytes` of [`NAMELESS_ITEM`]s.
    pub fn list_raw(&self, records: Vec<String>, bytes: usize) {
        let mut pad = padding(NAMELESS_ITEM, bytes);
        pad.pop();
        *self.state.listing.lock().expect("lock") = (records, Arc::new(pad));
    }

    /// The ids of every request so far.
    pub fn requests(&self) -> Vec<Vec<String>> {
        self.state.asked.lock().expect("lock").clone()
    }
}

fn serve(request: &Request, state: &State) -> Reply {
    let (body, action, ids) = request.tasks_query();
    let batch = action == "retrieve_batch";
    state.asked.lock().expect("lock").push(ids.clone());
    let json = vec![("content-type".to_owned(), "application/json".to_owned())];
    if let Some((status, body)) = state.failure.lock().expect("lock").clone() {
        return Reply::new(status, json, body.as_bytes().to_vec());
    }
    if batch && body.get("offset").is_some() {
        return Reply::new(200, json, listing_page(&body, state));
    }
    let records = state.records.lock().expect("lock");
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

/// One listing page: the records at `offset` (up to `limit`), then the padding.
fn listing_page(body: &serde_json::Value, state: &State) -> String {
    let offset = body["offset"].as_u64().unwrap_or(0) as usize;
    let limit = body["limit"].as_u64().unwrap_or(100) as usize;
    let (records, pad) = &*state.listing.lock().expect("lock");
    let page: Vec<&str> = records
        .iter()
        .skip(offset)
        .take(limit)
        .map(String::as_str)
        .collect();
    let mut items = page.join(",");
    if !pad.is_empty() {
        if !items.is_empty() {
            items.push(',');
        }
        items.push_str(pad);
    }
    format!(r#"{{"items":[{items}],"count":{}}}"#, records.len())
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
