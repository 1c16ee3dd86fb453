//! The route's inner parts: which back end answers, the AVCC to Annex B conversion, the
//! poster maker's limit and cache. The decoder on real files is tested in tests/media*.rs.

use super::h264::{OpenH264, to_annex_b};
use super::*;
use std::sync::Arc;

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn a_codec_no_back_end_decodes_is_named() {
    let path = fixture("media-mpeg4.mp4");
    let err = frame_with(Video::File(&path), Which::First, &[&OpenH264]).expect_err("no ffmpeg");
    assert_eq!(
        err,
        MediaError::Unsupported {
            codec: "MPEG-4 Part 2 (mp4v)".into()
        }
    );
    assert_eq!(
        err.no_poster(),
        "no poster: MPEG-4 Part 2 (mp4v) not supported"
    );
    assert_eq!(
        err.no_last_frame(),
        "this video's last frame cannot be decoded: MPEG-4 Part 2 (mp4v) not supported"
    );
    assert_eq!(codec(path.as_path()), Ok(Codec::Other(*b"mp4v")));
}

#[test]
fn codec_names() {
    assert_eq!(Codec::H264.to_string(), "H.264");
    assert_eq!(Codec::of(*b"hvc1").to_string(), "HEVC (hvc1)");
    assert_eq!(Codec::of(*b"vp09").to_string(), "VP9 (vp09)");
    assert_eq!(
        Codec::of(*b"\x01zzz").to_string(),
        "the video codec (\\x01zzz)"
    );
}

/// A back end that fails: the H.264 route never asks it, and another codec gets its
/// reason.
struct Failing;
impl Backend for Failing {
    fn decodes(&self, _: &Codec) -> bool {
        true
    }
    fn frame(
        &self,
        _: &mut Input<'_>,
        _: &boxes::VideoTrack<'_>,
        _: Which,
    ) -> Result<RgbImage, MediaError> {
        Err(MediaError::Ffmpeg("exit status: 1: boom".into()))
    }
}

#[test]
fn the_compiled_in_decoder_is_asked_first() {
    let h264 = fixture("media-h264-high-bframes.mp4");
    let frame =
        frame_with(Video::File(&h264), Which::First, &[&OpenH264, &Failing]).expect("OpenH264");
    assert_eq!(frame.dimensions(), (320, 180));
    let mpeg4 = fixture("media-mpeg4.mp4");
    let err =
        frame_with(Video::File(&mpeg4), Which::First, &[&OpenH264, &Failing]).expect_err("fails");
    assert_eq!(
        err.no_poster(),
        "no poster: ffmpeg could not decode it: exit status: 1: boom"
    );
}

#[test]
fn avcc_becomes_annex_b_with_parameters_before_each_idr() {
    let sps = [0x67u8, 1, 2];
    let pps = [0x68u8, 3];
    let params: [&[u8]; 2] = [&sps, &pps];
    let mut out = Vec::new();
    // An SEI and an IDR slice, 4-byte lengths.
    let idr = [0, 0, 0, 2, 0x06, 9, 0, 0, 0, 3, 0x65, 7, 8];
    to_annex_b(&idr, 4, &params, &mut out).expect("valid");
    assert_eq!(
        out,
        [
            0, 0, 0, 1, 0x67, 1, 2, 0, 0, 0, 1, 0x68, 3, 0, 0, 0, 1, 0x06, 9, 0, 0, 0, 1, 0x65, 7,
            8
        ]
    );
    // A non-IDR slice gets no parameters; 2-byte lengths.
    to_annex_b(&[0, 2, 0x41, 5], 2, &params, &mut out).expect("valid");
    assert_eq!(out, [0, 0, 0, 1, 0x41, 5]);
    // Lengths that run past the sample, or a sample cut inside a length.
    for bad in [&[0u8, 0, 0, 9, 0x65][..], &[0, 0, 0][..]] {
        assert!(matches!(
            to_annex_b(bad, 4, &params, &mut out),
            Err(MediaError::Corrupt(_))
        ));
    }
}

#[test]
fn posters_are_small_and_keep_their_shape() {
    let wide = RgbImage::new(1280, 720);
    assert_eq!(shrink(&wide).dimensions(), (320, 180));
    let tall = RgbImage::new(720, 1280);
    assert_eq!(shrink(&tall).dimensions(), (180, 320));
    let small = RgbImage::new(100, 50);
    assert_eq!(shrink(&small).dimensions(), (100, 50));
}

#[test]
fn task_ids_are_checked_before_becoming_file_names() {
    let cache = PosterCache::new("/tmp/posters");
    assert!(cache.path("9462ca25-468b-45a5-9e75-6f516dedcc80").is_ok());
    for bad in ["", "../x", "a/b", "a\\b", "C:", &"x".repeat(200)] {
        assert!(
            matches!(cache.path(bad), Err(MediaError::Cache(_))),
            "{bad}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn posters_are_made_two_at_a_time_and_once() {
    let dir = tempfile::tempdir().expect("dir");
    let maker = PosterMaker::new(PosterCache::new(dir.path().join("posters")));
    let video: Arc<[u8]> = std::fs::read(fixture("media-h264-gop12.mp4"))
        .expect("fixture")
        .into();
    let jobs: Vec<_> = (0..8)
        .map(|i| {
            let maker = maker.clone();
            let source = PosterSource::Video(Arc::clone(&video));
            tokio::spawn(async move { maker.make(format!("task-{i}"), source).await })
        })
        .collect();
    for job in jobs {
        let poster = job.await.expect("joined").expect("made");
        assert_eq!(poster.image.dimensions(), (320, 180));
        assert!(poster.path.is_file());
    }
    assert!(maker.peak() <= POSTERS_AT_ONCE, "peak {}", maker.peak());
    assert!(maker.peak() >= 1);
    assert_eq!(maker.busy(), 0);
    // Made once: asked again with a source that cannot decode, the kept one answers.
    let kept = maker
        .make(
            "task-3".into(),
            PosterSource::Video(Arc::from(&b"junk"[..])),
        )
        .await
        .expect("kept");
    assert_eq!(kept.image.dimensions(), (320, 180));
    // A task without a poster and a bad source: the reason, and no file left behind.
    let err = maker
        .make(
            "task-x".into(),
            PosterSource::Video(Arc::from(&b"junk"[..])),
        )
        .await
        .expect_err("junk");
    assert!(
        err.no_poster().starts_with("no poster: not an MP4"),
        "{err}"
    );
    let names: Vec<_> = std::fs::read_dir(dir.path().join("posters"))
        .expect("dir")
        .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
        .collect();
    assert_eq!(names.len(), 8, "{names:?}");
    assert!(names.iter().all(|n| n.ends_with(".jpg")), "{names:?}");
}

#[test]
fn a_poster_from_the_api_image() {
    let dir = tempfile::tempdir().expect("dir");
    let cache = PosterCache::new(dir.path());
    let mut png = Vec::new();
    RgbImage::from_pixel(1920, 1080, image::Rgb([200, 30, 30]))
        .write_with_encoder(image::codecs::png::PngEncoder::new(&mut png))
        .expect("png");
    let poster = cache
        .make("t1", &PosterSource::Image(png.into()))
        .expect("made");
    assert_eq!(poster.image.dimensions(), (320, 180));
    let kept = cache.get("t1").expect("kept");
    assert_eq!(kept.image.dimensions(), (320, 180));
    assert!(
        cache
            .make("t2", &PosterSource::Image(Arc::from(&b"GIF89a"[..])))
            .is_err()
    );
    assert!(cache.get("t2").is_none());
}
