//! What the frame benchmarks share: a book of `n` tasks of mixed statuses, models and long
//! prompts, as a real history holds them, and the median of timings.
#![allow(dead_code)]

use seedance_tasks::api::TaskRecord;
use seedance_tasks::book::TaskBook;
use seedance_tasks::engine::Outcome;
use serde_json::json;
use std::time::Duration;

const STATUSES: [&str; 5] = ["succeeded", "running", "failed", "queued", "succeeded"];
const MODELS: [&str; 3] = [
    "doubao-seedance-1-0-pro-250528",
    "doubao-seedance-2-0-260128",
    "doubao-seedance-1-0-lite-t2v-250428",
];

pub fn book(n: usize) -> TaskBook {
    let ids: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "{:08x}-0000-4000-8000-{:012x}",
                i.wrapping_mul(2654435761) as u32,
                i
            )
        })
        .collect();
    let mut book = TaskBook::new();
    book.add_ids(&ids);
    let outcomes = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let status = STATUSES[i % STATUSES.len()];
            let v = json!({
                "id": id, "trace_id": format!("trace-{i}"), "created_at": 1766329436.0 + ((i * 7919) % 100_000) as f64,
                "request": {"model": MODELS[i % 3], "content": [{"type": "text", "text": format!("Shot {i}: a paper boat drifts down a rain-soaked street at dusk, neon reflections --ratio 16:9")}]},
                "response": {"success": status != "failed", "data": {"status": status, "video_url": (status == "succeeded").then(|| format!("https://cdn.example/{id}.mp4"))},
                             "error": (status == "failed").then(|| json!({"code": "bad_request", "message": "sensitive content"}))}
            });
            (id.clone(), Outcome::Found(std::sync::Arc::new(TaskRecord::from_value(v).expect("record"))))
        })
        .collect();
    book.apply(outcomes);
    book
}

pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
