//! The daily-tool paths at scale: saving and loading a history of 100 000 tasks (goal:
//! load well under a second), and filtering 100 000 rows per keystroke of a search
//! (goal ≤ 20 ms). Run: `cargo bench --bench history_filter`.

use seedance_tasks::api::TaskRecord;
use seedance_tasks::book::{Filter, TaskBook};
use seedance_tasks::engine::Outcome;
use seedance_tasks::store::{self, Loaded};
use seedance_tasks::task::TaskEntry;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

const N: usize = 100_000;

/// Records shaped like the documented ones (about 1.1 KB of JSON each).
fn entries() -> Vec<TaskEntry> {
    (0..N)
        .map(|i| {
            let id = format!("{:08x}-0000-4000-8000-{:012x}", (i as u32).wrapping_mul(2654435761), i);
            let status = ["succeeded", "running", "failed", "queued"][i % 4];
            let v = json!({
                "_id": "69480c5cff2676299c7b351d", "id": id, "type": "videos",
                "api_id": "44e45d2b-8754-4a93-b793-c63271335f6f", "application_id": "1456a4bf-e2f4-4247-9b2d-fb49effc6eca",
                "credential_id": "3e20b461-f750-48d3-a1f7-3aea48d15d77", "user_id": "ad7afe47-cea9-4cda-980f-2ad8810e51cf",
                "trace_id": format!("24b1b09c-5649-4290-98db-{i:012x}"), "created_at": 1766329436.091 + i as f64,
                "request": {"model": "doubao-seedance-1-0-pro-250528", "callback_url": "dummy", "content": [{"type": "text",
                    "text": format!("Shot {i}. A detective enters a dimly lit room. He examines clues on the table, picking up an item. --ratio 16:9")}]},
                "response": {"success": true, "task_id": id, "trace_id": "24b1b09c-5649-4290-98db-eab23e5efcac",
                    "data": {"task_id": format!("cgt-20251221230356-{i:05}"), "status": status, "model": "doubao-seedance-1-0-pro-250528",
                        "video_url": format!("https://platform.cdn.acedata.cloud/seedance/{id}.mp4"), "last_frame_url": null}}
            });
            let mut e = TaskEntry::new(id);
            e.apply(Outcome::Found(Arc::new(TaskRecord::from_value(v).expect("record"))));
            e
        })
        .collect()
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e3
}

fn main() {
    let list = entries();
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join(store::FILE_NAME);

    let mut saves = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        store::save(&path, &list).expect("save");
        saves.push(t.elapsed());
    }
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let mut loads = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let Loaded::Tasks {
            tasks: back,
            rewrite: false,
        } = store::load(&path)
        else {
            panic!("load")
        };
        loads.push(t.elapsed());
        assert_eq!(back.len(), N);
    }
    // How much of the load is only getting the bytes off the (cached) file.
    let mut reads = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let bytes = std::fs::read(&path).expect("read");
        reads.push(t.elapsed());
        drop(bytes);
    }
    println!(
        "history {N} tasks ({:.0} MB): save median {:.0} ms, load median {:.0} ms, of which reading the file {:.0} ms (goal: load well under 1 s)",
        size as f64 / 1e6,
        median(saves),
        median(loads),
        median(reads)
    );

    let mut book = TaskBook::new();
    book.extend(list);
    book.refresh();
    // What the window pays on its own thread, at most once a second while tasks change,
    // to hand the history writer a snapshot.
    let mut snaps = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let snapshot = book.snapshot();
        snaps.push(t.elapsed());
        drop(snapshot);
    }
    println!(
        "snapshot of {N} tasks for the writer: median {:.1} ms",
        median(snaps)
    );
    // Typing "shot 4242." one key at a time: each keystroke re-filters and re-sorts.
    let query = "shot 4242.";
    let mut times = Vec::new();
    for round in 0..3 {
        for end in 1..=query.len() {
            let filter = Filter {
                text: query[..end].to_owned(),
                ..Filter::default()
            };
            let t = Instant::now();
            book.set_filter(filter);
            book.refresh();
            let shown = book.order().len();
            times.push(t.elapsed());
            if round == 0 && end == query.len() {
                println!("search {query:?}: {shown} of {N} rows shown");
            }
        }
        book.set_filter(Filter::default());
    }
    let worst = times.iter().max().copied().unwrap_or_default();
    println!(
        "filter {N} rows per keystroke: median {:.1} ms, worst {:.1} ms (goal ≤ 20 ms)",
        median(times),
        worst.as_secs_f64() * 1e3
    );
}
