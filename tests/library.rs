//! The library against a loopback CDN that serves a real MP4 (made by ffmpeg, in
//! tests/fixtures) and misbehaves: cut halfway, a 200 that ignores Range, an HTML page, a
//! 403 XML, a slow trickle; a full disk; a restart; hostile prompts in file names.

#[path = "common/cdn.rs"]
mod cdn;

use cdn::{Cdn, Fault};
use seedance_tasks::library::{
    Library, RetryPolicy, SaveRequest, SaveState, Verified, VerifyOutcome, sidecar::Sidecar,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;

const ID: &str = "d9e576bd-1111-4000-8000-000000000001";

fn mp4() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/library-testsrc.mp4"
    ))
    .expect("fixture")
}

fn png() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/library-last-frame.png"
    ))
    .expect("fixture")
}

/// The real MP4 followed by a `free` box: still a valid MP4, of about `len` bytes.
fn big_mp4(len: usize) -> Vec<u8> {
    let mut bytes = mp4();
    let pad = len.saturating_sub(bytes.len()).max(8);
    bytes.extend_from_slice(&(pad as u32).to_be_bytes());
    bytes.extend_from_slice(b"free");
    bytes.extend((0..pad - 8).map(|i| (i % 251) as u8));
    bytes
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn quick() -> RetryPolicy {
    RetryPolicy {
        tries_without_progress: 3,
        first_wait: Duration::from_millis(10),
        max_wait: Duration::from_millis(50),
    }
}

fn library(root: &Path) -> Library {
    Library::builder(root.to_path_buf()).retry(quick()).open()
}

fn request(id: &str, prompt: &str, video: String, frame: Option<String>) -> SaveRequest {
    SaveRequest {
        id: id.into(),
        prompt: Some(prompt.into()),
        created_at: Some(1_796_155_260.0),
        video_url: Some(video),
        last_frame_url: frame,
        request: json!({"model": "doubao-seedance-1-0-pro-250528",
            "content": [{"type": "text", "text": prompt}], "resolution": "720p"}),
        response: json!({"success": true, "task_id": id, "data": {"status": "succeeded"}}),
    }
}

/// Every file under `root`, relative, sorted.
fn files(root: &Path) -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                out.push(
                    path.strip_prefix(root)
                        .expect("inside")
                        .display()
                        .to_string(),
                );
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

#[tokio::test]
async fn a_task_is_saved_whole_with_its_last_frame_and_sidecar() {
    let cdn = Cdn::start().await;
    cdn.put("/v.mp4", mp4());
    cdn.put("/f.png", png());
    let tmp = tempfile::tempdir().expect("tempdir");
    let lib = library(tmp.path());
    let req = request(
        ID,
        "A paper boat drifts down a rain-soaked street",
        cdn.url("/v.mp4"),
        Some(cdn.url("/f.png")),
    );
    let saved = lib.save(&req).await.expect("saved");

    let name = saved
        .video
        .path
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert!(
        name.ends_with(" A paper boat drifts down a rain-soaked street-d9e576bd.mp4"),
        "{name}"
    );
    let month = saved.video.path.parent().expect("month");
    assert_eq!(month.parent(), Some(tmp.path()));
    assert_eq!(month.file_name().expect("m").len(), "2026-12".len());
    assert_eq!(std::fs::read(&saved.video.path).expect("video"), mp4());
    assert_eq!(saved.video.sha256, sha256(&mp4()));
    let frame = saved.last_frame.clone().expect("last frame");
    assert!(
        frame
            .path
            .to_string_lossy()
            .ends_with("-d9e576bd.last-frame.png")
    );
    assert_eq!(std::fs::read(&frame.path).expect("frame"), png());
    assert_eq!(saved.last_frame_error, None);

    let sidecar_path = saved.sidecar.clone().expect("sidecar");
    assert_eq!(sidecar_path, saved.video.path.with_extension("json"));
    let value: Value =
        serde_json::from_slice(&std::fs::read(&sidecar_path).expect("read")).expect("json");
    assert_eq!(value["id"], ID);
    assert_eq!(value["request"], req.request);
    assert_eq!(value["response"], req.response);
    assert_eq!(value["sha256"], sha256(&mp4()));
    assert_eq!(value["size"], mp4().len());
    assert_eq!(value["source"], cdn.url("/v.mp4"));
    assert!(value["saved_at"].as_str().is_some_and(|s| s.ends_with('Z')));
    assert_eq!(value["last_frame"]["sha256"], sha256(&png()));
    // Three files, none of them a .part.
    assert_eq!(files(tmp.path()).len(), 3, "{:?}", files(tmp.path()));
    assert!(matches!(lib.state(ID), Some(SaveState::Saved(_))));
    assert_eq!(lib.verify(&saved.video).await, Verified::Intact);
}

#[tokio::test]
async fn a_cut_halfway_is_resumed_with_range() {
    let cdn = Cdn::start().await;
    let body = big_mp4(200_000);
    cdn.put("/cut.mp4", body.clone());
    cdn.fault("/cut.mp4", Fault::CutOnce(100_000));
    let tmp = tempfile::tempdir().expect("tempdir");
    let saved = library(tmp.path())
        .save(&request(ID, "cut", cdn.url("/cut.mp4"), None))
        .await
        .expect("saved after the cut");
    assert_eq!(std::fs::read(&saved.video.path).expect("read"), body);
    assert_eq!(saved.video.sha256, sha256(&body));
    assert_eq!(cdn.ranges("/cut.mp4"), [None, Some("bytes=100000-".into())]);
}

#[tokio::test]
async fn a_200_that_ignores_range_starts_over() {
    let cdn = Cdn::start().await;
    let body = big_mp4(200_000);
    cdn.put("/whole.mp4", body.clone());
    cdn.fault("/whole.mp4", Fault::IgnoreRangeCutOnce(120_000));
    let tmp = tempfile::tempdir().expect("tempdir");
    let saved = library(tmp.path())
        .save(&request(ID, "again", cdn.url("/whole.mp4"), None))
        .await
        .expect("saved from the start");
    // Had the second body been appended at 120 000, the file would be longer and wrong.
    assert_eq!(std::fs::read(&saved.video.path).expect("read"), body);
    assert_eq!(saved.video.sha256, sha256(&body));
    assert_eq!(cdn.ranges("/whole.mp4").len(), 2);
}

#[tokio::test]
async fn an_html_page_is_refused_and_leaves_nothing() {
    let cdn = Cdn::start().await;
    cdn.put("/page.mp4", mp4());
    cdn.fault("/page.mp4", Fault::Html);
    let tmp = tempfile::tempdir().expect("tempdir");
    let lib = library(tmp.path());
    let err = lib
        .save(&request(ID, "html", cdn.url("/page.mp4"), None))
        .await
        .expect_err("refused");
    assert_eq!(err.reason, "not a video: the link answered text/html");
    assert!(!err.retryable && !err.gone);
    assert_eq!(cdn.ranges("/page.mp4").len(), 1, "not retried");
    assert!(files(tmp.path()).is_empty(), "{:?}", files(tmp.path()));
    assert!(matches!(
        lib.state(ID),
        Some(SaveState::Failed {
            retryable: false,
            ..
        })
    ));
}

#[tokio::test]
async fn an_expired_link_is_gone_and_not_asked_again() {
    let cdn = Cdn::start().await;
    cdn.put("/old.mp4", mp4());
    cdn.fault("/old.mp4", Fault::Expired);
    let tmp = tempfile::tempdir().expect("tempdir");
    let lib = library(tmp.path());
    let req = request(ID, "old", cdn.url("/old.mp4"), None);
    let err = lib.save(&req).await.expect_err("gone");
    assert_eq!(
        err.reason,
        "the link has expired; the video is no longer available"
    );
    assert!(err.gone && !err.retryable);
    assert_eq!(lib.state(ID), Some(SaveState::Gone));
    let again = lib.save(&req).await.expect_err("still gone");
    assert!(again.gone);
    assert_eq!(cdn.ranges("/old.mp4").len(), 1);
    assert!(files(tmp.path()).is_empty());
}

#[tokio::test]
async fn a_slow_server_is_waited_for() {
    let cdn = Cdn::start().await;
    let body = big_mp4(60_000);
    cdn.put("/slow.mp4", body.clone());
    cdn.fault("/slow.mp4", Fault::Slow(4_000, Duration::from_millis(20)));
    let tmp = tempfile::tempdir().expect("tempdir");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let lib = Library::builder(tmp.path().to_path_buf())
        .retry(quick())
        .events(tx, None)
        .open();
    let saved = lib
        .save(&request(ID, "slow", cdn.url("/slow.mp4"), None))
        .await
        .expect("saved");
    assert_eq!(std::fs::read(&saved.video.path).expect("read"), body);
    let mut progress = Vec::new();
    while let Ok(event) = rx.try_recv() {
        if let seedance_tasks::library::LibraryEvent::Progress {
            received, total, ..
        } = event
        {
            assert_eq!(total, Some(body.len() as u64));
            progress.push(received);
        }
    }
    assert!(progress.len() >= 2, "{progress:?}");
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{progress:?}");
    assert_eq!(progress.last(), Some(&(body.len() as u64)));
}

#[tokio::test]
async fn a_restart_fetches_nothing_already_saved() {
    let cdn = Cdn::start().await;
    cdn.put("/v.mp4", mp4());
    cdn.put("/f.png", png());
    let tmp = tempfile::tempdir().expect("tempdir");
    let req = request(ID, "kept", cdn.url("/v.mp4"), Some(cdn.url("/f.png")));
    let first = library(tmp.path()).save(&req).await.expect("saved");
    let sidecar_before = std::fs::read(first.sidecar.as_ref().expect("sidecar")).expect("read");
    let requests = cdn.total_requests();

    // A new handle, as after a restart: the sidecar says it is saved.
    let lib = library(tmp.path());
    assert_eq!(
        lib.find(&req).await.map(|s| s.video),
        Some(first.video.clone())
    );
    let again = lib.save(&req).await.expect("still saved");
    assert_eq!(again.video, first.video);
    assert_eq!(again.last_frame, first.last_frame);
    assert_eq!(cdn.total_requests(), requests, "nothing fetched again");
    // Nothing written either.
    assert_eq!(
        std::fs::read(first.sidecar.as_ref().expect("sidecar")).expect("read"),
        sidecar_before
    );

    // A deleted video is fetched again; the sidecar is rewritten to match.
    std::fs::remove_file(&first.video.path).expect("rm");
    assert_eq!(lib.find(&req).await, None);
    lib.save(&req).await.expect("saved again");
    assert_eq!(cdn.ranges("/v.mp4").len(), 2);
}

/// Two tasks with one short name (the same minute, prompt and first 8 id characters): the
/// one never saved is not taken for a removed copy of the other.
#[tokio::test]
async fn a_task_sharing_a_saved_tasks_name_is_not_found_or_removed() {
    let cdn = Cdn::start().await;
    cdn.put("/v.mp4", mp4());
    let tmp = tempfile::tempdir().expect("tempdir");
    let lib = library(tmp.path());
    let saved = request(ID, "twin", cdn.url("/v.mp4"), None);
    let twin_id = format!("{}ffffffffffff", &ID[..ID.len() - 12]);
    assert_ne!(twin_id, ID);
    assert_eq!(twin_id[..8], ID[..8]);
    let twin = request(&twin_id, "twin", cdn.url("/v.mp4"), None);
    let first = lib.save(&saved).await.expect("saved");
    assert!(matches!(
        lib.look_up(&saved).await,
        Some(SaveState::Saved(_))
    ));
    assert_eq!(lib.look_up(&twin).await, None, "the twin was never saved");
    assert_eq!(lib.find(&twin).await, None);
    // Its video deleted, the saved one reads as removed.
    std::fs::remove_file(&first.video.path).expect("rm");
    assert_eq!(lib.look_up(&saved).await, Some(SaveState::Removed));
}

#[tokio::test]
async fn hostile_and_cjk_prompts_name_files_inside_the_library() {
    let cdn = Cdn::start().await;
    cdn.put("/v.mp4", mp4());
    let tmp = tempfile::tempdir().expect("tempdir");
    let lib = library(tmp.path());
    let prompts = [
        "../../etc".to_owned(),
        "x".repeat(300),
        "?!.,;:*<>|\"'".to_owned(),
        "一只纸船顺着被雨水浸透的街道漂流而下，霓虹灯倒映在水面上，镜头缓缓跟随，电影感十足"
            .to_owned(),
        "/".to_owned(),
        "..".to_owned(),
        "C:\\Windows\\evil\r\nline".to_owned(),
    ];
    for (i, prompt) in prompts.iter().enumerate() {
        let id = format!("{i:08x}-2222-4000-8000-000000000000");
        let saved = lib
            .save(&request(&id, prompt, cdn.url("/v.mp4"), None))
            .await
            .unwrap_or_else(|e| panic!("{prompt:?}: {e}"));
        let path: &PathBuf = &saved.video.path;
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        assert_eq!(
            path.parent().and_then(Path::parent),
            Some(tmp.path()),
            "{path:?}"
        );
        assert!(name.len() <= 150, "{name}");
        assert!(
            name.ends_with(&format!("-{}.mp4", &id[..8]))
                || name.ends_with(&format!(" {}.mp4", &id[..8])),
            "{name}"
        );
        assert!(
            !name.contains(['/', '\\', ':', '*', '?', '"', '<', '>', '|', '\r', '\n']),
            "{name}"
        );
        let sidecar: Sidecar =
            serde_json::from_slice(&std::fs::read(path.with_extension("json")).expect("sidecar"))
                .expect("json");
        assert_eq!(sidecar.id, id);
    }
    let cjk = files(tmp.path());
    assert!(cjk.iter().any(|f| f.contains("一只纸船")), "{cjk:?}");
    assert!(!tmp.path().parent().expect("tmp").join("etc").exists());
}

/// A library on a 64 kB tmpfs: the disk fills mid-video. Needs root (mount); skipped
/// elsewhere unless SEEDANCE_REQUIRE_TINYFS=1.
#[tokio::test]
async fn a_full_disk_removes_the_part_and_says_so() {
    let required = std::env::var_os("SEEDANCE_REQUIRE_TINYFS").is_some_and(|v| v == "1");
    let tmp = tempfile::tempdir().expect("tempdir");
    let mount = tmp.path().join("tiny");
    std::fs::create_dir(&mount).expect("mkdir");
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(&mount)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        assert!(
            !required,
            "SEEDANCE_REQUIRE_TINYFS=1 but a tmpfs could not be mounted"
        );
        eprintln!("skipped: cannot mount a tmpfs here (not root?)");
        return;
    }
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(mount.clone());

    let cdn = Cdn::start().await;
    cdn.put("/small.mp4", mp4());
    cdn.put("/big.mp4", big_mp4(400_000));
    let lib = library(&mount);
    let small = lib
        .save(&request(ID, "small", cdn.url("/small.mp4"), None))
        .await
        .expect("a small one fits");
    let other = "e0000000-1111-4000-8000-000000000002";
    let err = lib
        .save(&request(other, "big", cdn.url("/big.mp4"), None))
        .await
        .expect_err("the disk is full");
    assert!(
        err.reason.starts_with("no space left on "),
        "{}",
        err.reason
    );
    assert!(
        err.reason.contains(&mount.display().to_string()),
        "{}",
        err.reason
    );
    assert!(err.retryable);
    let left = files(&mount);
    assert!(!left.iter().any(|f| f.ends_with(".part")), "{left:?}");
    assert!(!left.iter().any(|f| f.contains("big")), "{left:?}");
    // Nothing else is lost.
    assert_eq!(std::fs::read(&small.video.path).expect("read"), mp4());
    assert_eq!(lib.verify(&small.video).await, Verified::Intact);
}

#[tokio::test]
async fn a_size_is_known_before_saving_only_from_a_2xx_head_of_a_video() {
    let cdn = Cdn::start().await;
    let video = mp4();
    for path in ["/v.mp4", "/no-head.mp4", "/page", "/expired", "/hang"] {
        cdn.put(path, video.clone());
    }
    cdn.fault("/no-head.mp4", Fault::HeadRefused(405));
    cdn.fault("/page", Fault::Html);
    cdn.fault("/expired", Fault::Expired);
    cdn.fault("/hang", Fault::Hang);
    let tmp = tempfile::tempdir().expect("tempdir");
    let lib = Library::builder(tmp.path().to_path_buf())
        .probe_timeout(Duration::from_millis(300))
        .open();
    let ask = |id: &str, url: String| request(id, id, url, None);
    let cases = [
        ask("known", cdn.url("/v.mp4")),
        ask("head-405", cdn.url("/no-head.mp4")),
        ask("head-404", cdn.url("/missing.mp4")),
        ask("html", cdn.url("/page")),
        ask("expired", cdn.url("/expired")),
        ask("hangs", cdn.url("/hang")),
        // The link rule of saves: plain http only to this computer, web links only.
        // (TEST-NET-1: never a live host, whatever the rule does.)
        ask("clear-text", "http://192.0.2.1/v.mp4".into()),
        ask("file", "file:///etc/passwd".into()),
        SaveRequest {
            video_url: None,
            ..ask("no-link", String::new())
        },
    ];
    assert_eq!(lib.probe_size(&cases[0]).await, Some(video.len() as u64));
    let started = std::time::Instant::now();
    assert_eq!(lib.probe_size(&cases[5]).await, None);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    let sizes = lib.probe_sizes(cases.to_vec()).await;
    assert_eq!(sizes.len(), cases.len(), "every id has an answer");
    for case in &cases {
        let expected = (case.id == "known").then_some(video.len() as u64);
        assert_eq!(sizes.get(&case.id), Some(&expected), "{}", case.id);
    }
    assert!(files(tmp.path()).is_empty(), "a probe writes nothing");
    assert!(
        cdn.ranges("/v.mp4").iter().all(Option::is_none),
        "no body asked for"
    );
    let heads = cdn.heads("/v.mp4");
    assert!(
        !heads.is_empty() && heads.iter().all(|h| *h),
        "only HEADs: {heads:?}"
    );
}

#[tokio::test]
async fn a_probe_waits_for_a_media_slot() {
    let cdn = Cdn::start().await;
    cdn.put("/v.mp4", mp4());
    let tmp = tempfile::tempdir().expect("tempdir");
    let lib = Library::builder(tmp.path().to_path_buf())
        .slots(std::sync::Arc::new(tokio::sync::Semaphore::new(0)))
        .open();
    let req = request(ID, "boat", cdn.url("/v.mp4"), None);
    let waited = tokio::time::timeout(Duration::from_millis(300), lib.probe_size(&req)).await;
    assert!(waited.is_err(), "no slot, no HEAD");
    assert_eq!(cdn.total_requests(), 0);
}

#[tokio::test]
async fn verify_tells_intact_changed_missing_and_unreadable_and_retry_fetches_again() {
    let cdn = Cdn::start().await;
    cdn.put("/v.mp4", mp4());
    cdn.put("/f.png", png());
    let tmp = tempfile::tempdir().expect("tempdir");
    let lib = library(tmp.path());
    let ids = ["intact", "changed", "deleted", "a-folder", "frame-changed"];
    let mut saved = Vec::new();
    let mut requests = Vec::new();
    for (i, name) in ids.iter().enumerate() {
        let id = format!("{i:08x}-1111-4000-8000-000000000001");
        let req = request(&id, name, cdn.url("/v.mp4"), Some(cdn.url("/f.png")));
        saved.push(std::sync::Arc::new(lib.save(&req).await.expect("saved")));
        requests.push(req);
    }
    let flip_one_byte = |path: &Path| {
        let mut bytes = std::fs::read(path).expect("read");
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        std::fs::write(path, bytes).expect("write");
    };
    flip_one_byte(&saved[1].video.path);
    std::fs::remove_file(&saved[2].video.path).expect("rm");
    std::fs::remove_file(&saved[3].video.path).expect("rm");
    std::fs::create_dir(&saved[3].video.path).expect("a folder in its place");
    let frame = saved[4].last_frame.clone().expect("frame");
    flip_one_byte(&frame.path);

    let calls = std::sync::Mutex::new(Vec::new());
    let report = lib
        .verify_all_with_progress(saved.clone(), |done, total| {
            calls.lock().expect("lock").push((done, total));
        })
        .await;
    assert_eq!(
        (
            report.intact,
            report.changed,
            report.missing,
            report.unreadable
        ),
        (1, 2, 1, 1),
        "{report:?}"
    );
    assert_eq!(
        report.summary(),
        "1 intact · 2 changed · 1 missing · 1 unreadable"
    );
    assert_eq!(calls.into_inner().expect("calls").last(), Some(&(5, 5)));
    let outcomes: Vec<_> = report
        .tasks
        .iter()
        .map(|t| (t.id.clone(), t.outcome()))
        .collect();
    assert_eq!(
        outcomes,
        [
            (saved[0].id.clone(), VerifyOutcome::Intact),
            (saved[1].id.clone(), VerifyOutcome::Changed),
            (saved[2].id.clone(), VerifyOutcome::Missing),
            (saved[3].id.clone(), VerifyOutcome::Unreadable),
            (saved[4].id.clone(), VerifyOutcome::Changed),
        ]
    );
    assert_eq!(report.tasks[4].video, Verified::Intact);

    assert_eq!(
        lib.state(&saved[0].id),
        Some(SaveState::Saved((*saved[0]).clone()))
    );
    assert_eq!(
        lib.state(&saved[1].id),
        Some(SaveState::Failed {
            reason: "changed since it was saved".into(),
            retryable: false
        })
    );
    assert_eq!(lib.state(&saved[2].id), Some(SaveState::Removed));
    assert!(
        matches!(lib.state(&saved[3].id), Some(SaveState::Failed { reason, .. })
            if reason.starts_with("cannot be read: ")),
        "{:?}",
        lib.state(&saved[3].id)
    );
    match lib.state(&saved[4].id) {
        Some(SaveState::Saved(t)) => {
            assert_eq!(t.video, saved[4].video, "the video is still good");
            assert_eq!(t.last_frame, None);
            assert_eq!(
                t.last_frame_error.as_deref(),
                Some("last frame: changed since it was saved")
            );
        }
        other => panic!("{other:?}"),
    }

    // Retry of a changed file fetches it again, though its size on disk is right.
    let before = cdn.ranges("/v.mp4").len();
    let again = lib.save(&requests[1]).await.expect("saved again");
    assert_eq!(cdn.ranges("/v.mp4").len(), before + 1);
    assert_eq!(std::fs::read(&again.video.path).expect("read"), mp4());
    assert_eq!(lib.verify(&again.video).await, Verified::Intact);
    let frames = cdn.ranges("/f.png").len();
    let again = lib.save(&requests[4]).await.expect("frame saved again");
    assert_eq!(cdn.ranges("/f.png").len(), frames + 1);
    let frame = again.last_frame.expect("frame");
    assert_eq!(std::fs::read(&frame.path).expect("read"), png());
    // Nothing is left to fetch again: a second save is answered from the disk.
    let total = cdn.total_requests();
    lib.save(&requests[1]).await.expect("saved");
    lib.save(&requests[4]).await.expect("saved");
    assert_eq!(cdn.total_requests(), total);
}

#[tokio::test]
async fn a_restart_recognises_the_history_s_files_with_one_stat_each_and_fetches_nothing() {
    let cdn = Cdn::start().await;
    cdn.put("/v.mp4", mp4());
    cdn.put("/f.png", png());
    let tmp = tempfile::tempdir().expect("tempdir");
    let first = library(tmp.path());
    let mut saved = Vec::new();
    for (i, name) in ["kept", "deleted", "grown", "frame-deleted"]
        .iter()
        .enumerate()
    {
        let id = format!("{i:08x}-2222-4000-8000-000000000001");
        let req = request(&id, name, cdn.url("/v.mp4"), Some(cdn.url("/f.png")));
        saved.push(std::sync::Arc::new(first.save(&req).await.expect("saved")));
    }
    std::fs::remove_file(&saved[1].video.path).expect("rm");
    let mut grown = std::fs::read(&saved[2].video.path).expect("read");
    grown.push(0);
    std::fs::write(&saved[2].video.path, grown).expect("write");
    let frame = saved[3].last_frame.clone().expect("frame");
    std::fs::remove_file(&frame.path).expect("rm");
    let requests = cdn.total_requests();

    // A new handle, as after a restart, given what the history recorded.
    let lib = library(tmp.path());
    let states = lib.recognise_saved(saved.clone()).await;
    assert_eq!(cdn.total_requests(), requests, "nothing fetched");
    let ids: Vec<_> = states.iter().map(|(id, _)| id.clone()).collect();
    let expected_ids: Vec<_> = saved.iter().map(|s| s.id.clone()).collect();
    assert_eq!(ids, expected_ids, "one state per task, in order");
    assert_eq!(states[0].1, SaveState::Saved((*saved[0]).clone()));
    assert_eq!(states[1].1, SaveState::Removed);
    assert_eq!(
        states[2].1,
        SaveState::Failed {
            reason: "changed since it was saved".into(),
            retryable: false
        }
    );
    match &states[3].1 {
        SaveState::Saved(t) => {
            assert_eq!(t.last_frame, None);
            assert_eq!(
                t.last_frame_error.as_deref(),
                Some("last frame: removed from the library")
            );
        }
        other => panic!("{other:?}"),
    }
    for (id, state) in &states {
        assert_eq!(
            lib.state(id).as_ref(),
            Some(state),
            "the handle knows it too"
        );
    }
}

/// The window runs these on its background runtime: their futures must be `Send`.
#[test]
fn the_window_can_spawn_probes_recognition_and_verification() {
    fn spawnable<T: std::future::Future + Send + 'static>(_: T) {}
    let lib = Library::open(PathBuf::from("/nowhere"));
    let (a, b, c, d) = (lib.clone(), lib.clone(), lib.clone(), lib);
    spawnable(async move { a.probe_sizes(Vec::new()).await });
    spawnable(async move { b.recognise_saved(Vec::new()).await });
    spawnable(async move { c.verify_all(Vec::new()).await });
    spawnable(async move { d.verify_all_with_progress(Vec::new(), |_, _| {}).await });
}
