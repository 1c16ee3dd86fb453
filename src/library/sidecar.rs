//! The sidecar `<video name without .mp4>.json` beside each saved video: the task's id,
//! its request and response as the API sent them, and for each saved file its name,
//! SHA-256, size and source link. It is written last, after the files it names are
//! complete, so a sidecar that reads back is the CLI's proof that a task is saved.

use super::part::{commit, part_path_of};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sidecar {
    pub id: String,
    /// As the API sent it: the prompt, model and options.
    #[serde(default)]
    pub request: Value,
    #[serde(default)]
    pub response: Value,
    /// The video's file name (in the same folder).
    pub file: String,
    /// Lowercase hex of the video's bytes.
    pub sha256: String,
    pub size: u64,
    /// The link the video came from.
    pub source: String,
    /// RFC 3339, UTC.
    pub saved_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_frame: Option<SidecarFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SidecarFile {
    pub file: String,
    pub sha256: String,
    pub size: u64,
    pub source: String,
}

/// Reads a sidecar; `None` when it is missing or unreadable (then the task counts as
/// not saved, and saving it writes a fresh one).
pub async fn read(path: &Path) -> Option<Sidecar> {
    let bytes = tokio::fs::read(path).await.ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Writes the sidecar whole: to `.json.part`, synced, then renamed.
pub async fn write(path: &Path, sidecar: &Sidecar) -> std::io::Result<()> {
    let mut text = serde_json::to_vec_pretty(sidecar).map_err(std::io::Error::other)?;
    text.push(b'\n');
    let part = part_path_of(path);
    let owned = part.clone();
    let written = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut file = std::fs::File::create(&owned)?;
        file.write_all(&text)?;
        file.sync_all()
    })
    .await
    .map_err(std::io::Error::other)
    .and_then(|r| r);
    let result = match written {
        Ok(()) => commit(&part, path).await,
        Err(e) => Err(e),
    };
    if result.is_err() {
        let _ = tokio::fs::remove_file(&part).await;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn a_sidecar_reads_back_with_the_documented_keys() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("x.json");
        let sidecar = Sidecar {
            id: "abc".into(),
            request: json!({"model": "m", "content": [{"type": "text", "text": "p"}]}),
            response: json!({"success": true}),
            file: "x.mp4".into(),
            sha256: "00".repeat(32),
            size: 12,
            source: "https://cdn.example/x.mp4".into(),
            saved_at: "2026-12-01T20:01:00.000Z".into(),
            last_frame: None,
        };
        write(&path, &sidecar).await.expect("write");
        assert_eq!(read(&path).await, Some(sidecar));
        let value: Value =
            serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
        for key in [
            "id", "request", "response", "sha256", "size", "source", "saved_at",
        ] {
            assert!(value.get(key).is_some(), "{key}");
        }
        assert!(!tmp.path().join("x.json.part").exists());
    }
}
