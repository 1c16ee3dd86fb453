//! Downloads against a real HTTP server on loopback: streaming to `.part`, skipping,
//! failures, retries, cancel and the concurrency limit.

#[path = "common/files.rs"]
mod files;

use files::FileServer;
use seedance_tasks::download::{DownloadEvent, DownloadJob, Downloads, FileKind, http_client};
use seedance_tasks::library::RetryPolicy;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

/// Only a guard against hangs; nothing here waits on time to be correct.
const HANG_GUARD: Duration = Duration::from_secs(30);

fn job(task_id: &str, kind: FileKind, url: String) -> DownloadJob {
    DownloadJob {
        task_id: task_id.into(),
        kind,
        url,
    }
}

fn video(task_id: &str, url: String) -> DownloadJob {
    job(task_id, FileKind::Video, url)
}

/// An MP4's first box (the fetcher checks it), then bytes that differ along the file, so
/// a reordered or truncated copy is noticed.
fn content(len: usize, seed: u8) -> Vec<u8> {
    let mut bytes = b"\0\0\0\x18ftypisom\0\0\x02\0".to_vec();
    bytes.extend((bytes.len()..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)));
    bytes.truncate(len);
    bytes
}

/// A JPEG's magic bytes, then the same pattern.
fn jpeg(len: usize, seed: u8) -> Vec<u8> {
    let mut bytes = content(len, seed);
    bytes[..12].copy_from_slice(b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01");
    bytes
}

async fn next(rx: &mut UnboundedReceiver<DownloadEvent>) -> Option<DownloadEvent> {
    tokio::time::timeout(HANG_GUARD, rx.recv())
        .await
        .expect("download events stalled")
}

/// All events up to and including `Finished`; the channel must close right after it.
async fn collect(rx: &mut UnboundedReceiver<DownloadEvent>) -> Vec<DownloadEvent> {
    let mut events = Vec::new();
    loop {
        let event = next(rx).await.expect("channel closed before Finished");
        let finished = event == DownloadEvent::Finished;
        events.push(event);
        if finished {
            break;
        }
    }
    assert_eq!(next(rx).await, None, "events after Finished");
    events
}

fn final_job(event: &DownloadEvent) -> Option<&DownloadJob> {
    match event {
        DownloadEvent::Skipped { job, .. }
        | DownloadEvent::Done { job, .. }
        | DownloadEvent::Failed { job, .. }
        | DownloadEvent::Cancelled { job } => Some(job),
        _ => None,
    }
}

/// Each job ends exactly once, nothing about a job follows its end, and Finished is last.
fn check_contract(jobs: &[DownloadJob], events: &[DownloadEvent]) {
    assert_eq!(events.last(), Some(&DownloadEvent::Finished));
    assert_eq!(
        events
            .iter()
            .filter(|e| **e == DownloadEvent::Finished)
            .count(),
        1
    );
    for j in jobs {
        let ends: Vec<usize> = events
            .iter()
            .enumerate()
            .filter(|(_, e)| final_job(e) == Some(j))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(
            ends.len(),
            1,
            "{j:?} ended {} times: {events:#?}",
            ends.len()
        );
        let after_end = events[ends[0] + 1..].iter().any(|e| match e {
            DownloadEvent::Started { job, .. } | DownloadEvent::Progress { job, .. } => job == j,
            _ => false,
        });
        assert!(!after_end, "{j:?} had events after its end");
    }
}

fn outcome<'a>(events: &'a [DownloadEvent], j: &DownloadJob) -> &'a DownloadEvent {
    events
        .iter()
        .find(|e| final_job(e) == Some(j))
        .expect("job has a final event")
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| name.ends_with(".part"))
                .collect()
        })
        .unwrap_or_default()
}

/// Until `n` requests are being answered (held ones included).
async fn wait_in_flight(server: &FileServer, n: usize) {
    tokio::time::timeout(HANG_GUARD, async {
        while server.in_flight() < n {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{n} requests in flight"));
}

fn start(
    dir: &Path,
    jobs: &[DownloadJob],
    concurrency: usize,
) -> (Downloads, UnboundedReceiver<DownloadEvent>) {
    Downloads::start(
        http_client(),
        dir.to_path_buf(),
        jobs.to_vec(),
        concurrency,
        None,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_land_complete_under_their_final_names() {
    let server = FileServer::start().await;
    let movie = content(300_000, 1);
    let frame = jpeg(5_000, 2);
    server.put("/v/a.mp4", movie.clone());
    server.put("/f/a.jpg", frame.clone());
    let tmp = tempfile::tempdir().expect("tempdir");
    // A folder that does not exist yet is created.
    let dir = tmp.path().join("out").join("videos");
    let jobs = [
        video("task-a", server.url("/v/a.mp4")),
        job("task-a", FileKind::LastFrame, server.url("/f/a.jpg")),
    ];
    let notified = Arc::new(AtomicUsize::new(0));
    let counter = notified.clone();
    let (_handle, mut rx) = Downloads::start(
        http_client(),
        dir.clone(),
        jobs.to_vec(),
        2,
        Some(Arc::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        })),
    );
    let events = collect(&mut rx).await;
    check_contract(&jobs, &events);

    let video_path = dir.join("task-a.mp4");
    let frame_path = dir.join("task-a-last-frame.jpg");
    assert_eq!(
        outcome(&events, &jobs[0]),
        &DownloadEvent::Done {
            job: jobs[0].clone(),
            path: video_path.clone(),
            bytes: movie.len() as u64
        }
    );
    assert_eq!(
        outcome(&events, &jobs[1]),
        &DownloadEvent::Done {
            job: jobs[1].clone(),
            path: frame_path.clone(),
            bytes: frame.len() as u64
        }
    );
    assert_eq!(std::fs::read(&video_path).expect("video"), movie);
    assert_eq!(std::fs::read(&frame_path).expect("frame"), frame);
    assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
    assert_eq!(notified.load(Ordering::SeqCst), events.len());

    // Public CDN links: our own user agent, and never the API token.
    assert!(server.user_agents().iter().all(|ua| {
        ua.as_deref()
            .is_some_and(|ua| ua.starts_with("seedance-tasks/"))
    }));
    assert!(server.authorizations().iter().all(Option::is_none));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_reports_totals_and_ends_at_the_full_size() {
    let server = FileServer::start().await;
    let body = content(2_000_000, 3);
    server.put("/big.mp4", body.clone());
    let tmp = tempfile::tempdir().expect("tempdir");
    let jobs = [video("big", server.url("/big.mp4"))];
    let (_handle, mut rx) = start(tmp.path(), &jobs, 1);
    let events = collect(&mut rx).await;
    check_contract(&jobs, &events);

    let total = Some(body.len() as u64);
    assert_eq!(
        events.first(),
        Some(&DownloadEvent::Started {
            job: jobs[0].clone(),
            total
        })
    );
    let progress: Vec<(u64, Option<u64>)> = events
        .iter()
        .filter_map(|e| match e {
            DownloadEvent::Progress {
                received, total, ..
            } => Some((*received, *total)),
            _ => None,
        })
        .collect();
    assert!(!progress.is_empty());
    assert!(progress.iter().all(|(_, t)| *t == total));
    assert!(progress.windows(2).all(|w| w[0].0 < w[1].0), "{progress:?}");
    assert_eq!(progress.last().map(|p| p.0), Some(body.len() as u64));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn existing_files_are_skipped_without_a_request() {
    let server = FileServer::start().await;
    server.put("/v/s.mp4", content(1000, 4));
    let tmp = tempfile::tempdir().expect("tempdir");
    let existing = tmp.path().join("s.mp4");
    std::fs::write(&existing, b"already here").expect("write");
    let jobs = [video("s", server.url("/v/s.mp4"))];
    let (_handle, mut rx) = start(tmp.path(), &jobs, 2);
    let events = collect(&mut rx).await;
    check_contract(&jobs, &events);
    assert_eq!(
        events,
        [
            DownloadEvent::Skipped {
                job: jobs[0].clone(),
                path: existing.clone()
            },
            DownloadEvent::Finished
        ]
    );
    assert_eq!(server.requests("/v/s.mp4"), 0);
    assert_eq!(std::fs::read(&existing).expect("read"), b"already here");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_404_fails_as_gone() {
    let server = FileServer::start().await;
    let tmp = tempfile::tempdir().expect("tempdir");
    let jobs = [video("gone", server.url("/nothing.mp4"))];
    let (_handle, mut rx) = start(tmp.path(), &jobs, 2);
    let events = collect(&mut rx).await;
    check_contract(&jobs, &events);
    assert_eq!(
        outcome(&events, &jobs[0]),
        &DownloadEvent::Failed {
            job: jobs[0].clone(),
            error: "the link has expired; the video is no longer available".into()
        }
    );
    assert!(!tmp.path().join("gone.mp4").exists());
    assert!(leftovers(tmp.path()).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_on_every_try_fails_cleanly_and_a_retry_succeeds() {
    let server = FileServer::start().await;
    let body = content(1_500_000, 5);
    server.put("/v/d.mp4", body.clone());
    // Dropped at the same byte on every try, and this server ignores Range: the fetcher
    // starts over each time, gains nothing, and gives up after its tries.
    server.set_drop_after("/v/d.mp4", 1_200_000);
    let tmp = tempfile::tempdir().expect("tempdir");
    let jobs = [video("d", server.url("/v/d.mp4"))];

    let (_handle, mut rx) = start(tmp.path(), &jobs, 1);
    let events = collect(&mut rx).await;
    check_contract(&jobs, &events);
    match outcome(&events, &jobs[0]) {
        DownloadEvent::Failed { error, .. } => {
            assert!(error.starts_with("connection dropped after"), "{error}");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    assert!(!tmp.path().join("d.mp4").exists());
    assert!(
        leftovers(tmp.path()).is_empty(),
        "{:?}",
        leftovers(tmp.path())
    );

    server.clear_faults("/v/d.mp4");
    let (_handle, mut rx) = start(tmp.path(), &jobs, 1);
    let events = collect(&mut rx).await;
    check_contract(&jobs, &events);
    assert!(matches!(
        outcome(&events, &jobs[0]),
        DownloadEvent::Done { bytes, .. } if *bytes == body.len() as u64
    ));
    assert_eq!(std::fs::read(tmp.path().join("d.mp4")).expect("read"), body);
    let tries = RetryPolicy::default().tries_without_progress as usize;
    assert_eq!(server.requests("/v/d.mp4"), tries + 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_running_and_queued_jobs_and_removes_part_files() {
    let server = FileServer::start().await;
    server.put("/v/1.mp4", content(1_000_000, 6));
    server.put("/v/2.mp4", content(1_000, 7));
    server.put("/v/3.mp4", content(1_000, 8));
    // The first download stays in flight, mid-body, until it is cancelled.
    server.set_stall_after("/v/1.mp4", 100_000);
    let tmp = tempfile::tempdir().expect("tempdir");
    let jobs = [
        video("one", server.url("/v/1.mp4")),
        video("two", server.url("/v/2.mp4")),
        video("three", server.url("/v/3.mp4")),
    ];
    let (handle, mut rx) = start(tmp.path(), &jobs, 1);

    let mut events = Vec::new();
    loop {
        let event = next(&mut rx).await.expect("events");
        let started = matches!(&event, DownloadEvent::Started { job, .. } if *job == jobs[0]);
        events.push(event);
        if started {
            break;
        }
    }
    assert_eq!(leftovers(tmp.path()), ["one.mp4.part"]);
    handle.cancel();
    events.extend(collect(&mut rx).await);
    check_contract(&jobs, &events);
    for j in &jobs {
        assert_eq!(
            outcome(&events, j),
            &DownloadEvent::Cancelled { job: j.clone() }
        );
    }
    assert!(
        leftovers(tmp.path()).is_empty(),
        "{:?}",
        leftovers(tmp.path())
    );
    assert!(!tmp.path().join("one.mp4").exists());
    // The queued jobs never reached the server.
    assert_eq!(server.requests("/v/2.mp4") + server.requests("/v/3.mp4"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_right_after_start_ends_every_job() {
    let server = FileServer::start().await;
    let jobs: Vec<DownloadJob> = (0..5)
        .map(|i| {
            let path = format!("/v/{i}.mp4");
            server.put(&path, content(10_000, i as u8));
            video(&format!("t{i}"), server.url(&path))
        })
        .collect();
    let tmp = tempfile::tempdir().expect("tempdir");
    let (handle, mut rx) = start(tmp.path(), &jobs, 2);
    handle.cancel();
    let events = collect(&mut rx).await;
    check_contract(&jobs, &events);
    // However far each got, nothing half-written stays behind.
    assert!(
        leftovers(tmp.path()).is_empty(),
        "{:?}",
        leftovers(tmp.path())
    );
    for j in &jobs {
        if let DownloadEvent::Done { path, .. } = outcome(&events, j) {
            assert_eq!(std::fs::read(path).expect("read").len(), 10_000);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrency_limit_is_respected() {
    let server = FileServer::start().await;
    let jobs: Vec<DownloadJob> = (0..6)
        .map(|i| {
            let path = format!("/c/{i}.mp4");
            server.put(&path, content(50_000, i as u8));
            video(&format!("c{i}"), server.url(&path))
        })
        .collect();
    let tmp = tempfile::tempdir().expect("tempdir");
    server.hold();
    let (_handle, mut rx) = start(tmp.path(), &jobs, 2);

    // With every answer held back, the client fills exactly its two slots.
    wait_in_flight(&server, 2).await;
    server.release();

    let events = collect(&mut rx).await;
    check_contract(&jobs, &events);
    assert!(
        events
            .iter()
            .all(|e| !matches!(e, DownloadEvent::Failed { .. })),
        "{events:#?}"
    );
    assert_eq!(server.max_in_flight(), 2);
    assert_eq!(server.total_requests(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_for_the_same_file_download_once() {
    let server = FileServer::start().await;
    let body = content(20_000, 9);
    server.put("/v/same.mp4", body.clone());
    let tmp = tempfile::tempdir().expect("tempdir");
    let jobs = [
        video("same", server.url("/v/same.mp4")),
        video("same", server.url("/v/same.mp4?again")),
    ];
    let (_handle, mut rx) = start(tmp.path(), &jobs, 2);
    let events = collect(&mut rx).await;
    check_contract(&jobs, &events);
    for j in &jobs {
        assert!(matches!(outcome(&events, j), DownloadEvent::Done { .. }));
    }
    assert_eq!(server.requests("/v/same.mp4"), 1);
    assert_eq!(
        std::fs::read(tmp.path().join("same.mp4")).expect("read"),
        body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_batches_wanting_one_file_write_it_once() {
    let server = FileServer::start().await;
    let body = content(30_000, 10);
    server.put("/v/twice.mp4", body.clone());
    let tmp = tempfile::tempdir().expect("tempdir");
    let job = [video("twice", server.url("/v/twice.mp4"))];
    server.hold();
    let (_first, mut first_rx) = start(tmp.path(), &job, 2);
    wait_in_flight(&server, 1).await;
    // The second batch starts while the first is writing the file.
    let (_second, mut second_rx) = start(tmp.path(), &job, 2);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(server.requests("/v/twice.mp4"), 1, "the second batch waits");
    server.release();

    let first = collect(&mut first_rx).await;
    let second = collect(&mut second_rx).await;
    check_contract(&job, &first);
    check_contract(&job, &second);
    assert!(
        matches!(outcome(&first, &job[0]), DownloadEvent::Done { .. }),
        "{first:#?}"
    );
    assert!(
        matches!(outcome(&second, &job[0]), DownloadEvent::Skipped { .. }),
        "{second:#?}"
    );
    assert_eq!(server.requests("/v/twice.mp4"), 1);
    assert_eq!(
        std::fs::read(tmp.path().join("twice.mp4")).expect("read"),
        body
    );
    assert!(
        leftovers(tmp.path()).is_empty(),
        "{:?}",
        leftovers(tmp.path())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unusable_folder_fails_every_job() {
    let server = FileServer::start().await;
    server.put("/v/x.mp4", content(100, 10));
    let tmp = tempfile::tempdir().expect("tempdir");
    // A regular file where a folder should be: fails even when running as root.
    let blocker = tmp.path().join("blocker");
    std::fs::write(&blocker, b"file").expect("write");
    let jobs = [
        video("x", server.url("/v/x.mp4")),
        job("x", FileKind::LastFrame, server.url("/v/x.png")),
    ];
    let (_handle, mut rx) = start(&blocker.join("sub"), &jobs, 2);
    let events = collect(&mut rx).await;
    check_contract(&jobs, &events);
    let errors: HashMap<&str, &str> = events
        .iter()
        .filter_map(|e| match e {
            DownloadEvent::Failed { job, error } => Some((job.url.as_str(), error.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(errors.len(), 2);
    for error in errors.values() {
        assert!(error.starts_with("cannot create "), "{error}");
    }
    assert_eq!(server.total_requests(), 0);
}

fn failure(events: &[DownloadEvent], j: &DownloadJob) -> String {
    match outcome(events, j) {
        DownloadEvent::Failed { error, .. } => error.clone(),
        other => panic!("{j:?} did not fail: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_off_the_web_or_in_clear_text_are_refused_before_any_request() {
    let jobs = [
        video("file", "file:///etc/passwd".into()),
        video("winpath", r"C:\Windows\System32\calc.exe".into()),
        // TEST-NET-1 (RFC 5737): refused before any connection, so nothing is sent there.
        video("remote", "http://192.0.2.1/x.mp4".into()),
        video("demo", "https://demo.invalid/seedance/x.mp4".into()),
    ];
    let tmp = tempfile::tempdir().expect("tempdir");
    let (_handle, mut rx) = start(tmp.path(), &jobs, 2);
    let events = collect(&mut rx).await;
    check_contract(&jobs, &events);
    assert!(failure(&events, &jobs[0]).starts_with("not a web link"));
    assert!(failure(&events, &jobs[1]).starts_with("not a web link"));
    assert!(failure(&events, &jobs[2]).starts_with("not a secure link"));
    assert!(failure(&events, &jobs[3]).contains("demo"));
    assert!(leftovers(tmp.path()).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_followed_only_to_fetchable_links() {
    let server = FileServer::start().await;
    let movie = content(20_000, 7);
    server.put("/real.mp4", movie.clone());
    // On this computer, plain http to plain http is fine.
    server.redirect("/moved.mp4", &server.url("/real.mp4"));
    server.redirect("/to-file.mp4", "file:///etc/passwd");
    server.redirect("/to-remote.mp4", "http://192.0.2.1/x.mp4");
    server.redirect("/to-js.mp4", "javascript:alert(1)");
    let jobs = [
        video("moved", server.url("/moved.mp4")),
        video("to-file", server.url("/to-file.mp4")),
        video("to-remote", server.url("/to-remote.mp4")),
        video("to-js", server.url("/to-js.mp4")),
    ];
    let tmp = tempfile::tempdir().expect("tempdir");
    let (_handle, mut rx) = start(tmp.path(), &jobs, 2);
    let events = collect(&mut rx).await;
    check_contract(&jobs, &events);

    match outcome(&events, &jobs[0]) {
        DownloadEvent::Done { path, .. } => {
            assert_eq!(std::fs::read(path).expect("saved"), movie);
        }
        other => panic!("the loopback redirect was not followed: {other:?}"),
    }
    let to_file = failure(&events, &jobs[1]);
    assert!(
        to_file.contains("refused a redirect: not a web link"),
        "{to_file}"
    );
    // The refusal names the hop; "cannot connect" would mean it had been tried.
    let to_remote = failure(&events, &jobs[2]);
    assert!(
        to_remote.contains("refused a redirect: not a secure link: http://192.0.2.1/x.mp4"),
        "{to_remote}"
    );
    assert!(failure(&events, &jobs[3]).contains("not a web link"));
    assert_eq!(server.requests("/real.mp4"), 1);
    assert!(leftovers(tmp.path()).is_empty());
}
