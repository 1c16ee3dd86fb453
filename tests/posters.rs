//! Posters in the window, made from what a real loopback server serves: the API's
//! last-frame image, the start of a real H.264 video (asked for with `Range`) when there
//! is no last frame, and a clear reason when the link answers a web page or a hostile
//! image. Made as the records arrive (the grid is showing, not the gallery), two jobs at
//! a time, kept in the cache, and not fetched again after a restart. A saved video wins
//! over its link from the first frame; removed tasks lose their posters.

mod common;
#[path = "common/ffmpeg.rs"]
mod ffmpeg;
#[path = "common/files.rs"]
mod files;
#[path = "common/ui.rs"]
mod ui;

use common::{TestServer, make_ids, png, record};
use egui_kittest::kittest::Queryable;
use files::FileServer;
use seedance_tasks::gui::{GuiOptions, RecordingOpener, SeedanceApp};
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

fn options(w: &World) -> GuiOptions {
    let mut options = ui::options(&w.api.url(), "poster-token", &RecordingOpener::default());
    options.initial_ids = w.ids.clone();
    options.engine.watch_interval = Duration::from_secs(600);
    options.posters = Some(PosterCache::new(w.cache.path()));
    options
}

fn window(w: &World) -> egui_kittest::Harness<'static, SeedanceApp> {
    ui::harness(&w.runtime, [1280.0, 760.0], options(w))
}

/// Succeeded tasks with these (video, last frame) links, on a fresh file server.
fn world_of(links: &[(Option<&str>, Option<&str>)]) -> World {
    let runtime = ui::runtime();
    let api = runtime.block_on(TestServer::start());
    let files = runtime.block_on(FileServer::start());
    let ids = make_ids(links.len());
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
    // The start of the video, asked for with a Range request (the fixture's index and
    // first frame are within the first 2 MiB, so once).
    assert_eq!(
        w.files.ranges("/video.mp4"),
        [Some(format!(
            "bytes=0-{}",
            seedance_tasks::preview::VIDEO_START - 1
        ))]
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

#[test]
fn poster_jobs_run_two_at_a_time_fetches_included() {
    let paths = ["/v0.mp4", "/v1.mp4", "/v2.mp4", "/v3.mp4", "/v4.mp4"];
    let links: Vec<_> = paths.iter().map(|p| (Some(*p), None)).collect();
    let w = world_of(&links);
    for p in paths {
        w.files.put(p, VIDEO.to_vec());
    }
    let _enter = w.runtime.enter();
    w.files.hold();
    let mut h = window(&w);
    ui::step_until(&mut h, "two fetches held", |_| w.files.in_flight() >= 2);
    // Time for a third to start, were more jobs let run (the media slots allow three).
    ui::step_for(&mut h, Duration::from_millis(400));
    assert_eq!(w.files.in_flight(), 2, "two poster jobs at a time");
    w.files.release();
    ui::step_until(&mut h, "posters", |app| settled(app, &w.ids));
    assert!(
        w.ids
            .iter()
            .all(|id| h.state().poster(id).is_some_and(|r| r.is_ok()))
    );
    assert_eq!(w.files.max_in_flight(), 2);
}

/// A PNG whose header declares `side` × `side` and whose pixels are a few bytes.
fn huge_png(side: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    let mut ihdr = side.to_be_bytes().to_vec();
    ihdr.extend(side.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [
        (b"IHDR", &ihdr[..]),
        (b"IDAT", &[0x78, 0x01, 0x01, 0x00][..]),
        (b"IEND", &[][..]),
    ] {
        png.extend((data.len() as u32).to_be_bytes());
        let mut chunk = kind.to_vec();
        chunk.extend(data);
        png.extend(&chunk);
        png.extend(crc32(&chunk).to_be_bytes());
    }
    png
}

#[test]
fn hostile_last_frame_images_give_a_reason_and_the_window_keeps_drawing() {
    let w = world_of(&[
        (None, Some("/huge.png")),
        (None, Some("/page.png")),
        (None, Some("/cut.png")),
    ]);
    w.files.put("/huge.png", huge_png(16_384));
    w.files.put(
        "/page.png",
        b"<!doctype html><html><body>Sign in</body></html>".to_vec(),
    );
    let whole = png(640, 360, 77);
    w.files.put("/cut.png", whole[..whole.len() / 2].to_vec());
    let _enter = w.runtime.enter();
    let mut h = window(&w);
    ui::step_until(&mut h, "posters", |app| settled(app, &w.ids));
    let why = |i: usize| {
        h.state()
            .poster(&w.ids[i])
            .and_then(Result::err)
            .unwrap_or_else(|| panic!("task {i} has no poster"))
    };
    let huge = why(0);
    assert!(
        huge.starts_with("no poster:") && huge.contains("16384 × 16384"),
        "{huge}"
    );
    let page = why(1);
    assert!(
        page.starts_with("no poster:") && page.contains("not an image"),
        "{page}"
    );
    let cut = why(2);
    assert!(cut.starts_with("no poster:"), "{cut}");
    // The gallery draws the three cards (their reasons painted in the poster boxes),
    // frame after frame, without a crash.
    h.get_by_label("Gallery").click();
    for _ in 0..10 {
        h.step();
    }
    assert!(h.state().prefs().gallery, "the gallery is showing");
    assert_eq!(
        h.get_all_by_role(egui::accesskit::Role::ListItem).count(),
        3,
        "three cards drawn"
    );
}

#[test]
fn removed_tasks_lose_their_posters_and_undo_brings_them_back_from_the_cache() {
    let w = world();
    let _enter = w.runtime.enter();
    let mut h = window(&w);
    ui::step_until(&mut h, "posters", |app| settled(app, &w.ids));
    h.get_by_label("Select all").click();
    h.step();
    h.get_by_label("Remove").click();
    ui::step_until(&mut h, "removed", |app| app.book().is_empty());
    for id in &w.ids {
        assert_eq!(h.state().poster(id), None, "forgotten: {id}");
    }
    let before = w.files.total_requests();
    // (An empty window shows its welcome, not the toolbar's Undo: as the button does.)
    h.state_mut().undo();
    ui::step_until(&mut h, "kept posters again", |app| {
        app.poster(&w.ids[0]).is_some_and(|r| r.is_ok())
            && app.poster(&w.ids[1]).is_some_and(|r| r.is_ok())
    });
    ui::step_until(&mut h, "all settled", |app| settled(app, &w.ids));
    assert_eq!(
        w.files.total_requests() - before,
        2,
        "kept posters are read back, not fetched; the two without one ask again"
    );
}

/// A saved video wins over its dead link: known from the library's sidecar after the
/// link was tried (the poster is made again from the file), and known from the history
/// before the library has looked (made from the file at once, nothing fetched).
#[test]
fn a_saved_video_gives_the_poster_when_its_link_is_dead() {
    let w = world_of(&[(Some("/video.mp4"), None)]);
    w.files.put("/video.mp4", VIDEO.to_vec());
    let id = w.ids[0].clone();
    let _enter = w.runtime.enter();
    let library = tempfile::tempdir().expect("temp dir");
    let data = tempfile::tempdir().expect("temp dir");
    let history = data.path().join("history.json");
    let with = |history: Option<&std::path::Path>, cache: Option<&std::path::Path>| {
        let mut o = options(&w);
        o.library = Some(library.path().to_path_buf());
        o.history = history.map(std::path::Path::to_path_buf);
        o.posters = cache.map(PosterCache::new);
        ui::harness(&w.runtime, [1280.0, 760.0], o)
    };

    // Saved through the window's offer, no posters made, recorded in the history.
    let mut h = with(Some(&history), None);
    ui::step_until(&mut h, "the offer", |app| app.library_offer().is_some());
    let offer = h.state().library_offer().expect("offer");
    h.get_by_label(offer.as_str()).click();
    ui::step_until(&mut h, "recorded as saved", |app| {
        app.book().get(&id).is_some_and(|e| e.saved.is_some())
    });
    let saved = h.state().saved_video(&id).expect("saved");
    h.state_mut().save_history_now();
    drop(h);
    // The link expires: it answers a web page now.
    w.files.put(
        "/video.mp4",
        b"<!doctype html><html>Expired</html>".to_vec(),
    );

    // No history: the link is tried (held) while the library finds the file by its
    // sidecar.
    let first = tempfile::tempdir().expect("temp dir");
    w.files.hold();
    let mut h = with(None, Some(first.path()));
    ui::step_until(&mut h, "the library knows the file", |app| {
        app.saved_video(&id).is_some()
    });
    // Whichever came first (usually the record, so the link is being tried and fails
    // with the page), the poster ends up made from the file.
    ui::step_for(&mut h, Duration::from_millis(200));
    w.files.release();
    ui::step_until(&mut h, "a poster from the file", |app| {
        app.poster(&id).is_some_and(|r| r.is_ok())
    });
    drop(h);

    // The history knows the file: the poster comes from it, the link is not asked.
    let second = tempfile::tempdir().expect("temp dir");
    let fetched = w.files.requests("/video.mp4");
    w.files.hold();
    let mut h = with(Some(&history), Some(second.path()));
    ui::step_until(&mut h, "a poster from the file", |app| {
        app.poster(&id).is_some_and(|r| r.is_ok())
    });
    assert_eq!(w.files.requests("/video.mp4"), fetched, "no fetch");
    let poster = h.state().poster(&id).and_then(Result::ok).expect("poster");
    assert_eq!(
        image::open(poster)
            .expect("a poster file")
            .to_rgb8()
            .dimensions(),
        (320, 180)
    );
    w.files.release();
    drop(h);

    // The file the history names is gone and the link works again: the link is used.
    std::fs::remove_file(saved).expect("delete the saved video");
    w.files.put("/video.mp4", VIDEO.to_vec());
    let third = tempfile::tempdir().expect("temp dir");
    let mut h = with(Some(&history), Some(third.path()));
    ui::step_until(&mut h, "a poster from the link", |app| {
        app.poster(&id).is_some_and(|r| r.is_ok())
    });
    assert!(w.files.requests("/video.mp4") > fetched, "fetched");
}

/// An unsaved HEVC video: its start is fetched like H.264's and decoded by an ffmpeg on
/// `PATH`; without one (or SEEDANCE_FFMPEG=none), the card names the codec.
#[test]
fn an_unsaved_hevc_video_gets_its_poster_from_ffmpeg_or_names_the_codec() {
    let w = world_of(&[(Some("/hevc.mp4"), None)]);
    w.files.put(
        "/hevc.mp4",
        include_bytes!("fixtures/media-hevc.mp4").to_vec(),
    );
    let _enter = w.runtime.enter();
    let mut h = window(&w);
    ui::step_until(&mut h, "posters", |app| settled(app, &w.ids));
    let ffmpeg = ffmpeg::available();
    let poster = h.state().poster(&w.ids[0]).expect("settled");
    if ffmpeg {
        let path = poster.expect("a poster made by ffmpeg");
        let image = image::open(path).expect("a poster file").to_rgb8();
        assert_eq!(image.dimensions(), (320, 180));
    } else {
        assert_eq!(
            poster.expect_err("no ffmpeg"),
            "no poster: HEVC (hvc1) not supported"
        );
    }
    assert_eq!(w.files.ranges("/hevc.mp4").len(), 1, "its start, once");
}
