//! Last-frame previews fetched from a real HTTP server on loopback, turned into textures
//! on a headless egui context.

#[path = "common/files.rs"]
mod files;

use files::FileServer;
use seedance_tasks::gui::{PreviewCache, PreviewState};
use seedance_tasks::preview::Fetcher;
use std::time::{Duration, Instant};

/// Only a guard against hangs; nothing here waits on time to be correct.
const HANG_GUARD: Duration = Duration::from_secs(30);

#[derive(Debug, PartialEq)]
enum Seen {
    Ready([usize; 2]),
    Failed(String),
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbaImage::from_fn(width, height, |x, y| {
        image::Rgba([(x % 256) as u8, (y % 256) as u8, 128, 255])
    });
    let mut bytes = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut bytes, image::ImageFormat::Png)
        .expect("encode png");
    bytes.into_inner()
}

/// Calls `get` the way the UI does, once a frame, until the preview settles.
fn settle(cache: &mut PreviewCache, ctx: &egui::Context, url: &str) -> Seen {
    let deadline = Instant::now() + HANG_GUARD;
    loop {
        match cache.get(ctx, url) {
            PreviewState::Ready(texture) => return Seen::Ready(texture.size()),
            PreviewState::Failed(error) => return Seen::Failed(error.to_owned()),
            PreviewState::Loading => {
                assert!(Instant::now() < deadline, "preview of {url} never settled");
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
}

#[test]
fn previews_load_fail_and_stay_cached() {
    let rt = runtime();
    let _entered = rt.enter();
    let server = rt.block_on(FileServer::start());
    server.put("/small.png", png(64, 48));
    server.put("/wide.png", png(2048, 1000));
    server.put(
        "/page.png",
        b"<html><body>not a picture</body></html>".to_vec(),
    );
    let ctx = egui::Context::default();
    let mut cache = PreviewCache::new(Fetcher::new(), 16);

    assert_eq!(
        settle(&mut cache, &ctx, &server.url("/small.png")),
        Seen::Ready([64, 48])
    );
    // Scaled down to 1024 on the longest side, aspect kept.
    assert_eq!(
        settle(&mut cache, &ctx, &server.url("/wide.png")),
        Seen::Ready([1024, 500])
    );
    match settle(&mut cache, &ctx, &server.url("/page.png")) {
        Seen::Failed(error) => assert!(error.starts_with("not an image: "), "{error}"),
        other => panic!("expected a failure, got {other:?}"),
    }
    assert_eq!(
        settle(&mut cache, &ctx, &server.url("/missing.png")),
        Seen::Failed("HTTP 404 Not Found".into())
    );
    assert_eq!(cache.len(), 4);

    // Asking again answers from the cache.
    for path in ["/small.png", "/wide.png", "/page.png", "/missing.png"] {
        settle(&mut cache, &ctx, &server.url(path));
        assert_eq!(server.requests(path), 1, "{path}");
    }
}

#[test]
fn get_never_waits_on_the_network() {
    let rt = runtime();
    let _entered = rt.enter();
    let server = rt.block_on(FileServer::start());
    server.put("/held.png", png(10, 10));
    server.hold();
    let ctx = egui::Context::default();
    let mut cache = PreviewCache::new(Fetcher::new(), 4);
    let url = server.url("/held.png");

    // The server has the request and is sitting on it: `get` must still return.
    assert!(matches!(cache.get(&ctx, &url), PreviewState::Loading));
    let deadline = Instant::now() + HANG_GUARD;
    while server.requests("/held.png") == 0 {
        assert!(Instant::now() < deadline, "request never arrived");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(matches!(cache.get(&ctx, &url), PreviewState::Loading));

    server.release();
    assert_eq!(settle(&mut cache, &ctx, &url), Seen::Ready([10, 10]));
}

#[test]
fn oversized_bodies_are_refused() {
    let rt = runtime();
    let _entered = rt.enter();
    let server = rt.block_on(FileServer::start());
    server.put("/huge.png", vec![0u8; 20_000_001]);
    let ctx = egui::Context::default();
    let mut cache = PreviewCache::new(Fetcher::new(), 4);
    assert_eq!(
        settle(&mut cache, &ctx, &server.url("/huge.png")),
        Seen::Failed("image larger than 20 MB".into())
    );
}

#[test]
fn the_cache_stays_within_its_capacity() {
    let rt = runtime();
    let _entered = rt.enter();
    let server = rt.block_on(FileServer::start());
    for i in 0..5 {
        server.put(&format!("/{i}.png"), png(8, 8));
    }
    let ctx = egui::Context::default();
    let mut cache = PreviewCache::new(Fetcher::new(), 3);
    for i in 0..5 {
        settle(&mut cache, &ctx, &server.url(&format!("/{i}.png")));
        assert!(cache.len() <= 3);
    }
    assert_eq!(cache.len(), 3);

    // The oldest was evicted, so asking again fetches it again; the newest was kept.
    settle(&mut cache, &ctx, &server.url("/4.png"));
    assert_eq!(server.requests("/4.png"), 1);
    settle(&mut cache, &ctx, &server.url("/0.png"));
    assert_eq!(server.requests("/0.png"), 2);
}

#[test]
fn previews_of_links_not_fetched_fail_before_any_connection() {
    let rt = runtime();
    let _entered = rt.enter();
    let ctx = egui::Context::default();
    let mut cache = PreviewCache::new(Fetcher::new(), 8);
    let demo = seedance_tasks::links::demo_link("x-last-frame.png");
    for (url, says) in [
        ("file:///etc/passwd", "not a web link"),
        // Plain http to another machine: refused before connecting (192.0.2.0/24 is
        // TEST-NET-1, which nothing answers; a connection attempt would time out).
        ("http://192.0.2.1/frame.png", "not a secure link"),
        (demo.as_str(), "demo"),
    ] {
        match settle(&mut cache, &ctx, url) {
            Seen::Failed(error) => assert!(error.contains(says), "{url}: {error}"),
            other => panic!("{url}: expected a refusal, got {other:?}"),
        }
    }
}
