//! The `.part` file a fetch streams into: bytes are gathered into a buffer of
//! [`FLUSH_AT`] and written and hashed on tokio's blocking pool, so neither disk writes
//! nor SHA-256 run on the runtime's threads, and memory stays at one buffer per fetch
//! whatever the file's size.

use sha2::{Digest, Sha256};
use std::io::{self, Seek, Write};
use std::path::{Path, PathBuf};

/// Bytes gathered before one write: large enough that the blocking pool is asked about
/// once per megabyte, small enough that three fetches at once hold 3 MB.
pub const FLUSH_AT: usize = 1 << 20;

/// The file, its hash so far and the buffer travel to the blocking pool and back.
struct Inner {
    file: std::fs::File,
    hasher: Sha256,
    buf: Vec<u8>,
}

pub struct PartFile {
    path: PathBuf,
    inner: Option<Inner>,
    /// Bytes accepted, the buffered ones included.
    len: u64,
    /// The first [`super::media::HEAD_BYTES`] bytes, for sniffing.
    head: Vec<u8>,
}

impl PartFile {
    /// Creates (or empties) the file at `path`.
    pub async fn create(path: &Path) -> io::Result<Self> {
        let owned = path.to_path_buf();
        let file = blocking(move || std::fs::File::create(owned)).await?;
        Ok(Self {
            path: path.to_path_buf(),
            inner: Some(Inner {
                file,
                hasher: Sha256::new(),
                buf: Vec::with_capacity(FLUSH_AT),
            }),
            len: 0,
            head: Vec::new(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn head(&self) -> &[u8] {
        &self.head
    }

    pub async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        let inner = self.inner_mut()?;
        inner.buf.extend_from_slice(bytes);
        let full = inner.buf.len() >= FLUSH_AT;
        self.len += bytes.len() as u64;
        if self.head.len() < super::media::HEAD_BYTES {
            let want = super::media::HEAD_BYTES - self.head.len();
            self.head.extend_from_slice(&bytes[..want.min(bytes.len())]);
        }
        if full {
            self.flush().await?;
        }
        Ok(())
    }

    /// Writes the buffer out (and hashes it).
    async fn flush(&mut self) -> io::Result<()> {
        let mut inner = self.take()?;
        let (inner, result) = tokio::task::spawn_blocking(move || {
            let result = inner.file.write_all(&inner.buf);
            inner.hasher.update(&inner.buf);
            inner.buf.clear();
            (inner, result)
        })
        .await
        .map_err(io::Error::other)?;
        self.inner = Some(inner);
        result
    }

    /// Back to an empty file: the server sent the whole body again instead of the rest.
    pub async fn restart(&mut self) -> io::Result<()> {
        let mut inner = self.take()?;
        let (inner, result) = tokio::task::spawn_blocking(move || {
            inner.buf.clear();
            inner.hasher = Sha256::new();
            let result = inner.file.set_len(0).and_then(|()| inner.file.rewind());
            (inner, result)
        })
        .await
        .map_err(io::Error::other)?;
        self.inner = Some(inner);
        self.len = 0;
        self.head.clear();
        result
    }

    /// Writes what is left, syncs the file to the disk and returns its size and SHA-256.
    pub async fn finish(mut self) -> io::Result<(u64, String)> {
        self.flush().await?;
        let inner = self.take()?;
        let len = self.len;
        tokio::task::spawn_blocking(move || {
            inner.file.sync_all()?;
            Ok::<_, io::Error>((len, hex(&inner.hasher.finalize())))
        })
        .await
        .map_err(io::Error::other)?
    }

    fn take(&mut self) -> io::Result<Inner> {
        self.inner
            .take()
            .ok_or_else(|| io::Error::other("an earlier write of this file failed"))
    }

    fn inner_mut(&mut self) -> io::Result<&mut Inner> {
        self.inner
            .as_mut()
            .ok_or_else(|| io::Error::other("an earlier write of this file failed"))
    }
}

/// Lowercase hex, as the sidecar stores it.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(io::Error::other)?
}

/// Renames the finished `.part` to its final name, then syncs the folder so the new name
/// survives a power cut (on Unix; elsewhere the rename is what the system offers).
pub async fn commit(part: &Path, target: &Path) -> io::Result<()> {
    tokio::fs::rename(part, target).await?;
    #[cfg(unix)]
    if let Some(dir) = target.parent().map(Path::to_path_buf) {
        // A folder that cannot be synced still has the file: the rename is done.
        let _ = blocking(move || std::fs::File::open(dir)?.sync_all()).await;
    }
    Ok(())
}

/// `<name>.part` beside `path`.
pub fn part_path_of(path: &Path) -> PathBuf {
    super::locks::part_path(path)
}

/// SHA-256 and size of a saved file, read in [`FLUSH_AT`] pieces on the blocking pool.
pub async fn hash_file(path: &Path) -> io::Result<(u64, String)> {
    let path = path.to_path_buf();
    blocking(move || {
        use std::io::Read;
        let mut file = std::fs::File::open(path)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; FLUSH_AT];
        let mut len = 0u64;
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            len += n as u64;
        }
        Ok((len, hex(&hasher.finalize())))
    })
    .await
}
