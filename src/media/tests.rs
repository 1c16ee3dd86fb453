//! The route's inner parts: which back end answers, the AVCC to Annex B conversion, the
//! poster maker's limit and cache. The decoder on real files is tested in tests/media*.rs.

use super::h264::{self, OpenH264, to_annex_b};
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
    assert_eq!(Codec::of(*b"avc3"), Codec::H264);
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
        codec: &Codec,
        _: Which,
    ) -> Result<RgbImage, MediaError> {
        Err(MediaError::Ffmpeg(format!(
            "{codec} not supported; ffmpeg could not decode it: exit status: 1: boom"
        )))
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
        "no poster: MPEG-4 Part 2 (mp4v) not supported; ffmpeg could not decode it: exit status: 1: boom"
    );
}

#[test]
fn h264_in_a_profile_openh264_cannot_decode_is_named_and_goes_to_the_fallback() {
    let path = fixture("media-h264-high10.mp4");
    let high10 = Codec::H264Profile("H.264 High 10 (avc1)".into());
    assert_eq!(codec(path.as_path()), Ok(high10));
    let err = frame_with(Video::File(&path), Which::First, &[&OpenH264]).expect_err("10-bit");
    assert_eq!(
        err.no_poster(),
        "no poster: H.264 High 10 (avc1) not supported"
    );
    // Not OpenH264's: the fallback is asked, and its failure names the codec.
    let err =
        frame_with(Video::File(&path), Which::Last, &[&OpenH264, &Failing]).expect_err("fails");
    assert_eq!(
        err.no_last_frame(),
        "this video's last frame cannot be decoded: H.264 High 10 (avc1) not supported; ffmpeg could not decode it: exit status: 1: boom"
    );
}

#[test]
fn monochrome_h264_is_not_given_to_openh264() {
    // OpenH264 2.7 gives a 320 × 168 picture of this 320 × 180 video.
    let path = fixture("media-h264-gray.mp4");
    let err = frame_with(Video::File(&path), Which::First, &[&OpenH264]).expect_err("4:0:0");
    assert_eq!(
        err.no_poster(),
        "no poster: H.264 High 4:0:0 (avc1) not supported"
    );
}

/// The first parameter set of a fixture's `avcC`.
fn first_sps(name: &str) -> Vec<u8> {
    let bytes = std::fs::read(fixture(name)).expect("fixture");
    let mut input = Input::open(Video::Bytes(&bytes)).expect("open");
    let moov = index(&mut input).expect("index");
    let track = demux::video_track(&moov).expect("track");
    let config = demux::avc_config(track.avcc.expect("avcC")).expect("avcC");
    config.sps[0].to_vec()
}

#[test]
fn profiles_are_read_from_the_parameter_set() {
    let high10 = first_sps("media-h264-high10.mp4");
    assert_eq!(
        h264::unsupported_profile(&high10).as_deref(),
        Some("High 10")
    );
    let high = first_sps("media-h264-high-bframes.mp4");
    assert_eq!(h264::unsupported_profile(&high), None);
    // An in-band High 10 set, met while decoding, is refused by name, not decoded.
    let mut sample = (high10.len() as u32).to_be_bytes().to_vec();
    sample.extend(&high10);
    sample.extend([0, 0, 0, 2, 0x65, 0x88]);
    let mut out = Vec::new();
    assert_eq!(
        to_annex_b(&sample, 4, &[], &mut out),
        Err(MediaError::Unsupported {
            codec: "H.264 High 10".into()
        })
    );
}

#[test]
fn avc3_with_parameter_sets_in_its_frames_is_decoded_by_openh264() {
    let path = fixture("media-h264-avc3.mp4");
    assert_eq!(codec(path.as_path()), Ok(Codec::H264));
    let frame =
        frame_with(Video::File(&path), Which::First, &[&OpenH264, &Failing]).expect("OpenH264");
    assert_eq!(frame.dimensions(), (320, 180));
    let last =
        frame_with(Video::File(&path), Which::Last, &[&OpenH264, &Failing]).expect("OpenH264");
    assert_ne!(last, frame);
}

#[test]
fn avcc_records_are_read_within_their_bounds() {
    // Version, profile, compatibility, level, 4-byte lengths, one SPS of 3 bytes, one
    // PPS of 2.
    let record = [
        1, 100, 0, 30, 0xff, 0xe1, 0, 3, 0x67, 1, 2, 1, 0, 2, 0x68, 3,
    ];
    let config = demux::avc_config(&record).expect("valid");
    assert_eq!(config.length_size, 4);
    assert_eq!(config.sps, [&[0x67u8, 1, 2][..]]);
    assert_eq!(config.pps, [&[0x68u8, 3][..]]);
    // An avc3 record with no parameter sets at all.
    let bare = demux::avc_config(&[1, 100, 0, 30, 0xff, 0xe0]).expect("avc3");
    assert!(bare.sps.is_empty() && bare.pps.is_empty());
    // Every cut, up to the one inside the last PPS byte.
    for n in 0..record.len() {
        assert!(
            matches!(demux::avc_config(&record[..n]), Err(MediaError::Corrupt(_))),
            "cut at {n}"
        );
    }
    // 3-byte lengths are refused.
    assert!(demux::avc_config(&[1, 100, 0, 30, 0xfe, 0xe0]).is_err());
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

#[test]
fn a_kept_file_larger_than_a_poster_is_read_back_at_poster_size() {
    let dir = tempfile::tempdir().expect("dir");
    let cache = PosterCache::new(dir.path());
    let mut jpeg = Vec::new();
    RgbImage::from_pixel(1000, 800, image::Rgb([10, 20, 30]))
        .write_with_encoder(image::codecs::jpeg::JpegEncoder::new(&mut jpeg))
        .expect("jpeg");
    std::fs::write(cache.path("big").expect("path"), &jpeg).expect("write");
    assert_eq!(
        cache.get("big").expect("kept").image.dimensions(),
        (320, 256)
    );
    assert_eq!(
        poster_pixels(&jpeg).expect("pixels").dimensions(),
        (320, 256)
    );
}

#[test]
fn a_huge_image_is_refused_by_its_header() {
    // A PNG declaring 16 384 × 16 384 with a few bytes of pixels: refused before
    // decoding.
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(16_384u32.to_be_bytes());
    ihdr.extend(16_384u32.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
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
    assert_eq!(
        decode_image(&png),
        Err(MediaError::ImageTooLarge {
            width: 16_384,
            height: 16_384
        })
    );
}

/// CRC-32 (ISO 3309) as PNG chunks carry it.
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
