//! The library's figures (BENCHMARKS.md, "Library"):
//!
//! 1. Saving 50 videos of 20 MB from a loopback server, 3 at a time, against `curl
//!    --parallel --parallel-max 3` fetching the same files in the same run. The library
//!    also hashes, syncs and writes a sidecar for each; the bound is 1.2× curl.
//! 2. Memory while saving 1 GB: a child process (this benchmark run again) saves one
//!    1 GB video and reports its peak RSS (VmHWM) before and after; the bound is +20 MB.
//! 3. Recognising 10 000 saved files: one `stat` each; the bound is 300 ms.
//!
//! The server generates each body from one 1 MB block, so it holds no file in memory.
//! `cargo bench --bench library_save`; `LIBRARY_BENCH_FILES` / `LIBRARY_BENCH_MB` change
//! the first figure's size.

use seedance_tasks::library::{
    Library, SaveRequest, SaveState, SavedFile, SavedTask, recognise_blocking,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const BLOCK: usize = 1 << 20;

fn block() -> Arc<Vec<u8>> {
    let mut b: Vec<u8> = (0..BLOCK).map(|i| (i % 251) as u8).collect();
    // An MP4 `ftyp` box first, as the fetcher checks; the rest is a pattern.
    b[..16].copy_from_slice(b"\0\0\0\x10ftypisom\0\0\x02\0");
    b[16..24].copy_from_slice(b"\xff\xff\xff\xf0free");
    Arc::new(b)
}

/// `GET /<bytes>/<name>.mp4` answers `<bytes>` bytes.
async fn serve(mut stream: TcpStream, block: Arc<Vec<u8>>) {
    let mut buf = Vec::new();
    loop {
        let mut chunk = [0u8; 4096];
        let end = loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break end;
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        buf.drain(..end + 4);
        let path = head.split_whitespace().nth(1).unwrap_or("/");
        let size: usize = path
            .split('/')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let reply =
            format!("HTTP/1.1 200 OK\r\ncontent-type: video/mp4\r\ncontent-length: {size}\r\n\r\n");
        if stream.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
        let mut left = size;
        while left > 0 {
            let n = left.min(BLOCK);
            if stream.write_all(&block[..n]).await.is_err() {
                return;
            }
            left -= n;
        }
    }
}

async fn start_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let block = block();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(serve(stream, block.clone()));
        }
    });
    format!("http://{addr}")
}

fn request(i: usize, url: String) -> SaveRequest {
    SaveRequest {
        id: format!("{i:08x}-0000-4000-8000-000000000000"),
        prompt: Some(format!("benchmark video number {i}")),
        created_at: Some(1_796_155_260.0),
        video_url: Some(url),
        last_frame_url: None,
        request: serde_json::json!({"model": "m"}),
        response: serde_json::json!({"success": true}),
    }
}

async fn library_run(base: &str, files: usize, size: usize, dir: &Path) -> Duration {
    let lib = Library::open(dir.to_path_buf());
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..files {
        let lib = lib.clone();
        let req = request(i, format!("{base}/{size}/v{i}.mp4"));
        set.spawn(async move { lib.save(&req).await.map(|s| s.video.size) });
    }
    while let Some(done) = set.join_next().await {
        let saved = done.expect("task").expect("saved");
        assert_eq!(saved, size as u64);
    }
    started.elapsed()
}

fn curl_run(base: &str, files: usize, size: usize, dir: &Path) -> Duration {
    std::fs::create_dir_all(dir).expect("dir");
    let mut cmd = std::process::Command::new("curl");
    cmd.args([
        "--silent",
        "--show-error",
        "--fail",
        "--parallel",
        "--parallel-max",
        "3",
    ])
    .arg("--output-dir")
    .arg(dir);
    for i in 0..files {
        cmd.arg("-o")
            .arg(format!("v{i}.mp4"))
            .arg(format!("{base}/{size}/v{i}.mp4"));
    }
    let started = Instant::now();
    let status = cmd.status().expect("curl runs (apt-get install curl)");
    let took = started.elapsed();
    assert!(status.success(), "curl failed");
    took
}

fn vm(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse().ok())
        .unwrap_or(0)
}

/// The child: saves a small file (to warm everything up), then 1 GB; prints VmHWM kB.
async fn child(base: &str, dir: &Path) {
    let lib = Library::open(dir.to_path_buf());
    lib.save(&request(0, format!("{base}/{}/warm.mp4", 4 * BLOCK)))
        .await
        .expect("warm-up");
    let before = vm("VmHWM:");
    let gb = 1_000_000_000;
    lib.save(&request(1, format!("{base}/{gb}/big.mp4")))
        .await
        .expect("1 GB saved");
    let after = vm("VmHWM:");
    println!("HWM {before} {after}");
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    if let (Ok(base), Ok(dir)) = (
        std::env::var("LIBRARY_BENCH_CHILD"),
        std::env::var("LIBRARY_BENCH_DIR"),
    ) {
        rt.block_on(child(&base, Path::new(&dir)));
        return;
    }
    // cargo bench passes --bench; nothing else is read from the arguments.
    let files: usize = std::env::var("LIBRARY_BENCH_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let mb: usize = std::env::var("LIBRARY_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let size = mb * 1_000_000;
    let tmp = tempfile::tempdir().expect("tempdir");
    let base = rt.block_on(start_server());

    println!(
        "library_save: {files} videos of {mb} MB, 3 at a time, loopback, into {}",
        tmp.path().display()
    );
    let mut ratios = Vec::new();
    for round in 0..3 {
        let curl_dir = tmp.path().join(format!("curl{round}"));
        let lib_dir = tmp.path().join(format!("lib{round}"));
        let base2 = base.clone();
        // curl runs while this runtime keeps serving.
        let curl = rt.block_on(async {
            let d = curl_dir.clone();
            tokio::task::spawn_blocking(move || curl_run(&base2, files, size, &d))
                .await
                .expect("curl")
        });
        let lib = rt.block_on(library_run(&base, files, size, &lib_dir));
        let ratio = lib.as_secs_f64() / curl.as_secs_f64();
        println!(
            "  round {round}: curl {:.2} s, library {:.2} s ({:.0} MB/s), ratio {ratio:.2} (bound 1.2)",
            curl.as_secs_f64(),
            lib.as_secs_f64(),
            (files * size) as f64 / 1e6 / lib.as_secs_f64()
        );
        ratios.push(ratio);
        let _ = std::fs::remove_dir_all(&curl_dir);
        let _ = std::fs::remove_dir_all(&lib_dir);
    }
    ratios.sort_by(f64::total_cmp);
    println!("  median ratio {:.2}", ratios[1]);

    // Memory, in a child process so this process's own allocations do not count.
    let child_dir = tmp.path().join("rss");
    let exe = std::env::current_exe().expect("exe");
    let base2 = base.clone();
    let out = rt.block_on(async move {
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(exe)
                .env("LIBRARY_BENCH_CHILD", base2)
                .env("LIBRARY_BENCH_DIR", &child_dir)
                .output()
                .expect("child")
        })
        .await
        .expect("join")
    });
    let text = String::from_utf8_lossy(&out.stdout);
    if let Some(line) = text.lines().find(|l| l.starts_with("HWM ")) {
        let kb: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .filter_map(|v| v.parse().ok())
            .collect();
        if let [before, after] = kb[..] {
            println!(
                "memory: peak RSS {:.1} MB before, {:.1} MB after saving 1 GB: +{:.1} MB (bound +20 MB)",
                before as f64 / 1024.0,
                after as f64 / 1024.0,
                (after.saturating_sub(before)) as f64 / 1024.0
            );
        }
    } else {
        println!(
            "memory: the child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(tmp.path().join("rss"));

    // Recognising 10 000 saved files: the window's start, from its history
    // (`Library::recognise_saved`: one stat per file on the blocking pool, each task's
    // state set), and the bare stats it wraps.
    let known = make_files(&tmp.path().join("many"), 10_000);
    let tasks: Vec<Arc<SavedTask>> = known
        .iter()
        .enumerate()
        .map(|(i, (path, size))| {
            Arc::new(SavedTask {
                id: format!("{i:08x}-0000-4000-8000-000000000000"),
                video: SavedFile {
                    path: path.clone(),
                    size: *size,
                    sha256: String::new(),
                },
                last_frame: None,
                sidecar: None,
                last_frame_error: None,
            })
        })
        .collect();
    let library = Library::open(tmp.path().join("many"));
    let mut times = Vec::new();
    let mut bare = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let found = rt.block_on(library.recognise_saved(tasks.clone()));
        times.push(started.elapsed());
        assert!(found.iter().all(|(_, s)| matches!(s, SaveState::Saved(_))));
        let started = Instant::now();
        let stats = recognise_blocking(&known);
        bare.push(started.elapsed());
        assert!(
            stats
                .iter()
                .all(|p| *p == seedance_tasks::library::Presence::Present)
        );
    }
    times.sort();
    bare.sort();
    println!(
        "recognise: 10 000 saved tasks from the history in {:.1} ms median ({:.1} ms slowest \
         of 5; bound 300 ms); the stats alone {:.1} ms",
        times[2].as_secs_f64() * 1000.0,
        times[4].as_secs_f64() * 1000.0,
        bare[2].as_secs_f64() * 1000.0
    );
}

/// 10 000 files of 100 bytes over 10 month folders, as (path, size).
fn make_files(dir: &Path, n: usize) -> Vec<(PathBuf, u64)> {
    (0..n)
        .map(|i| {
            let month = dir.join(format!("2026-{:02}", i % 10 + 1));
            std::fs::create_dir_all(&month).expect("dir");
            let path = month.join(format!(
                "2026-01-01 10.00 a prompt of some length-{i:08x}.mp4"
            ));
            std::fs::write(&path, [0u8; 100]).expect("write");
            (path, 100)
        })
        .collect()
}
