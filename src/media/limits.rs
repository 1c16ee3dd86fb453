//! Bounds on what a file may make the decoder allocate. A hostile file is refused by the
//! sizes it declares, before anything of that size is allocated.

use super::MediaError;

/// Widest and tallest frame decoded (8K is 7680 × 4320; SeeDance makes at most 4K).
pub const MAX_WIDTH: u32 = 8192;
pub const MAX_HEIGHT: u32 = 8192;
/// Pixels in one frame: 8K UHD fits, a 8192 × 8192 square does not.
pub const MAX_PIXELS: u64 = 8192 * 4320;
/// The index box (`moov`) is read into memory whole; an hour of video at 30 frames a second needs about 2 MB.
pub const MAX_INDEX_BYTES: u64 = 64 * 1024 * 1024;
/// One compressed frame; an intra-coded 8K frame at a very high bit rate stays below this.
pub const MAX_SAMPLE_BYTES: u32 = 32 * 1024 * 1024;
/// Frames in one track (ten hours at 60 frames a second is 2 160 000).
pub const MAX_SAMPLES: u32 = 4_000_000;

/// Refuses a frame size outside the bounds (and a zero one).
pub fn check_size(width: u32, height: u32) -> Result<(), MediaError> {
    let pixels = u64::from(width) * u64::from(height);
    if width > MAX_WIDTH || height > MAX_HEIGHT || pixels > MAX_PIXELS {
        return Err(MediaError::TooLarge { width, height });
    }
    if pixels == 0 {
        return Err(MediaError::Corrupt(format!(
            "the frame size is {width} × {height}"
        )));
    }
    Ok(())
}

/// Refuses an image (the API's last-frame image, a kept poster) of a size outside the
/// bounds of a frame.
pub fn check_image_size(width: u32, height: u32) -> Result<(), MediaError> {
    match check_size(width, height) {
        Err(MediaError::TooLarge { width, height }) => {
            Err(MediaError::ImageTooLarge { width, height })
        }
        other => other,
    }
}
