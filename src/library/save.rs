//! Saving one task: its video, then its last frame, then the sidecar that names them. A
//! task whose sidecar reads back with its video at the recorded size is not fetched again.

use super::fetch::{self, FetchError, Fetched};
use super::locks::{part_path, target_lock};
use super::media::MediaKind;
use super::naming::TaskNames;
use super::sidecar::{self, Sidecar, SidecarFile};
use super::{FileKind, Inner, SaveRequest, SavedFile, SavedTask};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Why a task's video was not saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct SaveError {
    pub reason: String,
    /// A later Retry may work (the link is fine; the network or the disk was not).
    pub retryable: bool,
    /// The link answered that the file is gone.
    pub gone: bool,
}

impl SaveError {
    fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            retryable: false,
            gone: false,
        }
    }
}

impl From<FetchError> for SaveError {
    fn from(e: FetchError) -> Self {
        Self {
            reason: e.to_string(),
            retryable: e.is_retryable(),
            gone: e.is_gone(),
        }
    }
}

/// Where `request`'s files go, and the sidecar there if it is this task's.
pub(super) async fn locate(
    root: &Path,
    request: &SaveRequest,
) -> (PathBuf, TaskNames, Option<Sidecar>) {
    let names = TaskNames::new(&request.id, request.prompt.as_deref(), request.created_at);
    let dir = root.join(&names.month);
    match sidecar::read(&dir.join(names.sidecar())).await {
        Some(s) if s.id == request.id => (dir, names, Some(s)),
        // Another task has this name (same minute, prompt and 8 id characters).
        Some(_) => {
            let names =
                TaskNames::with_full_id(&request.id, request.prompt.as_deref(), request.created_at);
            let found = sidecar::read(&dir.join(names.sidecar()))
                .await
                .filter(|s| s.id == request.id);
            (dir, names, found)
        }
        None => (dir, names, None),
    }
}

/// The files a sidecar names, if they are there at their recorded sizes (one `stat`
/// each, no reads).
pub(super) async fn present(dir: &Path, sidecar: &Sidecar) -> Option<SavedTask> {
    let video = on_disk(dir, &sidecar.file, sidecar.size, &sidecar.sha256).await?;
    let last_frame = match &sidecar.last_frame {
        Some(f) => on_disk(dir, &f.file, f.size, &f.sha256).await,
        None => None,
    };
    Some(SavedTask {
        id: sidecar.id.clone(),
        video,
        last_frame,
        sidecar: None,
        last_frame_error: None,
    })
}

async fn on_disk(dir: &Path, name: &str, size: u64, sha256: &str) -> Option<SavedFile> {
    // A sidecar edited by hand must not point outside its folder.
    if std::path::Path::new(name).components().count() != 1 {
        return None;
    }
    let path = dir.join(name);
    let meta = tokio::fs::symlink_metadata(&path).await.ok()?;
    (meta.is_file() && meta.len() == size).then(|| SavedFile {
        path,
        size,
        sha256: sha256.to_owned(),
    })
}

pub(super) async fn save(inner: &Inner, request: &SaveRequest) -> Result<SavedTask, SaveError> {
    let video_url = request
        .video_url
        .as_deref()
        .ok_or_else(|| SaveError::new("no video link yet"))?;
    let (dir, names, existing) = locate(&inner.root, request).await;
    let sidecar_path = dir.join(names.sidecar());
    let _writing = target_lock(&sidecar_path).lock_owned().await;
    // Looked at again under the lock: another save of this task may just have finished.
    let existing = match existing {
        Some(s) => Some(s),
        None => sidecar::read(&sidecar_path)
            .await
            .filter(|s| s.id == request.id),
    };
    let mut saved_video = None;
    let mut saved_frame = None;
    if let Some(sidecar) = &existing
        && let Some(mut found) = present(&dir, sidecar).await
    {
        // A verify found these bytes changed: their size on disk proves nothing.
        let video_again = inner.must_refetch(&request.id, FileKind::Video);
        if inner.must_refetch(&request.id, FileKind::LastFrame) {
            found.last_frame = None;
        }
        let frame_wanted = request.last_frame_url.is_some() && found.last_frame.is_none();
        if !frame_wanted && !video_again {
            return Ok(SavedTask {
                sidecar: Some(sidecar_path),
                ..found
            });
        }
        if !video_again {
            saved_video = Some((found.video, sidecar.source.clone()));
        }
    }
    tokio::fs::create_dir_all(&dir).await.map_err(|e| {
        SaveError::new(format!(
            "cannot create {}: {}",
            dir.display(),
            super::wording::describe_io(&e)
        ))
    })?;

    let (video, video_source) = match saved_video {
        Some(v) => v,
        None => {
            let target = dir.join(names.video());
            let part = part_path(&target);
            let fetched = fetch_one(inner, request, FileKind::Video, video_url, &part).await?;
            commit_or_remove(&part, &target).await?;
            let file = SavedFile {
                path: target,
                size: fetched.size,
                sha256: fetched.sha256,
            };
            (file, video_url.to_owned())
        }
    };

    let mut last_frame_error = None;
    if let Some(url) = request.last_frame_url.as_deref() {
        // The type is known only once the bytes are in: the .part has a neutral name.
        let part = dir.join(format!("{}.last-frame.part", names.stem));
        let fetched = fetch_one(inner, request, FileKind::LastFrame, url, &part).await;
        let committed = match fetched {
            Ok(fetched) => {
                let target = dir.join(names.last_frame(fetched.detected.extension()));
                commit_or_remove(&part, &target).await.map(|()| SavedFile {
                    path: target,
                    size: fetched.size,
                    sha256: fetched.sha256,
                })
            }
            Err(e) => Err(e),
        };
        match committed {
            Ok(file) => saved_frame = Some((file, url.to_owned())),
            Err(e) => last_frame_error = Some(format!("last frame: {e}")),
        }
    }

    let file_name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let sidecar = Sidecar {
        id: request.id.clone(),
        request: request.request.clone(),
        response: request.response.clone(),
        file: file_name(&video.path),
        sha256: video.sha256.clone(),
        size: video.size,
        source: video_source,
        saved_at: crate::api::format_rfc3339(crate::task::unix_now()).unwrap_or_default(),
        last_frame: saved_frame.as_ref().map(|(f, source)| SidecarFile {
            file: file_name(&f.path),
            sha256: f.sha256.clone(),
            size: f.size,
            source: source.clone(),
        }),
    };
    sidecar::write(&sidecar_path, &sidecar)
        .await
        .map_err(|e| SaveError::from(FetchError::io(&sidecar_path, &e)))?;
    Ok(SavedTask {
        id: request.id.clone(),
        video,
        last_frame: saved_frame.map(|(f, _)| f),
        sidecar: Some(sidecar_path),
        last_frame_error,
    })
}

const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// Fetches one file into `part` in a global slot, with progress events.
async fn fetch_one(
    inner: &Inner,
    request: &SaveRequest,
    kind: FileKind,
    url: &str,
    part: &Path,
) -> Result<Fetched, SaveError> {
    let _slot = inner
        .slots
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| SaveError::new("the library is closed"))?;
    let last = std::sync::Mutex::new(None::<Instant>);
    let id = request.id.clone();
    let progress = |received: u64, total: Option<u64>| {
        let mut last = last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let done = total == Some(received);
        if done || last.is_none_or(|at| at.elapsed() >= PROGRESS_EVERY) {
            *last = Some(Instant::now());
            inner.progress(&id, kind, received, total);
        }
    };
    let expect = match kind {
        FileKind::Video => MediaKind::Video,
        FileKind::LastFrame => MediaKind::Image,
    };
    let fetched = fetch::fetch(&inner.client, url, part, expect, &inner.retry, &progress);
    // A cancelled save (its future dropped) leaves no .part behind.
    let guard = RemoveOnDrop(Some(part.to_path_buf()));
    let fetched = fetched.await;
    guard.disarm();
    Ok(fetched?)
}

/// Removes a `.part` whose fetch was dropped midway.
struct RemoveOnDrop(Option<PathBuf>);

impl RemoveOnDrop {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            // Synchronous on purpose: a drop cannot await, and unlinking is quick.
            let _ = std::fs::remove_file(path);
        }
    }
}

async fn commit_or_remove(part: &Path, target: &Path) -> Result<(), SaveError> {
    match super::part::commit(part, target).await {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = tokio::fs::remove_file(part).await;
            Err(FetchError::io(target, &e).into())
        }
    }
}
