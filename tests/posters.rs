//! Posters in the window, made from what a real loopback server serves: the API's
//! last-frame image, the start of a real H.264 video when there is no last frame, and a
//! clear reason when the link answers a web page. Made as the records arrive (the grid
//! is showing, not the gallery), kept in the cache, and not fetched again after a
//! restart.

mod common;
#[path = "common/files.rs"]
mod files;
#[path = "common/ui.rs"]
mod ui;

use common::{TestServer, make_ids, png, record};
use files::FileServer;
use seedance_tasks::gui::{RecordingOpener, SeedanceApp};
use seedance_tasks::media::PosterCache;
use std::time::Duration;

const VIDEO: &[u8] = include_bytes!("fixtures/media-h264-high-bframes.mp4");

struct World {
    runtime: tokio::runtime::Runtime,
    api: TestServer,
    files: FileServer,
    ids: Vec<String>,
    cache: tempfile::TempDir,
}

/// Four succeeded tasks: one with a last-frame image, one with only a video, one whose
/// video link answers an HTML page, one whose last frame is a 404.
fn world() -> World {
    let runtime = ui::runtime();
    let api = runtime.block_on(TestServer::start());
    let files = runtime.block_on(FileServer::start());
    files.put("/frame.png", png(640, 360, 128));
    files.put("/video.mp4", VIDEO.to_vec());
    files.put(
        "/page.mp4",
        b"<!doctype html><html><body>Sign in</body></html>".to_vec(),
    );
    let ids = make_ids(4);
    let links = [
        (Some("/video.mp4"), Some("/frame.png")),
        (Some("/video.mp4"), None),
        (Some("/page.mp4"), None),
        (None, Some("/missing.png")),
    ];
    for (id, (video, frame)) in ids.iter().zip(links) {
        let mut r = record(id, "succeeded");
        let data = &mut r["response"]["data"];
        data["video_url"] = video.map_or(serde_json::Value::Null, |p| files.url(p).into());
        data["last_frame_url"] = frame.map_or(serde_json::Value::Null, |p| files.url(p).into());
        api.insert(r);
    }
    World {
        runtime,
        api,
        files,
        ids,
        cache: tempfile::tempdir().expect("temp dir"),
    }
}

fn window(w: &World) -> egui_kittest::Harness<'static, SeedanceApp> {
    let mut options = ui::options(&w.api.url(), "poster-token", &RecordingOpener::default());
    options.initial_ids = w.ids.clone();
    options.engine.watch_interval = Duration::from_secs(600);
    options.posters = Some(PosterCache::new(w.cache.path()));
    ui::harness(&w.runtime, [1280.0, 760.0], options)
}

fn settled(app: &SeedanceApp, ids: &[String]) -> bool {
    ids.iter().all(|id| app.poster(id).is_some())
}

#[test]
fn posters_are_made_from_the_last_frame_or_the_video_and_kept() {
    let w = world();
    let _enter = w.runtime.enter();
    let mut h = window(&w);
    ui::step_until(&mut h, "posters", |app| settled(app, &w.ids));
    let app = h.state();
    let kept = |i: usize| app.poster(&w.ids[i]).and_then(Result::ok);
    let failed = |i: usize| app.poster(&w.ids[i]).and_then(Result::err);

    // The last frame, shrunk to a poster (320 wide at most); the video left alone.
    let first = kept(0).unwrap_or_else(|| panic!("{:?}", failed(0)));
    let image = image::open(&first).expect("a poster file");
    assert_eq!((image.width(), image.height()), (320, 180));
    // No last frame: the first frame of the video itself (320 × 180).
    let second = kept(1).unwrap_or_else(|| panic!("{:?}", failed(1)));
    let image = image::open(&second).expect("a poster file").to_rgb8();
    assert_eq!(image.dimensions(), (320, 180));
    let reference = image::load_from_memory(include_bytes!(
        "fixtures/media-h264-high-bframes-frame0.png"
    ))
    .expect("reference")
    .to_rgb8();
    let mean = common::mean_difference(&image, &reference);
    assert!(
        mean < 8.0,
        "the poster is the video's first frame (mean diff {mean})"
    );
    // A web page where a video was expected, and a dead last-frame link, say why.
    let page = failed(2).expect("no poster from a web page");
    assert!(
        page.starts_with("no poster:") && page.contains("not an MP4"),
        "{page}"
    );
    let dead = failed(3).expect("no poster from a 404");
    assert!(dead.contains("404"), "{dead}");
    assert_eq!(
        w.files.requests("/page.mp4"),
        1,
        "a failure is not retried every frame"
    );
    drop(h);

    // A restart: every kept poster is read back from the cache, nothing fetched again.
    let before = w.files.total_requests();
    let mut h = window(&w);
    ui::step_until(&mut h, "kept posters", |app| {
        app.poster(&w.ids[0]).is_some_and(|r| r.is_ok())
            && app.poster(&w.ids[1]).is_some_and(|r| r.is_ok())
    });
    for _ in 0..5 {
        h.step();
    }
    let fetched = w.files.total_requests() - before;
    assert_eq!(
        fetched, 2,
        "only the two tasks without a kept poster ask again (the page and the 404)"
    );
}
