//! Hostile MP4 files, written with the `mp4` crate's writer: a 16 384 × 16 384 video (by
//! its track and by its sequence parameter set alone), zero frames, frames of noise, a
//! frame size past the file. Each gives "no poster" and a reason, without allocating
//! what the file declares.

use mp4::{
    AvcConfig, FourCC, MediaConfig, Mp4Config, Mp4Sample, Mp4Writer, TrackConfig, TrackType,
};
use seedance_tasks::media::{self, MediaError};
use std::io::Cursor;

/// Bits, most significant first, with Exp-Golomb codes (H.264 §9.1).
#[derive(Default)]
struct Bits {
    bytes: Vec<u8>,
    used: u32,
}

impl Bits {
    fn bit(&mut self, b: bool) {
        if self.used % 8 == 0 {
            self.bytes.push(0);
        }
        if b {
            let last = self.bytes.len() - 1;
            self.bytes[last] |= 0x80 >> (self.used % 8);
        }
        self.used += 1;
    }
    fn bits(&mut self, value: u32, n: u32) {
        for i in (0..n).rev() {
            self.bit(value >> i & 1 == 1);
        }
    }
    fn ue(&mut self, value: u32) {
        let v = value + 1;
        let len = 32 - v.leading_zeros();
        self.bits(0, len - 1);
        self.bits(v, len);
    }
}

/// A Baseline-profile SPS (NAL header included) for a frame of `mbs_w` × `mbs_h`
/// macroblocks of 16 × 16 pixels.
fn sps(mbs_w: u32, mbs_h: u32) -> Vec<u8> {
    let mut b = Bits::default();
    b.bits(0x67, 8); // NAL header: SPS
    b.bits(66, 8); // profile_idc: Baseline
    b.bits(0xc0, 8); // constraint flags
    b.bits(51, 8); // level_idc
    b.ue(0); // seq_parameter_set_id
    b.ue(0); // log2_max_frame_num_minus4
    b.ue(0); // pic_order_cnt_type
    b.ue(0); // log2_max_pic_order_cnt_lsb_minus4
    b.ue(1); // max_num_ref_frames
    b.bit(false); // gaps_in_frame_num_value_allowed_flag
    b.ue(mbs_w - 1);
    b.ue(mbs_h - 1);
    b.bit(true); // frame_mbs_only_flag
    b.bit(true); // direct_8x8_inference_flag
    b.bit(false); // frame_cropping_flag
    b.bit(false); // vui_parameters_present_flag
    b.bit(true); // rbsp_stop_one_bit
    b.bytes
}

const PPS: [u8; 5] = [0x68, 0xce, 0x38, 0x80, 0x00];

/// An MP4 with one H.264 track of `size` whose samples are `frames`.
fn mp4_file(size: (u16, u16), sps: Vec<u8>, frames: &[Vec<u8>]) -> Vec<u8> {
    let config = Mp4Config {
        major_brand: FourCC::from(*b"isom"),
        minor_version: 512,
        compatible_brands: vec![FourCC::from(*b"isom"), FourCC::from(*b"avc1")],
        timescale: 1000,
    };
    let mut writer = Mp4Writer::write_start(Cursor::new(Vec::new()), &config).expect("start");
    writer
        .add_track(&TrackConfig {
            track_type: TrackType::Video,
            timescale: 24,
            language: "und".into(),
            media_conf: MediaConfig::AvcConfig(AvcConfig {
                width: size.0,
                height: size.1,
                seq_param_set: sps,
                pic_param_set: PPS.to_vec(),
            }),
        })
        .expect("track");
    for (i, frame) in frames.iter().enumerate() {
        writer
            .write_sample(
                1,
                &Mp4Sample {
                    start_time: i as u64,
                    duration: 1,
                    rendering_offset: 0,
                    is_sync: i == 0,
                    bytes: frame.clone().into(),
                },
            )
            .expect("sample");
    }
    writer.write_end().expect("end");
    writer.into_writer().into_inner()
}

/// An IDR slice NAL unit of noise, behind a 4-byte length.
fn noise_frame(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut nal = vec![0x65];
    nal.extend((1..len).map(|_| rng.u8(..)));
    let mut out = (nal.len() as u32).to_be_bytes().to_vec();
    out.extend(nal);
    out
}

fn both(file: &[u8]) -> [Result<image::RgbImage, MediaError>; 2] {
    [media::first_frame(file), media::last_frame(file)]
}

#[test]
fn a_huge_track_is_refused_by_its_declared_size() {
    let file = mp4_file((16_384, 16_384), sps(1024, 1024), &[noise_frame(1, 100)]);
    for result in both(&file) {
        let err = result.expect_err("refused");
        assert_eq!(
            err,
            MediaError::TooLarge {
                width: 16_384,
                height: 16_384
            }
        );
        assert!(
            err.no_poster().contains("16384 × 16384"),
            "{}",
            err.no_poster()
        );
    }
}

#[test]
fn a_huge_parameter_set_in_a_small_track_is_refused() {
    // 16 384 × 16 384 is above what H.264 itself allows: refused while reading the SPS.
    let file = mp4_file((320, 180), sps(1024, 1024), &[noise_frame(2, 100)]);
    for result in both(&file) {
        let err = result.expect_err("refused");
        assert!(
            matches!(&err, MediaError::Corrupt(m) if m.contains("pic_size_in_map_units 1048576, more than H.264 allows")),
            "{err}"
        );
    }
    // 16 384 × 16 is within H.264's limits but wider than frames are decoded here.
    let file = mp4_file((320, 180), sps(1024, 1), &[noise_frame(2, 100)]);
    for result in both(&file) {
        assert_eq!(
            result.expect_err("refused"),
            MediaError::TooLarge {
                width: 16_384,
                height: 16
            }
        );
    }
    // The same parameter set at a normal size passes the check (and the noise then
    // fails to decode): the refusal above was the size, not the writer.
    let file = mp4_file((320, 320), sps(20, 20), &[noise_frame(2, 100)]);
    for result in both(&file) {
        match result {
            Err(MediaError::TooLarge { .. }) => panic!("320 × 320 is not too large"),
            Err(e) => assert!(!e.to_string().is_empty()),
            Ok(frame) => assert_eq!(frame.dimensions(), (320, 320)),
        }
    }
}

#[test]
fn a_video_with_no_frames() {
    let file = mp4_file((320, 180), sps(20, 12), &[]);
    for result in both(&file) {
        let err = result.expect_err("nothing to decode");
        assert_eq!(err, MediaError::NoFrames);
        assert_eq!(err.no_poster(), "no poster: the video has no frames");
    }
}

#[test]
fn frames_of_noise() {
    let frames: Vec<Vec<u8>> = (0..8).map(|i| noise_frame(10 + i, 3000)).collect();
    let file = mp4_file((320, 192), sps(20, 12), &frames);
    for result in both(&file) {
        match result {
            Err(e) => assert!(!e.no_poster().is_empty()),
            Ok(frame) => assert_eq!(frame.dimensions(), (320, 192)),
        }
    }
    // A length prefix that runs past its frame.
    let mut liar = 1_000_000u32.to_be_bytes().to_vec();
    liar.extend([0x65, 1, 2, 3]);
    let file = mp4_file((320, 192), sps(20, 12), &[liar]);
    for result in both(&file) {
        assert!(
            matches!(
                result,
                Err(MediaError::Corrupt(_)) | Err(MediaError::Decode(_))
            ),
            "{result:?}"
        );
    }
}

/// `file` with its first sample's size in `stsz` set to `size`.
fn with_first_size(file: &[u8], size: u32) -> Vec<u8> {
    let at = file
        .windows(4)
        .position(|w| w == b"stsz")
        .expect("a stsz box");
    // type, version and flags, sample_size (0: a table follows), sample_count, entries.
    let fixed = at + 8;
    let entry = if file[fixed..fixed + 4] == [0; 4] {
        at + 16
    } else {
        fixed
    };
    let mut out = file.to_vec();
    out[entry..entry + 4].copy_from_slice(&size.to_be_bytes());
    out
}

#[test]
fn a_frame_past_the_end_of_the_file_or_above_the_limit() {
    let file = mp4_file((320, 192), sps(20, 12), &[noise_frame(5, 4000)]);
    let past = with_first_size(&file, 100_000);
    for result in both(&past) {
        assert!(
            matches!(result, Err(MediaError::Truncated(_))),
            "{result:?}"
        );
    }
    let huge = with_first_size(&file, u32::MAX);
    for result in both(&huge) {
        let err = result.expect_err("refused");
        assert!(err.to_string().contains("at most"), "{err}");
    }
}
