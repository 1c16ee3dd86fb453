//! Frames from videos, with a decoder compiled into the app: the first frame (for a
//! poster), the last frame in display order (to continue a video), and posters kept in
//! the platform cache. Pure functions from bytes (or a file) to images; egui textures stay
//! in `gui/`.
//!
//! The route, after rerun's `re_video`: the MP4 container is read and checked
//! ([`boxes`], [`demux`]), its video codec named (for H.264 by its sequence parameter
//! set too: OpenH264 decodes 8-bit 4:2:0, not High 10, 4:2:2 or monochrome), and the
//! frame asked of the first [`Backend`] that decodes that codec: OpenH264 compiled in
//! for the H.264 it decodes, then an `ffmpeg` found on `PATH` for anything else. With
//! neither, the answer is "no poster: <codec> not supported" ("no poster: H.264 High 10
//! (avc1) not supported").
//!
//! A damaged or hostile file gives a [`MediaError`] with the reason: box sizes are checked
//! against the file, frame sizes against [`limits`] before anything of that size is
//! allocated.

mod boxes;
mod demux;
mod error;
mod ffmpeg;
mod h264;
pub mod limits;
mod poster;

pub use error::MediaError;
pub use poster::{
    POSTER_MAX_SIDE, POSTERS_AT_ONCE, Poster, PosterCache, PosterMaker, PosterSource, PrefixStatus,
    decode_image, poster_image, poster_pixels, prefix_status, shrink,
};

use image::RgbImage;
use std::fmt;
use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::Path;

/// A video: its bytes (a whole file, or the start of one fetched with a `Range` request)
/// or a saved file.
#[derive(Debug, Clone, Copy)]
pub enum Video<'a> {
    Bytes(&'a [u8]),
    File(&'a Path),
}

impl<'a> From<&'a [u8]> for Video<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        Self::Bytes(bytes)
    }
}

impl<'a> From<&'a Vec<u8>> for Video<'a> {
    fn from(bytes: &'a Vec<u8>) -> Self {
        Self::Bytes(bytes)
    }
}

impl<'a> From<&'a Path> for Video<'a> {
    fn from(path: &'a Path) -> Self {
        Self::File(path)
    }
}

impl<'a> From<&'a std::path::PathBuf> for Video<'a> {
    fn from(path: &'a std::path::PathBuf) -> Self {
        Self::File(path)
    }
}

/// Which frame, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    First,
    Last,
}

/// The video codec, as the file's sample entry (and, for H.264, its sequence parameter
/// set) names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Codec {
    /// H.264 that OpenH264 decodes (8 bits a sample, 4:2:0), in an `avc1`
    /// track or an `avc3` one (parameter sets in its frames).
    H264,
    /// H.264 in a profile OpenH264 does not decode (High 10, High 4:2:2, High 4:4:4, …),
    /// by its name and the track's four-character code: "H.264 High 10 (avc1)".
    H264Profile(String),
    /// Any other, by its four-character code (`hvc1`, `vp09`, `mp4v`, …).
    Other([u8; 4]),
}

impl Codec {
    /// By the four-character code alone (H.264's profile unknown).
    fn of(fourcc: [u8; 4]) -> Self {
        match &fourcc {
            b"avc1" | b"avc3" => Self::H264,
            _ => Self::Other(fourcc),
        }
    }

    /// A track's codec; for H.264, the profile of the first parameter set in its `avcC`
    /// (an `avc3` track without one is taken as decodable, and its in-band sets are
    /// checked as they come).
    fn of_track(track: &boxes::VideoTrack<'_>) -> Self {
        let codec = Self::of(track.fourcc);
        if codec != Self::H264 {
            return codec;
        }
        let first_sps = track
            .avcc
            .and_then(|avcc| demux::avc_config(avcc).ok())
            .and_then(|config| config.sps.first().copied());
        match first_sps.and_then(h264::unsupported_profile) {
            Some(profile) => Self::h264_profile(&profile, track.fourcc),
            None => Self::H264,
        }
    }

    fn h264_profile(profile: &str, fourcc: [u8; 4]) -> Self {
        Self::H264Profile(format!("H.264 {profile} ({})", boxes::fourcc_text(&fourcc)))
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fourcc = match self {
            Self::H264 => return f.write_str("H.264"),
            Self::H264Profile(name) => return f.write_str(name),
            Self::Other(fourcc) => fourcc,
        };
        let name = match fourcc {
            b"hvc1" | b"hev1" => "HEVC",
            b"vp09" => "VP9",
            b"vp08" => "VP8",
            b"av01" => "AV1",
            b"mp4v" => "MPEG-4 Part 2",
            b"apcn" | b"apch" | b"apcs" | b"apco" | b"ap4h" => "ProRes",
            _ => "the video codec",
        };
        write!(f, "{name} ({})", boxes::fourcc_text(fourcc))
    }
}

/// A decoder of one or more codecs. Tried in order; the first that decodes the file's
/// codec gives the answer.
trait Backend {
    fn decodes(&self, codec: &Codec) -> bool;
    /// The frame of a track of `codec` (as the route knows it by now).
    fn frame(
        &self,
        input: &mut Input<'_>,
        track: &boxes::VideoTrack<'_>,
        codec: &Codec,
        which: Which,
    ) -> Result<RgbImage, MediaError>;
}

trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

/// An opened video: a reader, its length, and what it came from.
struct Input<'a> {
    reader: Box<dyn ReadSeek + 'a>,
    len: u64,
    video: Video<'a>,
}

impl<'a> Input<'a> {
    fn open(video: Video<'a>) -> Result<Self, MediaError> {
        match video {
            Video::Bytes(bytes) => Ok(Self {
                reader: Box::new(Cursor::new(bytes)),
                len: bytes.len() as u64,
                video,
            }),
            Video::File(path) => {
                let file = File::open(path)
                    .map_err(|e| MediaError::Io(format!("{}: {e}", path.display())))?;
                let len = file.metadata()?.len();
                Ok(Self {
                    reader: Box::new(BufReader::with_capacity(256 * 1024, file)),
                    len,
                    video,
                })
            }
        }
    }

    /// The bytes of sample `n` (0-based, for messages) into `out`; `Truncated` when the
    /// file ends first (a partial download).
    fn read_sample(
        &mut self,
        sample: &demux::Sample,
        n: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), MediaError> {
        let end = sample.offset.saturating_add(u64::from(sample.size));
        if end > self.len {
            return Err(MediaError::Truncated(format!(
                "frame {} needs {end} bytes; the file has {}",
                n + 1,
                self.len
            )));
        }
        out.resize(sample.size as usize, 0);
        self.reader.seek(SeekFrom::Start(sample.offset))?;
        self.reader.read_exact(out)?;
        Ok(())
    }
}

/// The first frame in display order, at the video's own size.
pub fn first_frame<'a>(video: impl Into<Video<'a>>) -> Result<RgbImage, MediaError> {
    frame(video.into(), Which::First)
}

/// The last frame in display order, at the video's own size: decoded from the last key
/// frame where the file has several, from the start where it has one. Needs the whole
/// file.
pub fn last_frame<'a>(video: impl Into<Video<'a>>) -> Result<RgbImage, MediaError> {
    frame(video.into(), Which::Last)
}

/// The codec of the video's first video track (`Err` when it is not a readable MP4).
pub fn codec<'a>(video: impl Into<Video<'a>>) -> Result<Codec, MediaError> {
    let mut input = Input::open(video.into())?;
    let moov = index(&mut input)?;
    Ok(Codec::of_track(&demux::video_track(&moov)?))
}

/// The back ends, compiled-in first.
fn backends() -> [&'static dyn Backend; 2] {
    [&h264::OpenH264, &ffmpeg::Ffmpeg]
}

fn frame(video: Video<'_>, which: Which) -> Result<RgbImage, MediaError> {
    frame_with(video, which, &backends())
}

fn frame_with(
    video: Video<'_>,
    which: Which,
    backends: &[&dyn Backend],
) -> Result<RgbImage, MediaError> {
    let mut input = Input::open(video)?;
    let moov = index(&mut input)?;
    let track = demux::video_track(&moov)?;
    let mut codec = Codec::of_track(&track);
    limits::check_size(track.size.0, track.size.1)?;
    for backend in backends {
        if !backend.decodes(&codec) {
            continue;
        }
        match backend.frame(&mut input, &track, &codec, which) {
            // The frames said what the index did not (an `avc3` track's in-band
            // parameter set in a profile OpenH264 does not decode): the next back end
            // that decodes that is asked.
            Err(MediaError::Unsupported { codec: name }) if codec == Codec::H264 => {
                codec = Codec::H264Profile(name);
            }
            other => return other,
        }
    }
    Err(MediaError::Unsupported {
        codec: codec.to_string(),
    })
}

/// The checked `moov` box, whole.
fn index(input: &mut Input<'_>) -> Result<Vec<u8>, MediaError> {
    let layout = boxes::layout(&mut input.reader, input.len)?;
    if layout.fragmented {
        return Err(MediaError::Fragmented);
    }
    let moov = layout
        .moov
        .ok_or_else(|| MediaError::NotMp4("it has no index (moov box)".into()))?;
    boxes::read_moov(&mut input.reader, moov)
}

#[cfg(test)]
mod tests;
