//! Throughput of `ids::extract` on a 10 MB paste of console output.
//!
//! `cargo bench --bench ids_extract`. The text mixes what a real paste holds: log lines
//! with task ids and trace ids, whole JSON responses on one line, URLs, upstream `cgt-`
//! ids, plain words, and the same ids again and again. The generator is a fixed-seed
//! xorshift so that runs are comparable without a dependency.

use std::hint::black_box;
use std::time::{Duration, Instant};

const TARGET_BYTES: usize = 10 * 1024 * 1024;
const RUNS: usize = 20;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: plenty for picking lines, and reproducible.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn uuid(&mut self) -> String {
        let v = (u128::from(self.next()) << 64) | u128::from(self.next());
        let h = format!("{v:032x}");
        format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )
    }
}

const WORDS: &[&str] = &[
    "INFO",
    "WARN",
    "queued",
    "running",
    "succeeded",
    "doubao-seedance-1-0-pro-250528",
    "resolution=720p",
    "ratio=16:9",
    "duration=5",
    "a kitten yawning at the camera",
    "retrying after 429",
    "2025-06-12T14:30:01.123Z",
    "build 20250612-1430",
    "internationalization",
];

fn build_text(rng: &mut Rng) -> String {
    let mut text = String::with_capacity(TARGET_BYTES + 4096);
    let mut pool: Vec<String> = Vec::new();
    let mut line = 0u64;
    while text.len() < TARGET_BYTES {
        line += 1;
        // One id in four is a repeat of an earlier one: pastes are full of duplicates.
        let id = if !pool.is_empty() && rng.below(4) == 0 {
            let i = rng.below(pool.len() as u64) as usize;
            pool[i].clone()
        } else {
            let id = rng.uuid();
            pool.push(id.clone());
            id
        };
        let word = WORDS[rng.below(WORDS.len() as u64) as usize];
        match rng.below(6) {
            0 => text.push_str(&format!(
                "2025-06-12 14:{:02}:{:02} INFO submitted task_id: {id} trace_id: {} {word}\n",
                line % 60,
                (line / 60) % 60,
                rng.uuid()
            )),
            1 => text.push_str(&format!(
                "{{\"success\":true,\"task_id\":\"{id}\",\"trace_id\":\"{}\",\"data\":[{{\"id\":\"cgt-20250612{:06}-ab{:03}\",\"status\":\"{word}\"}}]}}\n",
                rng.uuid(),
                line % 1_000_000,
                line % 1000
            )),
            2 => text.push_str(&format!(
                "GET https://api.acedata.cloud/seedance/tasks/{id}?action=retrieve -> 200 ({word})\n"
            )),
            3 => text.push_str(&format!("{id}, {}; {word}\n", id.to_uppercase())),
            4 => text.push_str(&format!(
                "upstream cgt-20250612{:06}-x{:04} is not a task id, {word}\n",
                line % 1_000_000,
                line % 10_000
            )),
            _ => {
                for _ in 0..8 {
                    text.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
                    text.push(' ');
                }
                text.push('\n');
            }
        }
    }
    text
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let mut rng = Rng(0x5eed_da9c_e000_0001);
    let text = build_text(&mut rng);

    let mut times = Vec::with_capacity(RUNS);
    let mut last = None;
    for _ in 0..RUNS {
        let start = Instant::now();
        let found = seedance_tasks::ids::extract(black_box(&text));
        times.push(start.elapsed());
        last = Some(black_box(found));
    }
    times.sort();
    let median = times[RUNS / 2];
    let min = times[0];
    let (ids, duplicates, rejected) = last
        .map(|f| (f.ids.len(), f.duplicates, f.rejected.len()))
        .unwrap_or_default();
    println!(
        "ids::extract {:.1} MB: median {:.1} ms, min {:.1} ms ({ids} ids, {duplicates} duplicates, {rejected} rejected)",
        text.len() as f64 / (1024.0 * 1024.0),
        ms(median),
        ms(min),
    );
}
