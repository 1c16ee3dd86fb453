//! What a body is, by its first bytes: whatever the server's content type says, a video
//! is kept only if it is an MP4 and an image only if it is a PNG, JPEG or WebP.

/// What a file is expected to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    Video,
    Image,
}

impl MediaKind {
    /// "a video", "an image".
    pub fn with_article(self) -> &'static str {
        match self {
            MediaKind::Video => "a video",
            MediaKind::Image => "an image",
        }
    }

    /// The word used in messages ("not a video: …").
    pub fn noun(self) -> &'static str {
        match self {
            MediaKind::Video => "video",
            MediaKind::Image => "image",
        }
    }
}

/// A recognised file type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Detected {
    Mp4,
    Png,
    Jpeg,
    Webp,
}

impl Detected {
    /// The usual extension of the type.
    pub fn extension(self) -> &'static str {
        match self {
            Detected::Mp4 => "mp4",
            Detected::Png => "png",
            Detected::Jpeg => "jpg",
            Detected::Webp => "webp",
        }
    }

    pub fn kind(self) -> MediaKind {
        match self {
            Detected::Mp4 => MediaKind::Video,
            _ => MediaKind::Image,
        }
    }
}

/// Bytes [`sniff`] needs to decide.
pub const HEAD_BYTES: usize = 12;

/// The type of a body that starts with `head` (at least [`HEAD_BYTES`] long to be
/// recognised), if it is one `kind` accepts.
pub fn sniff(head: &[u8], kind: MediaKind) -> Option<Detected> {
    let detected = if head.len() < HEAD_BYTES {
        return None;
    } else if &head[4..8] == b"ftyp" {
        // ISO base media: the first box is `ftyp`, after its 4-byte size.
        Detected::Mp4
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Detected::Png
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Detected::Jpeg
    } else if head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
        Detected::Webp
    } else {
        return None;
    };
    (detected.kind() == kind).then_some(detected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes_decide() {
        let mp4 = b"\0\0\0\x20ftypisom\0\0\x02\0";
        assert_eq!(sniff(mp4, MediaKind::Video), Some(Detected::Mp4));
        assert_eq!(sniff(mp4, MediaKind::Image), None);
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n\0\0\0\x0d", MediaKind::Image),
            Some(Detected::Png)
        );
        assert_eq!(
            sniff(b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01", MediaKind::Image),
            Some(Detected::Jpeg)
        );
        assert_eq!(
            sniff(b"RIFF\0\0\0\0WEBPVP8 ", MediaKind::Image),
            Some(Detected::Webp)
        );
        assert_eq!(sniff(b"<!DOCTYPE html><html>", MediaKind::Video), None);
        assert_eq!(sniff(b"<?xml version=", MediaKind::Image), None);
        assert_eq!(
            sniff(b"\0\0\0\x20ftyp", MediaKind::Video),
            None,
            "too short to tell"
        );
    }
}
