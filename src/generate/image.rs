//! Images for a generation: a web link goes to the API as it is; a local file is checked
//! (a PNG, JPEG or WebP by its bytes, not its name; at most 10 MB) and sent inline as a
//! base64 data URI.

use base64::Engine;
use std::io::Read;
use std::path::Path;

/// The API's limit for one image.
pub const MAX_IMAGE_BYTES: u64 = 10 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageSource {
    /// http:// or https://
    Web,
    /// `data:image/…;base64,…` (from a stored task)
    DataUri,
    File,
    /// Some other scheme (ftp://, file://, …) or nothing at all.
    Unsupported,
}

impl ImageSource {
    pub fn of(text: &str) -> Self {
        let t = text.trim();
        let lower = t.get(..t.len().min(16)).unwrap_or("").to_ascii_lowercase();
        if t.is_empty() {
            Self::Unsupported
        } else if lower.starts_with("https://") || lower.starts_with("http://") {
            Self::Web
        } else if lower.starts_with("data:") {
            Self::DataUri
        } else if t.contains("://") {
            Self::Unsupported
        } else {
            Self::File
        }
    }
}

/// Why an image cannot go with a generation.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("give a file or an http(s) link")]
    Empty,
    /// The text (shortened) that is neither.
    #[error("{0:?} is neither a local file nor an http(s) link")]
    Unsupported(String),
    #[error("a data URI must be a base64 PNG, JPEG or WebP image")]
    BadDataUri,
    #[error("{0:?} is not a valid link")]
    BadLink(String),
    #[error("cannot open {name}: {source}")]
    Open {
        name: String,
        source: std::io::Error,
    },
    #[error("cannot read {name}: {source}")]
    Read {
        name: String,
        source: std::io::Error,
    },
    #[error(
        "{name} is {mb:.1} MB; the API takes images up to {max} MB",
        mb = megabytes(*.size),
        max = MAX_IMAGE_BYTES / (1024 * 1024)
    )]
    TooBig { name: String, size: u64 },
    #[error("{name} is not a PNG, JPEG or WebP image")]
    NotAnImage { name: String },
}

fn megabytes(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Checks the form of `source` without touching the disk.
pub fn classify(source: &str) -> Result<ImageSource, ImageError> {
    match ImageSource::of(source) {
        ImageSource::Unsupported if source.trim().is_empty() => Err(ImageError::Empty),
        ImageSource::Unsupported => Err(ImageError::Unsupported(short(source))),
        ImageSource::DataUri if !is_image_data_uri(source.trim()) => Err(ImageError::BadDataUri),
        ImageSource::Web if url::Url::parse(source.trim()).is_err() => {
            Err(ImageError::BadLink(short(source)))
        }
        kind => Ok(kind),
    }
}

/// The URL to send for `source`: links as they are, files read and encoded. Blocking.
pub fn resolve(source: &str) -> Result<String, ImageError> {
    match classify(source)? {
        ImageSource::File => file_data_uri(Path::new(source.trim())),
        _ => Ok(source.trim().to_owned()),
    }
}

/// A data URI said in words ("an embedded PNG image, 312.4 kB"), or `None` for anything
/// else: the panel shows this instead of megabytes of base64 in a text field.
pub fn describe_data_uri(text: &str) -> Option<String> {
    let text = text.trim();
    if !is_image_data_uri(text) {
        return None;
    }
    let (head, data) = text.split_once(',')?;
    let kind = head
        .trim_start_matches("data:image/")
        .trim_end_matches(";base64")
        .to_ascii_uppercase();
    // Base64 holds 3 bytes in every 4 characters, less its padding.
    let padding = data.bytes().rev().take_while(|b| *b == b'=').count();
    let bytes = (data.len() / 4 * 3).saturating_sub(padding) as u64;
    Some(format!(
        "an embedded {kind} image, {}",
        crate::library::wording::human_bytes(bytes)
    ))
}

fn is_image_data_uri(text: &str) -> bool {
    let lower = text
        .get(..text.len().min(40))
        .unwrap_or("")
        .to_ascii_lowercase();
    [
        "data:image/png;base64,",
        "data:image/jpeg;base64,",
        "data:image/webp;base64,",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
}

/// The file as a data URI, its type taken from its first bytes.
pub fn file_data_uri(path: &Path) -> Result<String, ImageError> {
    let name = || path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| ImageError::Open {
        name: name(),
        source,
    })?;
    let read_error = |source| ImageError::Read {
        name: name(),
        source,
    };
    let size = file.metadata().map_err(read_error)?.len();
    if size > MAX_IMAGE_BYTES {
        return Err(ImageError::TooBig { name: name(), size });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    // Bounded even if the file grows between the size check and the read.
    file.take(MAX_IMAGE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() as u64 > MAX_IMAGE_BYTES {
        return Err(ImageError::TooBig {
            name: name(),
            size: bytes.len() as u64,
        });
    }
    let mime = sniff(&bytes).ok_or_else(|| ImageError::NotAnImage { name: name() })?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
    Ok(format!("data:{mime};base64,{encoded}"))
}

/// The MIME type of a PNG, JPEG or WebP image by its signature.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    match image::guess_format(bytes).ok()? {
        image::ImageFormat::Png => Some("image/png"),
        image::ImageFormat::Jpeg => Some("image/jpeg"),
        image::ImageFormat::WebP => Some("image/webp"),
        _ => None,
    }
}

fn short(text: &str) -> String {
    let t = text.trim();
    if t.chars().count() > 60 {
        format!("{}…", t.chars().take(60).collect::<String>())
    } else {
        t.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn an_embedded_image_is_said_in_words() {
        assert_eq!(
            describe_data_uri("data:image/png;base64,iVBORw0KGgo=").as_deref(),
            Some("an embedded PNG image, 8 bytes")
        );
        assert_eq!(
            describe_data_uri(&format!("data:image/jpeg;base64,{}", "A".repeat(4000))).as_deref(),
            Some("an embedded JPEG image, 3.0 kB")
        );
        assert_eq!(describe_data_uri("https://cdn.example/a.png"), None);
        assert_eq!(describe_data_uri("data:text/html;base64,PGgxPg=="), None);
    }

    #[test]
    fn sources_are_told_apart() {
        assert_eq!(ImageSource::of("HTTPS://x.example/a.png"), ImageSource::Web);
        assert_eq!(
            ImageSource::of("data:image/png;base64,AAAA"),
            ImageSource::DataUri
        );
        assert_eq!(ImageSource::of("C:\\pics\\a.png"), ImageSource::File);
        assert_eq!(ImageSource::of("./a.png"), ImageSource::File);
        assert_eq!(ImageSource::of("ftp://x/a.png"), ImageSource::Unsupported);
        assert!(classify("").is_err());
        assert!(classify("data:text/html;base64,AAAA").is_err());
        assert!(classify("https://").is_err());
    }

    #[test]
    fn files_are_sniffed_not_named() {
        let dir = tempfile::tempdir().expect("dir");
        let png = dir.path().join("photo.jpg");
        std::fs::write(&png, PNG).expect("write");
        let uri = resolve(png.to_str().expect("utf-8")).expect("a png");
        assert!(
            uri.starts_with("data:image/png;base64,iVBORw0KGgo"),
            "{uri}"
        );
        let text = dir.path().join("notes.png");
        std::fs::write(&text, "hello").expect("write");
        assert!(
            resolve(text.to_str().expect("utf-8"))
                .expect_err("text")
                .to_string()
                .contains("not a PNG")
        );
        let missing = dir.path().join("missing.png");
        assert!(
            resolve(missing.to_str().expect("utf-8"))
                .expect_err("missing")
                .to_string()
                .contains("cannot open")
        );
    }

    #[test]
    fn big_files_are_refused_before_reading() {
        let dir = tempfile::tempdir().expect("dir");
        let big = dir.path().join("big.png");
        let file = std::fs::File::create(&big).expect("create");
        file.set_len(MAX_IMAGE_BYTES + 1).expect("sparse file");
        let err = resolve(big.to_str().expect("utf-8"))
            .expect_err("too big")
            .to_string();
        assert_eq!(
            err,
            format!(
                "{} is 10.0 MB; the API takes images up to 10 MB",
                big.display()
            )
        );
    }
}
