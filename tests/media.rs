//! The decoder route on real MP4 files made by ffmpeg (tests/fixtures/media-*.mp4, made by
//! tests/fixtures/media-make.sh), compared with frames ffmpeg wrote. The test source
//! (`testsrc2`) prints the frame number into each frame, so a frame that matches its
//! reference and not its neighbour's is the right one in display order. These tests need
//! no ffmpeg, except the fallback tests (skipped when there is none, unless
//! SEEDANCE_REQUIRE_FFMPEG=1).

#[path = "common/ffmpeg.rs"]
mod ffmpeg;

use image::RgbImage;
use seedance_tasks::media::{self, MediaError, PrefixStatus};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).expect("fixture")
}

fn reference(name: &str) -> RgbImage {
    image::open(fixture(name))
        .expect("reference PNG")
        .into_rgb8()
}

/// Mean absolute difference per channel, 0 to 255.
fn distance(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions(), "same size");
    let sum: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    sum as f64 / a.as_raw().len() as f64
}

/// `frame` is `want` (within colour-conversion rounding) and clearly not `neighbour`.
fn assert_is(frame: &RgbImage, want: &str, neighbour: &str) {
    let (near, far) = (
        distance(frame, &reference(want)),
        distance(frame, &reference(neighbour)),
    );
    assert!(near < 4.0, "{want}: mean difference {near:.2}");
    assert!(
        far > 2.0 * near,
        "{want} vs {neighbour}: {near:.2} / {far:.2}"
    );
}

const BFRAMES: &str = "media-h264-high-bframes.mp4";
const GOP12: &str = "media-h264-gop12.mp4";

#[test]
fn first_frame_of_high_profile_with_b_frames() {
    let frame = media::first_frame(&bytes(BFRAMES)).expect("decoded");
    assert_eq!(frame.dimensions(), (320, 180));
    assert_is(
        &frame,
        "media-h264-high-bframes-frame0.png",
        "media-h264-high-bframes-frame1.png",
    );
}

#[test]
fn last_frame_of_high_profile_with_b_frames_in_display_order() {
    let frame = media::last_frame(&bytes(BFRAMES)).expect("decoded");
    assert_eq!(frame.dimensions(), (320, 180));
    assert_is(
        &frame,
        "media-h264-high-bframes-frame47.png",
        "media-h264-high-bframes-frame46.png",
    );
}

#[test]
fn last_frame_from_the_last_of_several_key_frames() {
    let path = fixture(GOP12);
    let frame = media::last_frame(&path).expect("decoded from the file");
    assert_eq!(frame.dimensions(), (320, 180));
    assert_is(
        &frame,
        "media-h264-gop12-frame47.png",
        "media-h264-gop12-frame46.png",
    );
    assert_eq!(media::last_frame(&bytes(GOP12)).expect("from bytes"), frame);
}

#[test]
fn a_file_and_its_bytes_give_the_same_frame() {
    let from_file = media::first_frame(&fixture(BFRAMES)).expect("file");
    assert_eq!(
        media::first_frame(&bytes(BFRAMES)).expect("bytes"),
        from_file
    );
    assert_eq!(
        media::codec(&fixture(BFRAMES)).expect("codec"),
        media::Codec::H264
    );
}

#[test]
fn the_start_of_a_file_with_its_index_first_gives_a_poster() {
    let whole = bytes(BFRAMES);
    let prefix = &whole[..whole.len() * 2 / 5];
    assert_eq!(media::prefix_status(prefix), Ok(PrefixStatus::Enough));
    let frame = media::first_frame(prefix).expect("decoded from a prefix");
    assert_is(
        &frame,
        "media-h264-high-bframes-frame0.png",
        "media-h264-high-bframes-frame1.png",
    );
    let poster = media::poster_image(prefix).expect("poster");
    assert_eq!(poster.dimensions(), (320, 180), "already small: not scaled");
    // The last frame is not in a prefix, and that is said.
    let err = media::last_frame(prefix).expect_err("cut");
    assert!(matches!(err, MediaError::Truncated(_)), "{err}");
    // Just the index and a little more: the first frame's bytes are still missing.
    let Ok(PrefixStatus::Need(n)) = media::prefix_status(&whole[..2000]) else {
        panic!("a short prefix needs more");
    };
    assert!(n > 2000 && n < whole.len() as u64, "{n}");
    assert!(media::first_frame(&whole[..usize::try_from(n).expect("small") - 1]).is_err());
    assert!(media::first_frame(&whole[..usize::try_from(n).expect("small")]).is_ok());
}

#[test]
fn the_start_of_a_file_with_its_index_last_says_so() {
    let whole = bytes(GOP12);
    let err = media::first_frame(&whole[..whole.len() / 2]).expect_err("no index");
    assert_eq!(err, MediaError::IndexAtEnd);
    assert!(
        err.no_poster().contains("index (moov) is at the end"),
        "{}",
        err.no_poster()
    );
    assert_eq!(
        media::prefix_status(&whole[..whole.len() / 2]),
        Err(MediaError::IndexAtEnd)
    );
}

#[test]
fn truncated_garbage_and_empty_files_give_a_reason() {
    let whole = bytes(BFRAMES);
    for (what, data) in [
        ("empty", Vec::new()),
        ("a few bytes", whole[..5].to_vec()),
        ("cut in the index", whole[..300].to_vec()),
        ("text", b"<html><body>404 Not Found</body></html>".to_vec()),
        ("noise", {
            let mut rng = fastrand::Rng::with_seed(3);
            (0..50_000).map(|_| rng.u8(..)).collect()
        }),
    ] {
        let first = media::first_frame(&data).expect_err(what);
        let last = media::last_frame(&data).expect_err(what);
        assert!(
            matches!(first, MediaError::NotMp4(_) | MediaError::Truncated(_)),
            "{what}: {first}"
        );
        assert_eq!(first, last, "{what}");
        assert!(first.no_poster().starts_with("no poster: "));
    }
    let missing = media::first_frame(&fixture("media-no-such-file.mp4")).expect_err("missing");
    assert!(matches!(missing, MediaError::Io(_)), "{missing}");
}

#[test]
fn damaged_frames_give_a_reason_not_a_crash() {
    // Every byte after the index flipped: the frames are noise to the decoder.
    let mut damaged = bytes(BFRAMES);
    let start = damaged.len() / 4;
    for b in &mut damaged[start..] {
        *b ^= 0x5a;
    }
    for result in [media::first_frame(&damaged), media::last_frame(&damaged)] {
        match result {
            Err(e) => assert!(!e.to_string().is_empty()),
            // Error concealment may still give a picture; then at the right size.
            Ok(frame) => assert_eq!(frame.dimensions(), (320, 180)),
        }
    }
}

/// Whether the fallback's ffmpeg runs here (tests/common/ffmpeg.rs).
fn has_ffmpeg() -> bool {
    ffmpeg::available()
}

#[test]
fn mpeg4_is_decoded_by_ffmpeg_when_there_is_one() {
    if !has_ffmpeg() {
        return;
    }
    let frame = media::first_frame(&fixture("media-mpeg4.mp4")).expect("ffmpeg decodes it");
    assert_eq!(frame.dimensions(), (320, 180));
    // The same test source as the H.264 files, more coarsely compressed.
    let d = distance(&frame, &reference("media-h264-high-bframes-frame0.png"));
    assert!(d < 12.0, "{d:.2}");
    let last = media::last_frame(&bytes("media-mpeg4.mp4")).expect("from bytes too");
    assert_eq!(last.dimensions(), (320, 180));
    assert!(
        distance(&last, &frame) > 2.0,
        "the last frame is another one"
    );
}

/// The start of an HEVC file (what a `Range` request fetches for a poster) is judged like
/// H.264's, and its first frame goes to ffmpeg: a poster when there is one.
#[test]
fn the_start_of_an_hevc_file_is_decoded_by_ffmpeg() {
    let whole = bytes("media-hevc.mp4");
    let Ok(PrefixStatus::Need(n)) = media::prefix_status(&whole[..3600]) else {
        panic!("a short prefix needs more");
    };
    let n = usize::try_from(n).expect("small");
    assert!(n > 3600 && n < whole.len(), "{n}");
    let prefix = &whole[..n];
    assert_eq!(media::prefix_status(prefix), Ok(PrefixStatus::Enough));
    assert_eq!(
        media::codec(prefix),
        Ok(media::Codec::Other(*b"hvc1")),
        "read from the prefix's index"
    );
    if !has_ffmpeg() {
        let err = media::poster_image(prefix).expect_err("no ffmpeg");
        assert_eq!(err.no_poster(), "no poster: HEVC (hvc1) not supported");
        return;
    }
    let poster = media::poster_image(prefix).expect("ffmpeg decodes the prefix");
    assert_eq!(poster.dimensions(), (320, 180));
    let d = distance(&poster, &reference("media-h264-high-bframes-frame0.png"));
    assert!(d < 12.0, "the first frame: {d:.2}");
}

#[test]
fn h264_high_10_is_named_and_decoded_by_ffmpeg_when_there_is_one() {
    let path = fixture("media-h264-high10.mp4");
    assert_eq!(
        media::codec(&path),
        Ok(media::Codec::H264Profile("H.264 High 10 (avc1)".into()))
    );
    if !has_ffmpeg() {
        let err = media::first_frame(&path).expect_err("no ffmpeg");
        assert_eq!(
            err.no_poster(),
            "no poster: H.264 High 10 (avc1) not supported"
        );
        return;
    }
    let frame = media::first_frame(&path).expect("ffmpeg decodes High 10");
    assert_eq!(frame.dimensions(), (320, 180));
    let d = distance(&frame, &reference("media-h264-high-bframes-frame0.png"));
    assert!(d < 12.0, "{d:.2}");
    // Monochrome, which OpenH264 would crop to the wrong height, at its own size.
    let gray = media::first_frame(&fixture("media-h264-gray.mp4")).expect("ffmpeg");
    assert_eq!(gray.dimensions(), (320, 180));
}

#[test]
fn avc3_is_decoded_by_the_compiled_in_decoder() {
    let frame = media::first_frame(&fixture("media-h264-avc3.mp4")).expect("OpenH264");
    assert_is(
        &frame,
        "media-h264-high-bframes-frame0.png",
        "media-h264-high-bframes-frame1.png",
    );
}

/// A video held in memory whose index comes last (not "faststart"): ffmpeg cannot seek a
/// pipe, so it is handed a temporary file, and Continue's last frame of a fetched video
/// OpenH264 cannot decode is found.
#[test]
fn ffmpeg_reads_bytes_whose_index_comes_last() {
    if !has_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let last_index = dir.path().join("index-last.mp4");
    // MPEG-4 Part 2 (OpenH264 does not decode it), large enough to pass ffmpeg's read
    // buffer: a small file would be read whole before the demuxer wanted to seek.
    let made = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("testsrc2=size=640x360:rate=24")
        .args(["-t", "4", "-c:v", "mpeg4", "-q:v", "2"])
        .arg(&last_index)
        .status()
        .expect("ffmpeg runs");
    assert!(made.success());
    let video = std::fs::read(&last_index).expect("read");
    assert!(video.len() > 1 << 20, "{} bytes", video.len());
    let moov = video
        .windows(4)
        .position(|w| w == b"moov")
        .expect("an index");
    let mdat = video
        .windows(4)
        .position(|w| w == b"mdat")
        .expect("media data");
    assert!(moov > mdat, "the index comes after the media data");
    let frame = media::last_frame(&video).expect("the last frame of bytes, index last");
    assert_eq!(frame.dimensions(), (640, 360));
    let first = media::first_frame(&video).expect("and the first");
    assert_eq!(first.dimensions(), (640, 360));
}
