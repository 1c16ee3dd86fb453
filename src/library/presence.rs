//! Files saved earlier: are they still there (one `stat` each, no reads), and are they
//! still the bytes that were saved (a hash, on request).

use super::SavedFile;
use std::path::PathBuf;

/// A file the window's history recorded as saved, as the disk has it now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// There, at the size recorded at save time.
    Present,
    /// Missing, or no longer a file: the user deleted or moved it.
    Removed,
    /// There, but another size: changed since it was saved.
    Changed { size: u64 },
}

/// One `stat` per `(path, recorded size)`, in order; no file is opened. Blocking: call it
/// on a blocking thread, or use [`recognise`].
pub fn recognise_blocking(known: &[(PathBuf, u64)]) -> Vec<Presence> {
    known
        .iter()
        .map(|(path, size)| match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.is_file() && meta.len() == *size => Presence::Present,
            Ok(meta) if meta.is_file() => Presence::Changed { size: meta.len() },
            _ => Presence::Removed,
        })
        .collect()
}

/// [`recognise_blocking`] on tokio's blocking pool.
pub async fn recognise(known: Vec<(PathBuf, u64)>) -> Vec<Presence> {
    let n = known.len();
    tokio::task::spawn_blocking(move || recognise_blocking(&known))
        .await
        // The closure does not panic; were it to, nothing could be said of the files.
        .unwrap_or_else(|_| vec![Presence::Removed; n])
}

/// The outcome of hashing a saved file again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    Intact,
    /// Its bytes are no longer the ones saved.
    Changed {
        size: u64,
        sha256: String,
    },
    Missing,
    Unreadable(String),
}

pub(super) async fn verify(file: &SavedFile) -> Verified {
    match super::part::hash_file(&file.path).await {
        Ok((size, sha256)) if size == file.size && sha256 == file.sha256 => Verified::Intact,
        Ok((size, sha256)) => Verified::Changed { size, sha256 },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Verified::Missing,
        Err(e) => Verified::Unreadable(super::wording::describe_io(&e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn presence_and_verify_tell_the_four_cases() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let kept = tmp.path().join("kept.mp4");
        let grown = tmp.path().join("grown.mp4");
        std::fs::write(&kept, b"0123456789").expect("write");
        std::fs::write(&grown, b"0123456789ab").expect("write");
        let found = recognise(vec![
            (kept.clone(), 10),
            (grown.clone(), 10),
            (tmp.path().join("gone.mp4"), 10),
            (tmp.path().to_path_buf(), 10),
        ])
        .await;
        assert_eq!(
            found,
            [
                Presence::Present,
                Presence::Changed { size: 12 },
                Presence::Removed,
                Presence::Removed
            ]
        );
        let (size, sha256) = super::super::part::hash_file(&kept).await.expect("hash");
        let file = SavedFile {
            path: kept.clone(),
            size,
            sha256,
        };
        assert_eq!(verify(&file).await, Verified::Intact);
        std::fs::write(&kept, b"0123456780").expect("write");
        assert!(matches!(
            verify(&file).await,
            Verified::Changed { size: 10, .. }
        ));
        std::fs::remove_file(&kept).expect("rm");
        assert_eq!(verify(&file).await, Verified::Missing);
    }
}
