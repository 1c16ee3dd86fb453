//! What the history costs on disk while tasks are watched, at 100 000 tasks with 10 of
//! them watched: bytes written per minute of unchanged answers (goal ≤ 1 MB), per minute
//! of 10 tasks changing every second, and the load with the journal present (goal ≤ 0.6 s).
//! Time is simulated: one round is one second of the window's pace (answers applied to
//! the book, then what `HistorySync` would hand over written by the same `HistoryWriter`
//! the writer thread uses), so a minute runs in a moment. Run:
//! `cargo bench --bench history_journal`.

use seedance_tasks::api::TaskRecord;
use seedance_tasks::book::TaskBook;
use seedance_tasks::engine::Outcome;
use seedance_tasks::store::{self, HistoryWriter, Loaded};
use seedance_tasks::task::TaskEntry;
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const N: usize = 100_000;
const WATCHED: usize = 10;
/// "Last asked" is handed over every ten minutes (`ASKED_EVERY` in the window).
const ASKED_EVERY_ROUNDS: usize = 600;

/// A record shaped like the documented ones (about 1.1 KB of JSON); `progress` stands in
/// for whatever a changing answer changes.
fn record_json(i: usize, status: &str, progress: usize) -> Value {
    let id = id(i);
    json!({
        "_id": "69480c5cff2676299c7b351d", "id": id, "type": "videos",
        "api_id": "44e45d2b-8754-4a93-b793-c63271335f6f", "application_id": "1456a4bf-e2f4-4247-9b2d-fb49effc6eca",
        "credential_id": "3e20b461-f750-48d3-a1f7-3aea48d15d77", "user_id": "ad7afe47-cea9-4cda-980f-2ad8810e51cf",
        "trace_id": format!("24b1b09c-5649-4290-98db-{i:012x}"), "created_at": 1766329436.091 + i as f64,
        "request": {"model": "doubao-seedance-1-0-pro-250528", "callback_url": "dummy", "content": [{"type": "text",
            "text": format!("Shot {i}. A detective enters a dimly lit room. He examines clues on the table, picking up an item. --ratio 16:9")}]},
        "response": {"success": true, "task_id": id, "trace_id": "24b1b09c-5649-4290-98db-eab23e5efcac",
            "data": {"task_id": format!("cgt-20251221230356-{i:05}"), "status": status, "model": "doubao-seedance-1-0-pro-250528",
                "progress": progress,
                "video_url": format!("https://platform.cdn.acedata.cloud/seedance/{id}.mp4"), "last_frame_url": null}}
    })
}

fn id(i: usize) -> String {
    format!(
        "{:08x}-0000-4000-8000-{:012x}",
        (i as u32).wrapping_mul(2654435761),
        i
    )
}

fn found(v: Value) -> Outcome {
    Outcome::Found(Arc::new(TaskRecord::from_value(v).expect("record")))
}

fn entries() -> Vec<TaskEntry> {
    (0..N)
        .map(|i| {
            // The first WATCHED tasks are running (watched), the rest finished.
            let status = if i < WATCHED {
                "running"
            } else {
                ["succeeded", "failed"][i % 2]
            };
            let mut e = TaskEntry::new(id(i));
            e.apply(found(record_json(i, status, 0)));
            e
        })
        .collect()
}

/// What the window does once a second: hand the writer what changed, every task when the
/// writer asks for it, "last asked" every ten minutes.
struct Window {
    book: TaskBook,
    writer: HistoryWriter,
    sent_generation: u64,
    compactions: usize,
}

impl Window {
    fn tick(&mut self, round: usize) {
        let asked = (round + 1).is_multiple_of(ASKED_EVERY_ROUNDS);
        if self.writer.wants_full() {
            self.book.take_changes(true);
            self.writer.push_full(self.book.snapshot());
            self.compactions += 1;
        } else if self.book.generation() != self.sent_generation || asked {
            self.writer.push_changes(self.book.take_changes(asked));
        }
        self.sent_generation = self.book.generation();
        self.writer.write().expect("write");
    }
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

fn load_ms(path: &Path) -> f64 {
    let mut times: Vec<Duration> = (0..3)
        .map(|_| {
            let t = Instant::now();
            let Loaded::Tasks { tasks, .. } = store::load(path) else {
                panic!("load")
            };
            assert_eq!(tasks.len(), N);
            t.elapsed()
        })
        .collect();
    times.sort();
    times[1].as_secs_f64() * 1e3
}

fn main() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join(store::FILE_NAME);
    let journal = store::journal_path(&path);
    let list = entries();
    store::save(&path, &list).expect("save");
    let main_size = std::fs::metadata(&path).map_or(0, |m| m.len());
    let mut book = TaskBook::new();
    book.extend_saved(list);
    let mut w = Window {
        sent_generation: book.generation(),
        book,
        writer: HistoryWriter::new(path.clone()),
        compactions: 0,
    };
    println!(
        "history of {N} tasks: {:.0} MB, {WATCHED} watched",
        mb(main_size)
    );

    // Ten minutes of unchanged answers: the same record for each watched task each second.
    let t = Instant::now();
    let rounds = 10 * 60;
    for round in 0..rounds {
        let answers = (0..WATCHED)
            .map(|i| (id(i), found(record_json(i, "running", 0))))
            .collect();
        w.book.apply(answers);
        w.tick(round);
    }
    let unchanged = w.writer.bytes_written();
    println!(
        "unchanged answers, {} min simulated in {:.1} s: {:.3} MB written, {:.4} MB per minute (goal ≤ 1 MB), {} compactions",
        rounds / 60,
        t.elapsed().as_secs_f64(),
        mb(unchanged),
        mb(unchanged) / (rounds / 60) as f64,
        w.compactions
    );

    // 10 tasks change every second, until the journal is compacted.
    let start = w.writer.bytes_written();
    let t = Instant::now();
    let mut round = 0;
    let mut first_minute = 0;
    let mut before_compaction = None;
    while w.compactions == 0 && round < 4 * 3600 {
        let answers = (0..WATCHED)
            .map(|i| (id(i), found(record_json(i, "running", round + 1))))
            .collect();
        w.book.apply(answers);
        if w.writer.wants_full() && before_compaction.is_none() {
            // The journal at its largest: measure the load now, before it is compacted.
            let size = std::fs::metadata(&journal).map_or(0, |m| m.len());
            before_compaction = Some((round, size, load_ms(&path)));
        }
        w.tick(round);
        round += 1;
        if round == 60 {
            first_minute = w.writer.bytes_written() - start;
            println!(
                "10 tasks changing each second: {:.2} MB written in the first minute",
                mb(first_minute)
            );
            println!(
                "load with one minute of journal ({:.1} MB): median {:.0} ms (goal ≤ 600 ms)",
                mb(std::fs::metadata(&journal).map_or(0, |m| m.len())),
                load_ms(&path)
            );
        }
    }
    let total = w.writer.bytes_written() - start;
    let minutes = round as f64 / 60.0;
    if let Some((at, size, load)) = before_compaction {
        println!(
            "journal compacted after {:.1} min at {:.1} MB; load just before: median {load:.0} ms (goal ≤ 600 ms)",
            at as f64 / 60.0,
            mb(size)
        );
    }
    println!(
        "over those {minutes:.1} min ({:.1} s simulated): {:.1} MB written, {:.2} MB per minute including the compaction (journal alone {:.2} MB/min)",
        t.elapsed().as_secs_f64(),
        mb(total),
        mb(total) / minutes,
        mb(first_minute)
    );
    println!("load after compaction: median {:.0} ms", load_ms(&path));
}
