//! Frames decoded by the compiled-in decoder (OpenH264) from saved MP4 files.
//!
//! `cargo bench --bench media_decode`. With ffmpeg on PATH, the samples are made at bench
//! time into a temporary folder (nothing big is committed): 1280 × 720 at 24 frames a
//! second, x264 High profile with B-frames (`testsrc2`, which changes every frame):
//!
//! - poster: time to the first frame of a 5 s video, and to a finished poster (decode,
//!   scale to 320 px, JPEG, write into the cache);
//! - last frame of a 10 s video with one key frame (x264's default interval of 250 frames
//!   covers it: the whole video is decoded) and with a key frame every 2 s (only the last
//!   group is decoded).
//!
//! Without ffmpeg the committed 320 × 180 fixtures are measured instead, and that is said.

use seedance_tasks::media::{self, PosterCache, PosterSource};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn make(dir: &Path, name: &str, seconds: u32, extra: &[&str]) -> Option<PathBuf> {
    let out = dir.join(name);
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size=1280x720:rate=24:duration={seconds}"))
        .args([
            "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "veryfast",
        ])
        .args(["-profile:v", "high", "-bf", "3", "-movflags", "+faststart"])
        .args(extra)
        .arg(&out)
        .status()
        .ok()?;
    status.success().then_some(out)
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, Duration) {
    let mut all = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        std::hint::black_box(f());
        all.push(start.elapsed());
    }
    let best = *all.iter().min().expect("runs");
    (median(all), best)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let made = (|| {
        Some((
            make(dir.path(), "poster-5s.mp4", 5, &[])?,
            make(dir.path(), "last-10s-one-idr.mp4", 10, &[])?,
            make(dir.path(), "last-10s-gop48.mp4", 10, &["-g", "48"])?,
        ))
    })();
    let (poster_file, one_idr, gop48, label) = match made {
        Some((p, a, b)) => (p, a, b, "1280 × 720"),
        None => {
            println!("ffmpeg not found: measuring the 320 × 180 fixtures instead");
            (
                fixtures.join("media-h264-high-bframes.mp4"),
                fixtures.join("media-h264-high-bframes.mp4"),
                fixtures.join("media-h264-gop12.mp4"),
                "320 × 180",
            )
        }
    };
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len() / 1024).unwrap_or(0);
    let frame = media::first_frame(&poster_file).expect("decodes");
    println!(
        "samples: {label}; first frame {}×{}",
        frame.width(),
        frame.height()
    );

    let (med, best) = time(20, || {
        media::first_frame(&poster_file).expect("first frame")
    });
    println!(
        "poster: first frame of a {label} file ({} KB): median {}, best {}",
        size(&poster_file),
        ms(med),
        ms(best)
    );
    let cache = PosterCache::new(dir.path().join("posters"));
    let mut n = 0;
    let (med, best) = time(20, || {
        n += 1;
        cache
            .make(
                &format!("bench-{n}"),
                &PosterSource::File(poster_file.clone()),
            )
            .expect("poster")
    });
    println!(
        "poster: decode, scale to 320 px, JPEG, write: median {}, best {}",
        ms(med),
        ms(best)
    );
    let (med, best) = time(20, || cache.get("bench-1").expect("kept"));
    println!(
        "poster: read back from the cache: median {}, best {}",
        ms(med),
        ms(best)
    );

    for (what, file) in [
        ("one key frame", &one_idr),
        ("a key frame every 2 s", &gop48),
    ] {
        let last = media::last_frame(file).expect("last frame");
        let (med, best) = time(5, || media::last_frame(file).expect("last frame"));
        println!(
            "last frame of a 10 s {label} video, {what} ({} KB, {}×{}): median {}, best {}",
            size(file),
            last.width(),
            last.height(),
            ms(med),
            ms(best)
        );
    }
}
