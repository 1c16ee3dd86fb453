//! The fallback back end: an `ffmpeg` program on `PATH`, for a codec OpenH264 does not
//! decode (HEVC, VP9, AV1, MPEG-4 Part 2, H.264 High 10, …). It is not asked about the
//! H.264 OpenH264 decodes. When it is missing or fails, the answer is a reason naming the
//! codec; a run still going after [`TIMEOUT`] is ended.
//!
//! A video's bytes (the start of one fetched with a `Range` request for a poster, or a
//! whole one fetched for Continue) go to it as a temporary file: ffmpeg cannot seek a
//! pipe, so an MP4 whose index comes last fails from one ("partial file"). The file is
//! removed when the run ends.
//!
//! `$SEEDANCE_FFMPEG` names the program instead; set to `none` (or empty), none is used.

use super::{Backend, Codec, Input, MediaError, Video, Which, boxes::VideoTrack};
use image::RgbImage;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const ENV_FFMPEG: &str = "SEEDANCE_FFMPEG";
/// Longest an ffmpeg run may take before it is ended.
pub const TIMEOUT: Duration = Duration::from_secs(60);
/// Seconds before the end where the search for the last frame starts (a saved file).
const LAST_SECONDS: &str = "-3";

#[derive(Debug, Clone, Copy, Default)]
pub struct Ffmpeg;

impl Backend for Ffmpeg {
    fn decodes(&self, codec: &Codec) -> bool {
        *codec != Codec::H264 && program().is_some()
    }

    fn frame(
        &self,
        input: &mut Input<'_>,
        track: &VideoTrack<'_>,
        codec: &Codec,
        which: Which,
    ) -> Result<RgbImage, MediaError> {
        let program = program().ok_or_else(|| MediaError::Unsupported {
            codec: codec.to_string(),
        })?;
        let (width, height) = track.size;
        run(program, input.video, (width, height), which).map_err(|reason| {
            MediaError::Ffmpeg(format!(
                "{codec} not supported; ffmpeg could not decode it: {reason}"
            ))
        })
    }
}

/// The program to run, looked up once.
fn program() -> Option<&'static Path> {
    static PROGRAM: OnceLock<Option<PathBuf>> = OnceLock::new();
    PROGRAM
        .get_or_init(|| match std::env::var_os(ENV_FFMPEG) {
            Some(v) if v.is_empty() || v == "none" => None,
            Some(v) => Some(PathBuf::from(v)),
            None => on_path("ffmpeg"),
        })
        .as_deref()
}

fn on_path(name: &str) -> Option<PathBuf> {
    let file = if cfg!(windows) {
        format!("{name}.exe")
    } else {
        name.to_owned()
    };
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(&file))
        .find(|p| p.is_file())
}

/// The bytes in a temporary file of the system's temporary folder (removed on drop).
fn spill(bytes: &[u8]) -> std::io::Result<tempfile::NamedTempFile> {
    let mut file = tempfile::Builder::new()
        .prefix("seedance-tasks-")
        .suffix(".mp4")
        .tempfile()?;
    file.write_all(bytes)?;
    file.flush()?;
    Ok(file)
}

/// Runs ffmpeg to write raw RGB frames of `size` to its output, and keeps the first or
/// the last whole one.
fn run(
    program: &Path,
    video: Video<'_>,
    size: (u32, u32),
    which: Which,
) -> Result<RgbImage, RunError> {
    let (width, height) = size;
    let frame_len = width as usize * height as usize * 3;
    let mut cmd = Command::new(program);
    cmd.args(["-hide_banner", "-loglevel", "error", "-nostdin"]);
    // Kept alive until the run ends: dropping it removes the file.
    let spilled;
    let path = match video {
        Video::File(path) => path,
        Video::Bytes(bytes) => {
            spilled = spill(bytes).map_err(RunError::Spill)?;
            spilled.path()
        }
    };
    if which == Which::Last {
        cmd.args(["-sseof", LAST_SECONDS]);
    }
    cmd.arg("-i").arg(path);
    cmd.args(["-map", "0:v:0", "-an", "-sn"]);
    if which == Which::First {
        cmd.args(["-frames:v", "1"]);
    }
    cmd.args(["-s", &format!("{width}x{height}")])
        .args(["-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(RunError::Start)?;
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let started = Instant::now();
    let (frame, status, errors) = std::thread::scope(|s| {
        let frames = s.spawn(move || keep_frame(stdout, frame_len, which));
        let errors = s.spawn(move || {
            let mut text = String::new();
            if let Some(e) = stderr {
                let _ = e.take(16 * 1024).read_to_string(&mut text);
            }
            text
        });
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Ok(status),
                Ok(None) if started.elapsed() > TIMEOUT => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break Err(RunError::Timeout);
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
                Err(e) => break Err(RunError::Wait(e)),
            }
        };
        let frame = frames.join().unwrap_or(None);
        let errors = errors.join().unwrap_or_default();
        (frame, status, errors)
    });
    let status = status?;
    let first_line = errors.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    match frame {
        Some(rgb) if status.success() || which == Which::First => {
            RgbImage::from_raw(width, height, rgb).ok_or(RunError::FrameSize)
        }
        _ if !status.success() => Err(RunError::Failed {
            status,
            first_line: first_line.to_owned(),
        }),
        _ => Err(RunError::NoFrame),
    }
}

/// Why a run gave no frame (the words after "ffmpeg: <codec>: ").
#[derive(Debug, thiserror::Error)]
enum RunError {
    #[error("cannot start: {0}")]
    Start(std::io::Error),
    /// The video's bytes could not be written to a temporary file for it.
    #[error("cannot write the video for it: {0}")]
    Spill(std::io::Error),
    #[error("no answer within {} s", TIMEOUT.as_secs())]
    Timeout,
    /// Asking whether it is still running failed.
    #[error("{0}")]
    Wait(std::io::Error),
    #[error("wrong frame size")]
    FrameSize,
    /// Its exit status and the first line it wrote to stderr.
    #[error("{status}: {first_line}")]
    Failed {
        status: std::process::ExitStatus,
        first_line: String,
    },
    #[error("it wrote no frame")]
    NoFrame,
}

/// Reads frames of `len` bytes until the end; the first or the last whole one.
fn keep_frame(out: Option<std::process::ChildStdout>, len: usize, which: Which) -> Option<Vec<u8>> {
    let mut out = out?;
    let mut kept: Option<Vec<u8>> = None;
    let mut buf = vec![0u8; len];
    loop {
        if out.read_exact(&mut buf).is_err() {
            return kept;
        }
        match which {
            Which::First => {
                // Drain the rest so ffmpeg is not stopped by a full pipe.
                let _ = std::io::copy(&mut out, &mut std::io::sink());
                return Some(buf);
            }
            Which::Last => {
                let previous = kept.replace(std::mem::take(&mut buf));
                buf = previous.unwrap_or_else(|| vec![0u8; len]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RunError;

    #[test]
    fn run_errors_read_as_before() {
        assert_eq!(RunError::Timeout.to_string(), "no answer within 60 s");
        assert_eq!(RunError::NoFrame.to_string(), "it wrote no frame");
        assert_eq!(RunError::FrameSize.to_string(), "wrong frame size");
        let start = RunError::Start(std::io::Error::new(std::io::ErrorKind::NotFound, "nope"));
        assert_eq!(start.to_string(), "cannot start: nope");
    }
}
