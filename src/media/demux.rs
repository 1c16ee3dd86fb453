//! An MP4 file's video track: where each frame's bytes are and, for H.264, its parameter
//! sets. The `mp4` crate parses the track's boxes (after [`boxes`](super::boxes) has
//! checked their sizes); the `avcC` record is read here (for `avc1` and `avc3` alike),
//! and the sample table is computed in one pass, with checked arithmetic, so that
//! neither a damaged table nor a long video costs more than one entry per frame.

use super::MediaError;
use super::boxes::{self, VideoTrack};
use super::limits::{MAX_SAMPLE_BYTES, MAX_SAMPLES};
use mp4::{BoxHeader, MoovBox, ReadBox};
use std::io::Cursor;

/// One compressed frame in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub offset: u64,
    pub size: u32,
    /// A sync sample (for H.264 in MP4: an IDR picture).
    pub sync: bool,
}

/// What the H.264 decoder needs from the container.
#[derive(Debug, Clone)]
pub struct AvcTrack {
    /// Bytes of each NAL unit's length prefix (1, 2 or 4).
    pub length_size: u8,
    pub sps: Vec<Vec<u8>>,
    pub pps: Vec<Vec<u8>>,
    /// In decoding order.
    pub samples: Vec<Sample>,
}

/// Parses an H.264 (`avc1` or `avc3`) track found by [`boxes::video_track`].
pub fn avc_track(track: &VideoTrack<'_>) -> Result<AvcTrack, MediaError> {
    let avcc = track
        .avcc
        .ok_or_else(|| MediaError::Corrupt("the H.264 track has no avcC configuration".into()))?;
    let config = avc_config(avcc)?;
    let samples = samples(track)?;
    Ok(AvcTrack {
        length_size: config.length_size,
        sps: config.sps.into_iter().map(<[u8]>::to_vec).collect(),
        pps: config.pps.into_iter().map(<[u8]>::to_vec).collect(),
        samples,
    })
}

/// Where each frame of a video track is, whatever its codec (in decoding order).
pub fn samples(track: &VideoTrack<'_>) -> Result<Vec<Sample>, MediaError> {
    sample_table(&parse_track(track)?)
}

/// An `avcC` box's payload (AVCDecoderConfigurationRecord, ISO/IEC 14496-15 §5.3.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvcConfig<'a> {
    /// Bytes of each NAL unit's length prefix (1, 2 or 4).
    pub length_size: u8,
    /// Non-empty sequence parameter sets (an `avc3` track may have none: they are in
    /// its frames).
    pub sps: Vec<&'a [u8]>,
    pub pps: Vec<&'a [u8]>,
}

/// Reads an `avcC` payload, every length checked against it.
pub fn avc_config(avcc: &[u8]) -> Result<AvcConfig<'_>, MediaError> {
    let head = avcc.get(..6).ok_or_else(avcc_cut)?;
    let length_size = (head[4] & 3) + 1;
    if length_size == 3 {
        return Err(MediaError::Corrupt(
            "NAL units with 3-byte lengths are not valid H.264 in MP4".into(),
        ));
    }
    let mut rest = &avcc[6..];
    let sps = parameter_sets(&mut rest, usize::from(head[5] & 0x1f))?;
    let pps_count = match rest.split_first() {
        Some((&n, tail)) => {
            rest = tail;
            usize::from(n)
        }
        // An `avc3` record may stop after its (zero) sequence parameter sets.
        None if sps.is_empty() => 0,
        None => return Err(avcc_cut()),
    };
    let pps = parameter_sets(&mut rest, pps_count)?;
    Ok(AvcConfig {
        length_size,
        sps,
        pps,
    })
}

fn avcc_cut() -> MediaError {
    MediaError::Corrupt("the H.264 configuration (avcC) is cut".into())
}

/// `count` parameter sets behind 16-bit lengths, from the front of `rest`; empty ones
/// are left out.
fn parameter_sets<'a>(rest: &mut &'a [u8], count: usize) -> Result<Vec<&'a [u8]>, MediaError> {
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let (len, tail) = rest.split_at_checked(2).ok_or_else(avcc_cut)?;
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        let (set, tail) = tail.split_at_checked(len).ok_or_else(avcc_cut)?;
        if !set.is_empty() {
            out.push(set);
        }
        *rest = tail;
    }
    Ok(out)
}

/// The `mp4` crate's reading of a movie holding only the movie header and the video
/// track (other tracks, e.g. audio in a codec it does not know, cannot make it fail).
fn parse_track(track: &VideoTrack<'_>) -> Result<MoovBox, MediaError> {
    let size = 8 + track.mvhd.len() + track.trak.len();
    let mut movie = Vec::with_capacity(size);
    movie.extend_from_slice(&u32::try_from(size).unwrap_or(u32::MAX).to_be_bytes());
    movie.extend_from_slice(b"moov");
    movie.extend_from_slice(track.mvhd);
    movie.extend_from_slice(track.trak);
    let parse = || -> mp4::Result<MoovBox> {
        let mut cursor = Cursor::new(movie.as_slice());
        let header = BoxHeader::read(&mut cursor)?;
        MoovBox::read_box(&mut cursor, header.size)
    };
    // The box sizes were checked, but the `mp4` crate still has `unwrap()`s on paths a
    // damaged file may reach; a damaged file is a reason, never a crash of the caller.
    match std::panic::catch_unwind(parse) {
        Ok(Ok(moov)) => Ok(moov),
        Ok(Err(e)) => Err(MediaError::Corrupt(format!("its video track: {e}"))),
        Err(_) => Err(MediaError::Corrupt(
            "its video track cannot be parsed".into(),
        )),
    }
}

/// Offsets, sizes and sync flags of every sample, from `stsz`, `stsc`, `stco`/`co64` and
/// `stss`.
fn sample_table(moov: &MoovBox) -> Result<Vec<Sample>, MediaError> {
    let stbl = &moov
        .traks
        .first()
        .ok_or(MediaError::NoVideoTrack)?
        .mdia
        .minf
        .stbl;
    let stsz = &stbl.stsz;
    let count = stsz.sample_count;
    if count > MAX_SAMPLES {
        return Err(MediaError::Corrupt(format!(
            "{count} frames in one track; at most {MAX_SAMPLES} are read"
        )));
    }
    if stsz.sample_size == 0 && stsz.sample_sizes.len() != count as usize {
        return Err(MediaError::Corrupt("the sample size table is short".into()));
    }
    let size_of = |i: usize| {
        if stsz.sample_size > 0 {
            stsz.sample_size
        } else {
            stsz.sample_sizes.get(i).copied().unwrap_or(0)
        }
    };
    let chunks: Vec<u64> = match (&stbl.stco, &stbl.co64) {
        (Some(stco), _) => stco.entries.iter().map(|&o| u64::from(o)).collect(),
        (None, Some(co64)) => co64.entries.clone(),
        (None, None) => return Err(MediaError::Corrupt("no chunk offset table".into())),
    };
    let runs = &stbl.stsc.entries;
    let mut samples = Vec::with_capacity(count as usize);
    'runs: for (r, run) in runs.iter().enumerate() {
        let first = usize::try_from(run.first_chunk).unwrap_or(usize::MAX);
        let next = runs.get(r + 1).map_or(chunks.len() + 1, |n| {
            usize::try_from(n.first_chunk).unwrap_or(usize::MAX)
        });
        if first == 0 || next <= first {
            return Err(MediaError::Corrupt(
                "the sample-to-chunk table is out of order".into(),
            ));
        }
        for chunk in first..next {
            let Some(&start) = chunks.get(chunk - 1) else {
                break 'runs;
            };
            let mut offset = start;
            for _ in 0..run.samples_per_chunk {
                let i = samples.len();
                if i == count as usize {
                    break 'runs;
                }
                let size = size_of(i);
                if size > MAX_SAMPLE_BYTES {
                    return Err(MediaError::Corrupt(format!(
                        "frame {} is {size} bytes; at most {MAX_SAMPLE_BYTES} are read",
                        i + 1
                    )));
                }
                samples.push(Sample {
                    offset,
                    size,
                    sync: false,
                });
                offset = offset
                    .checked_add(u64::from(size))
                    .ok_or_else(|| MediaError::Corrupt("a frame lies past 2^64 bytes".into()))?;
            }
        }
    }
    if samples.len() != count as usize {
        return Err(MediaError::Corrupt(format!(
            "the tables place {} of its {count} frames",
            samples.len()
        )));
    }
    match &stbl.stss {
        // No table: every sample is a sync sample (ISO/IEC 14496-12 §8.6.2).
        None => samples.iter_mut().for_each(|s| s.sync = true),
        Some(stss) => {
            for &n in &stss.entries {
                if let Some(s) = (n as usize).checked_sub(1).and_then(|i| samples.get_mut(i)) {
                    s.sync = true;
                }
            }
        }
    }
    Ok(samples)
}

/// The video track of a checked `moov` box: its sample entry's codec and size.
pub fn video_track(moov: &[u8]) -> Result<VideoTrack<'_>, MediaError> {
    let payload = boxes::children(moov)?
        .into_iter()
        .next()
        .map(|c| c.payload)
        .ok_or_else(|| MediaError::Corrupt("empty index".into()))?;
    boxes::check_tree(payload, 0)?;
    boxes::video_track(payload)?.ok_or(MediaError::NoVideoTrack)
}
