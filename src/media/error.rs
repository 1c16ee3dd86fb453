//! Why a video gave no frame, in words a person can act on. The window shows
//! `no poster: <reason>` ([`MediaError::no_poster`]) or, for Continue, "this video's last
//! frame cannot be decoded: <reason>" ([`MediaError::no_last_frame`]).

use super::limits::{MAX_HEIGHT, MAX_PIXELS, MAX_WIDTH};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    #[error("not an MP4 video ({0})")]
    NotMp4(String),
    /// The index sits after the media data: a prefix of the file (a `Range` request for
    /// its start) holds no index, so the whole file is needed.
    #[error(
        "the video's index (moov) is at the end of the file, so its start alone cannot be decoded; the whole file is needed"
    )]
    IndexAtEnd,
    #[error("fragmented MP4 is not supported")]
    Fragmented,
    #[error("the file has no video track")]
    NoVideoTrack,
    /// The codec as the file names it, e.g. "HEVC (hvc1)".
    #[error("{codec} not supported")]
    Unsupported { codec: String },
    #[error(
        "the video is {width} × {height}; frames up to {MAX_WIDTH} × {MAX_HEIGHT} ({MAX_PIXELS} pixels) are decoded"
    )]
    TooLarge { width: u32, height: u32 },
    #[error(
        "the image is {width} × {height}; images up to {MAX_WIDTH} × {MAX_HEIGHT} ({MAX_PIXELS} pixels) are decoded"
    )]
    ImageTooLarge { width: u32, height: u32 },
    #[error("the video has no frames")]
    NoFrames,
    /// The file ends before the data that is needed (a partial download, a prefix).
    #[error("the file is cut short: {0}")]
    Truncated(String),
    #[error("the video is damaged: {0}")]
    Corrupt(String),
    #[error("the decoder gave no picture: {0}")]
    Decode(String),
    #[error("cannot read the video: {0}")]
    Io(String),
    /// What ffmpeg was asked to decode and why it gave no frame: "HEVC (hvc1) not
    /// supported; ffmpeg could not decode it: exit status: 1: …".
    #[error("{0}")]
    Ffmpeg(String),
    #[error("not an image ({0})")]
    NotImage(String),
    #[error("cannot keep the poster: {0}")]
    Cache(String),
}

impl MediaError {
    /// The sentence for a card or the Thumbnails column.
    pub fn no_poster(&self) -> String {
        format!("no poster: {self}")
    }

    /// The sentence for Continue when the frame has to come from the video.
    pub fn no_last_frame(&self) -> String {
        format!("this video's last frame cannot be decoded: {self}")
    }
}

impl From<std::io::Error> for MediaError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            Self::Truncated(e.to_string())
        } else {
            Self::Io(e.to_string())
        }
    }
}
