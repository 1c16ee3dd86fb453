//! The scheduler of a **Download…** batch: jobs grouped by target file, existing files
//! skipped at once, the rest fetched in list order within the batch's slots, each job
//! ended exactly once.

use super::{DownloadEvent, DownloadJob, FileKind};
use crate::library::fetch::{self, FetchError, RetryPolicy};
use crate::library::locks::{part_path, target_lock};
use crate::library::media::MediaKind;
use crate::library::wording::describe_io;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::task::JoinSet;

pub(super) struct Events {
    pub(super) tx: mpsc::UnboundedSender<DownloadEvent>,
    pub(super) notify: Option<super::Notify>,
}

impl Events {
    fn send(&self, event: DownloadEvent) {
        // Nobody listening is no reason to stop: the files are still wanted on disk.
        let _ = self.tx.send(event);
        if let Some(notify) = &self.notify {
            notify();
        }
    }
}

const PROGRESS_EVERY: Duration = Duration::from_millis(100);

enum Outcome {
    Skipped(PathBuf),
    Done(PathBuf, u64),
    Failed(String),
    Cancelled,
}

impl Outcome {
    fn event(&self, job: DownloadJob) -> DownloadEvent {
        match self {
            Outcome::Skipped(path) => DownloadEvent::Skipped {
                job,
                path: path.clone(),
            },
            Outcome::Done(path, bytes) => DownloadEvent::Done {
                job,
                path: path.clone(),
                bytes: *bytes,
            },
            Outcome::Failed(error) => DownloadEvent::Failed {
                job,
                error: error.clone(),
            },
            Outcome::Cancelled => DownloadEvent::Cancelled { job },
        }
    }
}

/// Jobs that would write the same file: the first downloads, the others share its outcome.
fn group_by_file(jobs: Vec<DownloadJob>) -> Vec<Vec<DownloadJob>> {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut groups: Vec<Vec<DownloadJob>> = Vec::new();
    for job in jobs {
        let name = job.file_name();
        match index.get(&name) {
            Some(&i) => groups[i].push(job),
            None => {
                index.insert(name, groups.len());
                groups.push(vec![job]);
            }
        }
    }
    groups
}

pub(super) async fn run_batch(
    client: reqwest::Client,
    dir: PathBuf,
    jobs: Vec<DownloadJob>,
    concurrency: usize,
    events: Events,
    cancel: watch::Receiver<bool>,
) {
    let events = Arc::new(events);
    let groups = group_by_file(jobs);
    if let Err(e) = tokio::fs::create_dir_all(&dir).await {
        let outcome = Outcome::Failed(format!(
            "cannot create {}: {}",
            dir.display(),
            describe_io(&e)
        ));
        for job in groups.into_iter().flatten() {
            events.send(outcome.event(job));
        }
        events.send(DownloadEvent::Finished);
        return;
    }

    // Existing files are reported at once rather than after the downloads ahead of them.
    let mut queue = Vec::new();
    for group in groups {
        let target = dir.join(group[0].file_name());
        if exists(&target).await {
            let outcome = Outcome::Skipped(target);
            for job in group {
                events.send(outcome.event(job));
            }
        } else {
            queue.push(group);
        }
    }

    // Slots are taken here, in list order, so the queue drains in the order it was given.
    let slots = Arc::new(Semaphore::new(concurrency));
    let mut set = JoinSet::new();
    let mut pending = HashMap::new();
    let mut queue = queue.into_iter();
    let mut cancel_rx = cancel.clone();
    while let Some(group) = queue.next() {
        let slot = tokio::select! {
            biased;
            () = cancelled(&mut cancel_rx) => None,
            slot = slots.clone().acquire_owned() => slot.ok(),
        };
        let Some(slot) = slot else {
            for job in std::iter::once(group).chain(queue.by_ref()).flatten() {
                events.send(DownloadEvent::Cancelled { job });
            }
            break;
        };
        let id = set
            .spawn(run_group(
                client.clone(),
                dir.clone(),
                group.clone(),
                slot,
                events.clone(),
                cancel.clone(),
            ))
            .id();
        pending.insert(id, group);
    }
    while let Some(joined) = set.join_next_with_id().await {
        match joined {
            Ok((id, ())) => {
                pending.remove(&id);
            }
            // A task that died without reporting (a panic) must still end its jobs.
            Err(e) => {
                for job in pending.remove(&e.id()).into_iter().flatten() {
                    events.send(DownloadEvent::Failed {
                        job,
                        error: "internal error while downloading".into(),
                    });
                }
            }
        }
    }
    events.send(DownloadEvent::Finished);
}

/// Runs one file's download in its slot and ends every job that wanted that file.
async fn run_group(
    client: reqwest::Client,
    dir: PathBuf,
    group: Vec<DownloadJob>,
    _slot: OwnedSemaphorePermit,
    events: Arc<Events>,
    mut cancel: watch::Receiver<bool>,
) {
    let Some(first) = group.first().cloned() else {
        return;
    };
    let target = dir.join(first.file_name());
    let lock = target_lock(&target);
    let guard = tokio::select! {
        biased;
        () = cancelled(&mut cancel) => None,
        guard = lock.lock() => Some(guard),
    };
    let outcome = match guard {
        None => Outcome::Cancelled,
        // Another batch may have finished it while this one waited.
        Some(_writing) if exists(&target).await => Outcome::Skipped(target),
        Some(_writing) => download(&client, &first, &target, &events, &mut cancel).await,
    };
    for job in group {
        events.send(outcome.event(job));
    }
}

async fn exists(path: &Path) -> bool {
    tokio::fs::symlink_metadata(path).await.is_ok()
}

/// Resolves once cancel is asked; never if the handle is gone without asking.
async fn cancelled(cancel: &mut watch::Receiver<bool>) {
    if cancel.wait_for(|c| *c).await.is_err() {
        std::future::pending::<()>().await;
    }
}

async fn download(
    client: &reqwest::Client,
    job: &DownloadJob,
    target: &Path,
    events: &Events,
    cancel: &mut watch::Receiver<bool>,
) -> Outcome {
    let part = part_path(target);
    let result = tokio::select! {
        biased;
        () = cancelled(cancel) => Err(Outcome::Cancelled),
        r = fetch_to_target(client, job, target, &part, events) => r,
    };
    match result {
        Ok(bytes) => Outcome::Done(target.to_path_buf(), bytes),
        Err(outcome) => {
            // Dropping the fetch closed the file; a leftover .part would only confuse.
            let _ = tokio::fs::remove_file(&part).await;
            outcome
        }
    }
}

/// What progress has been told for one job: `Started` once, then rising `Progress`.
#[derive(Default)]
struct Told {
    started: bool,
    last: Option<(Instant, u64)>,
}

async fn fetch_to_target(
    client: &reqwest::Client,
    job: &DownloadJob,
    target: &Path,
    part: &Path,
    events: &Events,
) -> Result<u64, Outcome> {
    // The process-wide media limit, shared with the library: taken after the batch's own
    // slot, so a batch never holds more than it runs.
    let _slot = crate::library::media_slots()
        .acquire_owned()
        .await
        .map_err(|_| Outcome::Failed("shutting down".into()))?;
    let told = Mutex::new(Told::default());
    let progress = |received: u64, total: Option<u64>| {
        let mut told = told.lock().unwrap_or_else(PoisonError::into_inner);
        if !told.started {
            told.started = true;
            events.send(DownloadEvent::Started {
                job: job.clone(),
                total,
            });
        }
        let rising = told.last.is_none_or(|(_, sent)| received > sent);
        let due = told
            .last
            .is_none_or(|(at, _)| at.elapsed() >= PROGRESS_EVERY)
            || total == Some(received);
        if rising && due && received > 0 {
            told.last = Some((Instant::now(), received));
            events.send(DownloadEvent::Progress {
                job: job.clone(),
                received,
                total,
            });
        }
    };
    let expect = match job.kind {
        FileKind::Video => MediaKind::Video,
        FileKind::LastFrame => MediaKind::Image,
    };
    let fetched = fetch::fetch(
        client,
        &job.url,
        part,
        expect,
        &RetryPolicy::default(),
        &progress,
    )
    .await
    .map_err(|e| Outcome::Failed(e.to_string()))?;
    let last = told.lock().unwrap_or_else(PoisonError::into_inner).last;
    if last.is_none_or(|(_, sent)| sent != fetched.size) {
        events.send(DownloadEvent::Progress {
            job: job.clone(),
            received: fetched.size,
            total: Some(fetched.size),
        });
    }
    crate::library::part::commit(part, target)
        .await
        .map_err(|e| Outcome::Failed(FetchError::io(target, &e).to_string()))?;
    Ok(fetched.size)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(task_id: &str, kind: FileKind, url: &str) -> DownloadJob {
        DownloadJob {
            task_id: task_id.into(),
            kind,
            url: url.into(),
        }
    }

    #[test]
    fn duplicate_targets_are_grouped() {
        let groups = group_by_file(vec![
            job("a", FileKind::Video, "https://x/1.mp4"),
            job("a", FileKind::LastFrame, "https://x/1.png"),
            job("a", FileKind::Video, "https://y/2.mp4"),
            job("b", FileKind::Video, "https://x/3.mp4"),
        ]);
        let sizes: Vec<usize> = groups.iter().map(Vec::len).collect();
        assert_eq!(sizes, [2, 1, 1]);
        assert_eq!(groups[0][1].url, "https://y/2.mp4");
    }
}
