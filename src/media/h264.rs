//! The compiled-in back end: H.264 in MP4, decoded by OpenH264 (built from its C++ source
//! by the `openh264` crate, so a double-clicked app needs no codec installed).
//!
//! How OpenH264 has to be driven, as measured on x264 High-profile files with B-frames:
//! no flush after each packet (`Flush::NoFlush`; the default flush emits frames out of
//! order and then fails), `flush_remaining()` at the end (it holds the last frames in
//! display order), samples turned from AVCC (length prefixes) into Annex B (start codes),
//! and the parameter sets from `avcC` sent again before each IDR picture.

use super::demux::{self, AvcTrack};
use super::limits::check_size;
use super::{Backend, Codec, Input, MediaError, Which, boxes::VideoTrack};
use h264_reader::nal::{
    Nal, RefNal,
    sps::{ChromaFormat, SeqParameterSet, SpsError},
};
use image::RgbImage;
use openh264::OpenH264API;
use openh264::decoder::{DecodedYUV, Decoder, DecoderConfig, Flush};
use openh264::formats::YUVSource;

const NAL_IDR: u8 = 5;
const NAL_SPS: u8 = 7;
const START_CODE: [u8; 4] = [0, 0, 0, 1];

/// OpenH264, for H.264 in a profile it decodes (`avc1`, and `avc3` with its parameter
/// sets in the frames).
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenH264;

impl Backend for OpenH264 {
    fn decodes(&self, codec: &Codec) -> bool {
        *codec == Codec::H264
    }

    fn frame(
        &self,
        input: &mut Input<'_>,
        track: &VideoTrack<'_>,
        _: &Codec,
        which: Which,
    ) -> Result<RgbImage, MediaError> {
        // A parameter set in a profile OpenH264 does not decode is named with the
        // track's four-character code, so that the route can ask another back end.
        let fourcc = track.fourcc;
        let named = move |e: MediaError| match e {
            MediaError::Unsupported { codec } => MediaError::Unsupported {
                codec: format!("{codec} ({})", super::boxes::fourcc_text(&fourcc)),
            },
            other => other,
        };
        let avc = demux::avc_track(track)?;
        for sps in &avc.sps {
            check_sps(sps).map_err(named)?;
        }
        let Some(first) = avc.samples.iter().position(|s| s.sync) else {
            return Err(if avc.samples.is_empty() {
                MediaError::NoFrames
            } else {
                MediaError::Corrupt("no frame is marked as a key frame".into())
            });
        };
        let answer = match which {
            Which::First => decode(input, &avc, first, Which::First),
            Which::Last => {
                // The last key frame's group holds the last frame; decoding from there
                // is enough. Should that group not decode on its own (a sync table that
                // lies), the whole track is decoded instead.
                let last = avc.samples.iter().rposition(|s| s.sync).unwrap_or(first);
                match decode(input, &avc, last, Which::Last) {
                    Err(MediaError::Decode(_)) if last > first => {
                        decode(input, &avc, first, Which::Last)
                    }
                    other => other,
                }
            }
        };
        answer.map_err(named)
    }
}

/// Decodes samples from `from` on: until the first picture, or to the end for the last.
fn decode(
    input: &mut Input<'_>,
    avc: &AvcTrack,
    from: usize,
    which: Which,
) -> Result<RgbImage, MediaError> {
    let config = DecoderConfig::new().flush_after_decode(Flush::NoFlush);
    let mut decoder = Decoder::with_api_config(OpenH264API::from_source(), config)
        .map_err(|e| MediaError::Decode(format!("OpenH264 did not start: {e}")))?;
    let params: Vec<&[u8]> = avc.sps.iter().chain(&avc.pps).map(Vec::as_slice).collect();
    let mut sample_bytes = Vec::new();
    let mut annex_b = Vec::new();
    // The newest picture the decoder gave before the end (for the last frame), copied
    // because the decoder reuses its buffer.
    let mut newest: Option<Planes> = None;
    let mut problem: Option<MediaError> = None;
    let mut cut: Option<MediaError> = None;
    for (n, sample) in avc.samples.iter().enumerate().skip(from) {
        if let Err(e) = input.read_sample(sample, n, &mut sample_bytes) {
            match e {
                MediaError::Truncated(_) => {
                    cut = Some(e);
                    break;
                }
                other => return Err(other),
            }
        }
        if let Err(e) = to_annex_b(&sample_bytes, avc.length_size, &params, &mut annex_b) {
            if matches!(e, MediaError::Unsupported { .. }) {
                return Err(e);
            }
            problem = Some(e);
            continue;
        }
        match decoder.decode(&annex_b) {
            Ok(Some(picture)) => match which {
                Which::First => return to_rgb(&picture),
                Which::Last => newest = Some(Planes::copy(&picture)?),
            },
            Ok(None) => {}
            Err(e) => problem = Some(MediaError::Decode(format!("frame {}: {e}", n + 1))),
        }
    }
    if which == Which::Last
        && let Some(cut) = cut
    {
        return Err(cut);
    }
    let held = decoder
        .flush_remaining()
        .map_err(|e| MediaError::Decode(format!("at the end: {e}")))?;
    let held = match which {
        Which::First => held.first(),
        Which::Last => held.last(),
    };
    if let Some(picture) = held {
        return to_rgb(picture);
    }
    if let Some(planes) = newest {
        return planes.to_rgb();
    }
    Err(cut.or(problem).unwrap_or_else(|| {
        MediaError::Decode("the decoder gave no picture for any of its frames".into())
    }))
}

/// Refuses a sequence parameter set that is unreadable, declares a frame above the
/// limits (before the decoder allocates frames of that size), or a profile OpenH264 does
/// not decode (an in-band one, met while decoding: `Unsupported`).
pub fn check_sps(nal: &[u8]) -> Result<(), MediaError> {
    let sps = parse_sps(nal)?;
    if let Some(profile) = refused_profile(&sps) {
        return Err(MediaError::Unsupported {
            codec: format!("H.264 {profile}"),
        });
    }
    let (width, height) = sps
        .pixel_dimensions()
        .map_err(|e| MediaError::Corrupt(format!("its frame size: {e:?}")))?;
    check_size(width, height)
}

fn parse_sps(nal: &[u8]) -> Result<SeqParameterSet, MediaError> {
    if nal.is_empty() {
        return Err(MediaError::Corrupt("an empty parameter set".into()));
    }
    SeqParameterSet::from_bits(RefNal::new(nal, &[], true).rbsp_bits()).map_err(|e| {
        MediaError::Corrupt(match e {
            SpsError::FieldValueTooLarge { name, value } => format!(
                "its sequence parameter set declares {name} {value}, more than H.264 allows"
            ),
            other => format!("its sequence parameter set: {other:?}"),
        })
    })
}

/// The profile of an H.264 sequence parameter set (NAL header included) when OpenH264
/// cannot decode it, by name ("High 10"); `None` when it can (8-bit 4:2:0: Baseline,
/// Main, Extended, High), or when the set is unreadable (the decoder then says what is
/// wrong with it).
pub fn unsupported_profile(nal: &[u8]) -> Option<String> {
    parse_sps(nal).ok().as_ref().and_then(refused_profile)
}

/// OpenH264 decodes 8 bits a sample in 4:2:0 (chroma_format_idc 1); the profiles that
/// need more are named by their `profile_idc` (H.264 Annex A), others by their profile
/// and what they declare ("High 4:0:0": OpenH264 2.7 crops a monochrome picture as if
/// it were 4:2:0, so it is not asked).
fn refused_profile(sps: &SeqParameterSet) -> Option<String> {
    let chroma = &sps.chroma_info;
    let bits = 8 + chroma
        .bit_depth_luma_minus8
        .max(chroma.bit_depth_chroma_minus8);
    let sampling = match chroma.chroma_format {
        ChromaFormat::YUV420 => None,
        ChromaFormat::Monochrome => Some("4:0:0".to_owned()),
        ChromaFormat::YUV422 => Some("4:2:2".to_owned()),
        ChromaFormat::YUV444 => Some("4:4:4".to_owned()),
        ChromaFormat::Invalid(n) => Some(format!("chroma format {n}")),
    };
    if bits == 8 && sampling.is_none() {
        return None;
    }
    let named = match u8::from(sps.profile_idc) {
        110 => "High 10",
        122 => "High 4:2:2",
        244 => "High 4:4:4 Predictive",
        44 => "CAVLC 4:4:4 Intra",
        66 => "Baseline",
        77 => "Main",
        88 => "Extended",
        100 => "High",
        other => return Some(format!("profile {other} {}", what(sampling, bits))),
    };
    Some(match u8::from(sps.profile_idc) {
        110 | 122 | 244 | 44 => named.to_owned(),
        _ => format!("{named} {}", what(sampling, bits)),
    })
}

/// "4:2:2", "10-bit" or "4:2:2 10-bit".
fn what(sampling: Option<String>, bits: u8) -> String {
    match (sampling, bits) {
        (Some(s), 8) => s,
        (Some(s), n) => format!("{s} {n}-bit"),
        (None, n) => format!("{n}-bit"),
    }
}

/// One AVCC sample (NAL units behind big-endian length prefixes) as Annex B (behind
/// start codes), with `params` put first when it holds an IDR picture but no SPS.
pub fn to_annex_b(
    sample: &[u8],
    length_size: u8,
    params: &[&[u8]],
    out: &mut Vec<u8>,
) -> Result<(), MediaError> {
    out.clear();
    let width = usize::from(length_size);
    let mut nals: Vec<&[u8]> = Vec::new();
    let mut rest = sample;
    while !rest.is_empty() {
        let (prefix, tail) = rest
            .split_at_checked(width)
            .ok_or_else(|| MediaError::Corrupt("a frame ends inside a NAL unit's length".into()))?;
        let len = prefix
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        let (nal, tail) = tail.split_at_checked(len).ok_or_else(|| {
            MediaError::Corrupt("a NAL unit runs past the end of its frame".into())
        })?;
        if !nal.is_empty() {
            nals.push(nal);
        }
        rest = tail;
    }
    let kind = |nal: &[u8]| nal[0] & 0x1f;
    let mut has_sps = false;
    let mut has_idr = false;
    for nal in &nals {
        match kind(nal) {
            NAL_SPS => {
                check_sps(nal)?;
                has_sps = true;
            }
            NAL_IDR => has_idr = true,
            _ => {}
        }
    }
    if has_idr && !has_sps {
        for p in params {
            out.extend_from_slice(&START_CODE);
            out.extend_from_slice(p);
        }
    }
    for nal in nals {
        out.extend_from_slice(&START_CODE);
        out.extend_from_slice(nal);
    }
    Ok(())
}

fn to_rgb(picture: &DecodedYUV<'_>) -> Result<RgbImage, MediaError> {
    let (w, h) = picture.dimensions();
    let (width, height) = sizes(w, h)?;
    let mut rgb = vec![0u8; w * h * 3];
    picture.write_rgb8(&mut rgb);
    RgbImage::from_raw(width, height, rgb)
        .ok_or_else(|| MediaError::Decode("the picture's size does not match its pixels".into()))
}

fn sizes(w: usize, h: usize) -> Result<(u32, u32), MediaError> {
    let width = u32::try_from(w).unwrap_or(u32::MAX);
    let height = u32::try_from(h).unwrap_or(u32::MAX);
    check_size(width, height)?;
    Ok((width, height))
}

/// A decoded picture's planes, owned (a memory copy; converted to RGB only if it turns
/// out to be the last picture).
struct Planes {
    y: Vec<u8>,
    u: Vec<u8>,
    v: Vec<u8>,
    size: (usize, usize),
    strides: (usize, usize, usize),
}

impl Planes {
    fn copy(picture: &DecodedYUV<'_>) -> Result<Self, MediaError> {
        let (w, h) = picture.dimensions();
        sizes(w, h)?;
        Ok(Self {
            y: picture.y().to_vec(),
            u: picture.u().to_vec(),
            v: picture.v().to_vec(),
            size: (w, h),
            strides: picture.strides(),
        })
    }

    /// BT.601 limited range, as OpenH264's own conversion.
    fn to_rgb(&self) -> Result<RgbImage, MediaError> {
        let (w, h) = self.size;
        let (width, height) = sizes(w, h)?;
        let (ys, us, vs) = self.strides;
        let mut rgb = vec![0u8; w * h * 3];
        for (row, line) in rgb.chunks_exact_mut(w * 3).enumerate() {
            for (col, px) in line.chunks_exact_mut(3).enumerate() {
                let at = |plane: &[u8], i: usize| f32::from(plane.get(i).copied().unwrap_or(128));
                let y = (at(&self.y, row * ys + col) - 16.0) * (255.0 / 219.0);
                let u = at(&self.u, (row / 2) * us + col / 2) - 128.0;
                let v = at(&self.v, (row / 2) * vs + col / 2) - 128.0;
                let clamp = |x: f32| x.round().clamp(0.0, 255.0) as u8;
                px[0] = clamp(y + 1.596 * v);
                px[1] = clamp(y - 0.392 * u - 0.813 * v);
                px[2] = clamp(y + 2.017 * u);
            }
        }
        RgbImage::from_raw(width, height, rgb).ok_or_else(|| {
            MediaError::Decode("the picture's size does not match its pixels".into())
        })
    }
}
