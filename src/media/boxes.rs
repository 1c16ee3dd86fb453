//! The ISO BMFF box structure, checked before the `mp4` crate parses it: every box lies
//! inside its parent and inside the file, so no size a file declares can make a parser
//! allocate more than the bytes that are really there. Also finds what the `mp4` crate
//! does not keep: where the index is relative to the media data, and the video track's
//! codec as a four-character code (to name an unsupported codec).

use super::MediaError;
use super::limits::MAX_INDEX_BYTES;
use std::io::{Read, Seek, SeekFrom};

/// Box types that may start an MP4 file (ISO/IEC 14496-12 top level, QuickTime's `wide`).
const TOP_LEVEL: [&[u8; 4]; 13] = [
    b"ftyp", b"styp", b"moov", b"mdat", b"free", b"skip", b"wide", b"uuid", b"meta", b"moof",
    b"mfra", b"sidx", b"pdin",
];
/// Boxes whose payload is only boxes (the ones on the way to a track's sample tables).
const CONTAINERS: [&[u8; 4]; 9] = [
    b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf", b"mvex", b"udta",
];
/// Top-level boxes read before giving up (real files have a handful).
const MAX_TOP_LEVEL_BOXES: usize = 10_000;

/// One box inside an in-memory buffer.
#[derive(Debug, Clone, Copy)]
pub struct Child<'a> {
    pub kind: [u8; 4],
    /// The whole box, header included.
    pub whole: &'a [u8],
    pub payload: &'a [u8],
}

/// Where the file's parts are.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Offset and size of the `moov` box.
    pub moov: Option<(u64, u64)>,
    pub fragmented: bool,
}

/// Reads the top-level boxes of a file of `len` bytes (which may be only the start of
/// the real file).
pub fn layout<R: Read + Seek>(reader: &mut R, len: u64) -> Result<Layout, MediaError> {
    let mut out = Layout::default();
    let mut at = 0u64;
    let mut media_cut = false;
    for index in 0..MAX_TOP_LEVEL_BOXES {
        if at >= len {
            break;
        }
        let Some((kind, header, size)) = read_header(reader, at, len)? else {
            if index == 0 {
                return Err(MediaError::NotMp4("the file is too short".into()));
            }
            break;
        };
        if index == 0 && !TOP_LEVEL.contains(&&kind) {
            return Err(MediaError::NotMp4(format!(
                "it starts with {}",
                fourcc_text(&kind)
            )));
        }
        let size = size.unwrap_or(len - at);
        if size < header {
            return Err(MediaError::Corrupt(format!(
                "box {} at byte {at} is smaller than its header",
                fourcc_text(&kind)
            )));
        }
        let end = at.saturating_add(size);
        match &kind {
            b"moov" if out.moov.is_none() => {
                if end > len {
                    return Err(MediaError::Truncated(format!(
                        "the index (moov) needs {end} bytes; the file has {len}"
                    )));
                }
                out.moov = Some((at, size));
            }
            b"moof" => out.fragmented = true,
            b"mdat" if end > len => media_cut = true,
            _ => {}
        }
        at = end;
    }
    if out.moov.is_none() {
        return Err(if media_cut {
            MediaError::IndexAtEnd
        } else {
            MediaError::NotMp4("it has no index (moov box)".into())
        });
    }
    Ok(out)
}

/// A box header: its type, its own length and the box's size (`None`: to the end of the
/// file).
type Header = ([u8; 4], u64, Option<u64>);

/// The header of the box at `at`; `None` when fewer than 8 bytes are left.
fn read_header<R: Read + Seek>(
    reader: &mut R,
    at: u64,
    len: u64,
) -> Result<Option<Header>, MediaError> {
    if len - at < 8 {
        return Ok(None);
    }
    let mut head = [0u8; 8];
    reader.seek(SeekFrom::Start(at))?;
    reader.read_exact(&mut head)?;
    let kind = [head[4], head[5], head[6], head[7]];
    match u32::from_be_bytes([head[0], head[1], head[2], head[3]]) {
        0 => Ok(Some((kind, 8, None))),
        1 => {
            if len - at < 16 {
                return Ok(None);
            }
            let mut large = [0u8; 8];
            reader.read_exact(&mut large)?;
            Ok(Some((kind, 16, Some(u64::from_be_bytes(large)))))
        }
        n => Ok(Some((kind, 8, Some(u64::from(n))))),
    }
}

/// Reads the `moov` box whole, refusing one above [`MAX_INDEX_BYTES`].
pub fn read_moov<R: Read + Seek>(
    reader: &mut R,
    (at, size): (u64, u64),
) -> Result<Vec<u8>, MediaError> {
    if size > MAX_INDEX_BYTES {
        return Err(MediaError::Corrupt(format!(
            "its index (moov) is {size} bytes; at most {MAX_INDEX_BYTES} are read"
        )));
    }
    let mut bytes = vec![
        0u8;
        usize::try_from(size)
            .map_err(|_| MediaError::Corrupt("index too large".into()))?
    ];
    reader.seek(SeekFrom::Start(at))?;
    reader.read_exact(&mut bytes)?;
    Ok(bytes)
}

/// The boxes in `data`, each checked to lie inside it.
pub fn children(data: &[u8]) -> Result<Vec<Child<'_>>, MediaError> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        if rest.len() < 8 {
            return Err(corrupt_tail(rest.len()));
        }
        let declared = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let kind = [rest[4], rest[5], rest[6], rest[7]];
        let (header, size) = match declared {
            0 => (8, rest.len() as u64),
            1 => {
                let large = rest.get(8..16).ok_or_else(|| corrupt_tail(rest.len()))?;
                let mut b = [0u8; 8];
                b.copy_from_slice(large);
                (16, u64::from_be_bytes(b))
            }
            n => (8, u64::from(n)),
        };
        if size < header || size > rest.len() as u64 {
            return Err(MediaError::Corrupt(format!(
                "box {} declares {size} bytes where {} are left",
                fourcc_text(&kind),
                rest.len()
            )));
        }
        // Both fit in `rest`, so they fit in usize.
        let (whole, tail) = rest.split_at(size as usize);
        out.push(Child {
            kind,
            whole,
            payload: &whole[header as usize..],
        });
        rest = tail;
    }
    Ok(out)
}

fn corrupt_tail(left: usize) -> MediaError {
    MediaError::Corrupt(format!(
        "{left} stray bytes where a box header was expected"
    ))
}

/// Checks every container box below `data` (a box list), recursively.
pub fn check_tree(data: &[u8], depth: u32) -> Result<(), MediaError> {
    if depth > 16 {
        return Err(MediaError::Corrupt("boxes nested too deep".into()));
    }
    for child in children(data)? {
        if CONTAINERS.contains(&&child.kind) {
            check_tree(child.payload, depth + 1)?;
        }
    }
    Ok(())
}

/// The first child of type `kind`.
pub fn find<'a>(data: &'a [u8], kind: &[u8; 4]) -> Result<Option<Child<'a>>, MediaError> {
    Ok(children(data)?.into_iter().find(|c| &c.kind == kind))
}

/// What a track's boxes say about its video.
#[derive(Debug, Clone)]
pub struct VideoTrack<'a> {
    /// The `trak` box, whole.
    pub trak: &'a [u8],
    /// The movie header (`mvhd`), whole: the `mp4` crate parses a track inside a movie.
    pub mvhd: &'a [u8],
    /// The first sample entry's type (`avc1`, `hvc1`, `mp4v`, …).
    pub fourcc: [u8; 4],
    /// Width and height of the first sample entry.
    pub size: (u32, u32),
    /// The payload of the sample entry's `avcC` box (H.264's decoder configuration),
    /// where it has one.
    pub avcc: Option<&'a [u8]>,
}

/// Bytes of a VisualSampleEntry before its child boxes (ISO/IEC 14496-12 §12.1.3).
const VISUAL_SAMPLE_ENTRY: usize = 78;

/// The first track whose handler is `vide`, from the `moov` box's payload.
pub fn video_track(moov_payload: &[u8]) -> Result<Option<VideoTrack<'_>>, MediaError> {
    let boxes = children(moov_payload)?;
    let mvhd = boxes
        .iter()
        .find(|c| &c.kind == b"mvhd")
        .ok_or_else(|| MediaError::Corrupt("the index has no movie header".into()))?
        .whole;
    for trak in boxes.iter().filter(|c| &c.kind == b"trak") {
        let Some(mdia) = find(trak.payload, b"mdia")? else {
            continue;
        };
        let handler = find(mdia.payload, b"hdlr")?
            .and_then(|h| h.payload.get(8..12))
            .unwrap_or_default();
        if handler != b"vide" {
            continue;
        }
        let stsd = match find(mdia.payload, b"minf")? {
            Some(minf) => match find(minf.payload, b"stbl")? {
                Some(stbl) => find(stbl.payload, b"stsd")?,
                None => None,
            },
            None => None,
        };
        let stsd = stsd.ok_or_else(|| {
            MediaError::Corrupt("the video track has no sample description".into())
        })?;
        // Full box header (4) and entry count (4), then the entries.
        let entries = stsd
            .payload
            .get(8..)
            .ok_or_else(|| MediaError::Corrupt("the sample description is empty".into()))?;
        let entry = children(entries)?
            .into_iter()
            .next()
            .ok_or_else(|| MediaError::Corrupt("the sample description has no entry".into()))?;
        // VisualSampleEntry: 6 reserved, 2 data reference index, 16 pre-defined and
        // reserved, then width and height (16 bits each).
        let size = match entry.payload.get(24..28) {
            Some(b) => (
                u32::from(u16::from_be_bytes([b[0], b[1]])),
                u32::from(u16::from_be_bytes([b[2], b[3]])),
            ),
            None => return Err(MediaError::Corrupt("the video sample entry is cut".into())),
        };
        let avcc = match entry.payload.get(VISUAL_SAMPLE_ENTRY..) {
            Some(rest) => find(rest, b"avcC")?.map(|c| c.payload),
            None => None,
        };
        return Ok(Some(VideoTrack {
            trak: trak.whole,
            mvhd,
            fourcc: entry.kind,
            size,
            avcc,
        }));
    }
    Ok(None)
}

/// A four-character code as text, with anything unprintable escaped.
pub fn fourcc_text(kind: &[u8; 4]) -> String {
    kind.iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                char::from(b).to_string()
            } else {
                format!("\\x{b:02x}")
            }
        })
        .collect()
}
