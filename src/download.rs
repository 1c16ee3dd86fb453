//! Saving finished videos and last-frame images to a folder.
//!
//! Every file is streamed to `<name>.part` and renamed only once it is complete and
//! synced, so a file with the final name is always whole: that is what lets a later
//! batch skip it without asking the server again.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, PoisonError, Weak};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::task::JoinSet;

/// Which output of a task a job saves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    Video,
    LastFrame,
}

/// One file to fetch.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DownloadJob {
    pub task_id: String,
    pub kind: FileKind,
    pub url: String,
}

/// Longer ids are cut so the name stays well under every file system's limit.
const MAX_STEM: usize = 120;

impl DownloadJob {
    /// `<task_id>.mp4` or `<task_id>-last-frame.png`; the extension follows the URL when it
    /// names a known format of that kind.
    pub fn file_name(&self) -> String {
        let mut stem: String = self
            .task_id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .take(MAX_STEM)
            .collect();
        // A bare ".mp4" would be a hidden file that nobody finds.
        if stem.is_empty() {
            stem.push_str("task");
        }
        let (allowed, fallback): (&[&str], &str) = match self.kind {
            FileKind::Video => (&["mp4", "mov", "webm"], "mp4"),
            FileKind::LastFrame => (&["png", "jpg", "jpeg", "webp"], "png"),
        };
        let ext = url_extension(&self.url)
            .filter(|e| allowed.contains(&e.as_str()))
            .unwrap_or_else(|| fallback.to_owned());
        match self.kind {
            FileKind::Video => format!("{stem}.{ext}"),
            FileKind::LastFrame => format!("{stem}-last-frame.{ext}"),
        }
    }
}

fn url_extension(raw: &str) -> Option<String> {
    let url = url::Url::parse(raw).ok()?;
    let last = url.path_segments()?.next_back()?;
    let (_, ext) = last.rsplit_once('.')?;
    (!ext.is_empty() && ext.len() <= 5 && ext.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| ext.to_ascii_lowercase())
}

/// What happens to the jobs of a batch. Each job ends with exactly one of `Skipped`,
/// `Done`, `Failed` or `Cancelled`; `Finished` is the batch's last event.
/// Jobs that share a file name are fetched once: `Started` and `Progress` name the first
/// of them, and each gets its own final event.
#[derive(Debug, Clone, PartialEq)]
pub enum DownloadEvent {
    Started {
        job: DownloadJob,
        total: Option<u64>,
    },
    /// Throttled to about ten a second per job; the last one (received == total) is always sent.
    Progress {
        job: DownloadJob,
        received: u64,
        total: Option<u64>,
    },
    /// The final file already exists.
    Skipped {
        job: DownloadJob,
        path: PathBuf,
    },
    Done {
        job: DownloadJob,
        path: PathBuf,
        bytes: u64,
    },
    Failed {
        job: DownloadJob,
        error: String,
    },
    Cancelled {
        job: DownloadJob,
    },
    Finished,
}

/// Handle on a running batch. Dropping it does not stop the batch; [`Downloads::cancel`] does.
pub struct Downloads {
    cancel: watch::Sender<bool>,
}

type Notify = Arc<dyn Fn() + Send + Sync>;

const PROGRESS_EVERY: Duration = Duration::from_millis(100);

impl Downloads {
    /// Starts downloading on the current tokio runtime, at most `concurrency` at a time.
    /// `notify` is called after each event is sent (the GUI passes egui's request_repaint).
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn start(
        client: reqwest::Client,
        dir: PathBuf,
        jobs: Vec<DownloadJob>,
        concurrency: usize,
        notify: Option<Notify>,
    ) -> (Downloads, mpsc::UnboundedReceiver<DownloadEvent>) {
        let (cancel, cancel_rx) = watch::channel(false);
        let (tx, rx) = mpsc::unbounded_channel();
        let events = Events { tx, notify };
        tokio::spawn(run_batch(
            client,
            dir,
            jobs,
            concurrency.max(1),
            events,
            cancel_rx,
        ));
        (Downloads { cancel }, rx)
    }

    /// Cancels everything still running or queued; each gets `Cancelled` and its `.part`
    /// file is removed.
    pub fn cancel(&self) {
        self.cancel.send_replace(true);
    }
}

struct Events {
    tx: mpsc::UnboundedSender<DownloadEvent>,
    notify: Option<Notify>,
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

/// A plain client for public CDN links: no API token goes to a third-party host. Its
/// redirects follow [`crate::links::redirect_policy`]: never from https to http, never
/// off the web, never in clear text to another machine.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent(concat!("seedance-tasks/", env!("CARGO_PKG_VERSION")))
        .redirect(crate::links::redirect_policy())
        .connect_timeout(Duration::from_secs(10))
        // Per read, not overall: a large video on a slow link may take many minutes.
        .read_timeout(Duration::from_secs(60))
        .build()
        .unwrap_or_default()
}

/// The web client that downloads (and previews) share, as a handle for callers that
/// should not depend on the HTTP library, such as the window: one connection pool, the
/// link and redirect rules of [`http_client`].
#[derive(Debug, Clone)]
pub struct WebClient(reqwest::Client);

impl Default for WebClient {
    fn default() -> Self {
        Self(http_client())
    }
}

impl WebClient {
    /// Starts a batch of downloads into `dir` (see [`Downloads::start`]).
    pub fn download(
        &self,
        dir: PathBuf,
        jobs: Vec<DownloadJob>,
        concurrency: usize,
        notify: Option<Notify>,
    ) -> (Downloads, mpsc::UnboundedReceiver<DownloadEvent>) {
        Downloads::start(self.0.clone(), dir, jobs, concurrency, notify)
    }
}

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

async fn run_batch(
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

/// One writer per target file in the whole process. Two batches can want the same file (the
/// user downloads the selection, then all succeeded tasks, into the same folder): they
/// must not write one `.part` file together. The second waits for the first, then finds the
/// file there (skipped) or, if the first failed, tries itself.
fn target_lock(target: &Path) -> Arc<tokio::sync::Mutex<()>> {
    type Locks = HashMap<PathBuf, Weak<tokio::sync::Mutex<()>>>;
    static LOCKS: LazyLock<std::sync::Mutex<Locks>> = LazyLock::new(Default::default);
    // Nothing panics while the map is held, and a poisoned map is still a valid map.
    let mut locks = LOCKS.lock().unwrap_or_else(PoisonError::into_inner);
    // Entries whose downloads are over are dropped here, so the map stays about as small as
    // the set of files in flight.
    locks.retain(|_, lock| lock.strong_count() > 0);
    if let Some(lock) = locks.get(target).and_then(Weak::upgrade) {
        return lock;
    }
    let lock = Arc::new(tokio::sync::Mutex::new(()));
    locks.insert(target.to_path_buf(), Arc::downgrade(&lock));
    lock
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

fn part_path(target: &Path) -> PathBuf {
    let mut name = target.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    target.with_file_name(name)
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
        r = fetch_to_part(client, job, target, &part, events) => r,
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

async fn fetch_to_part(
    client: &reqwest::Client,
    job: &DownloadJob,
    target: &Path,
    part: &Path,
    events: &Events,
) -> Result<u64, Outcome> {
    // Checked here, not only by the client's redirect rule: the first hop is the record's.
    let url = crate::links::fetch_link(&job.url).map_err(|e| Outcome::Failed(e.reason))?;
    let mut response = client
        .get(url)
        .send()
        .await
        .map_err(|e| Outcome::Failed(describe_request(&e)))?;
    let status = response.status();
    if status.is_redirection() {
        return Err(Outcome::Failed(describe_unfollowed(&response)));
    }
    if !status.is_success() {
        return Err(Outcome::Failed(describe_status(status)));
    }
    let total = response.content_length();
    let write_error = |e: io::Error| {
        Outcome::Failed(format!(
            "cannot write {}: {}",
            target.display(),
            describe_io(&e)
        ))
    };
    let mut file = tokio::fs::File::create(part).await.map_err(write_error)?;
    events.send(DownloadEvent::Started {
        job: job.clone(),
        total,
    });

    let mut received: u64 = 0;
    let mut reported: Option<(Instant, u64)> = None;
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(e) => {
                let error = if e.is_timeout() {
                    format!("no data for 60 s after {}", human_bytes(received))
                } else {
                    format!("connection dropped after {}", human_bytes(received))
                };
                return Err(Outcome::Failed(error));
            }
        };
        file.write_all(&chunk).await.map_err(write_error)?;
        received += chunk.len() as u64;
        if reported.is_none_or(|(at, _)| at.elapsed() >= PROGRESS_EVERY) {
            reported = Some((Instant::now(), received));
            events.send(DownloadEvent::Progress {
                job: job.clone(),
                received,
                total,
            });
        }
    }
    if let Some(total) = total
        && received < total
    {
        return Err(Outcome::Failed(format!(
            "connection dropped after {} of {}",
            human_bytes(received),
            human_bytes(total)
        )));
    }
    if reported.is_none_or(|(_, bytes)| bytes != received) {
        events.send(DownloadEvent::Progress {
            job: job.clone(),
            received,
            total,
        });
    }
    file.flush().await.map_err(write_error)?;
    file.sync_all().await.map_err(write_error)?;
    drop(file);
    tokio::fs::rename(part, target).await.map_err(write_error)?;
    Ok(received)
}

fn describe_status(status: reqwest::StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("HTTP {} {reason}", status.as_u16()),
        None => format!("HTTP {}", status.as_u16()),
    }
}

/// A redirect that comes back as the answer was not followed: the client could not even
/// read its target as a link (`file:`, `javascript:`), or there was none.
fn describe_unfollowed(response: &reqwest::Response) -> String {
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok());
    let refused = location.and_then(|loc| {
        let target = response
            .url()
            .join(loc)
            .map_or_else(|_| loc.to_owned(), String::from);
        crate::links::fetch_link(&target).err()
    });
    match refused {
        Some(refused) => format!("refused a redirect: {}", refused.reason),
        None => describe_status(response.status()),
    }
}

fn describe_request(e: &reqwest::Error) -> String {
    let host = e
        .url()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "the server".into());
    if e.is_timeout() {
        format!("{host} did not answer in time")
    } else if e.is_connect() {
        format!("cannot connect to {host}: {}", root_cause(e))
    } else if e.is_builder() {
        format!("invalid link: {}", root_cause(e))
    } else if e.is_redirect() {
        // The refusal says which hop and why; the host alone would blame the first one.
        root_cause(e)
    } else {
        root_cause(e)
    }
}

/// reqwest's own message is generic ("error sending request"); the innermost source says why.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

fn describe_io(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        io::ErrorKind::NotFound => "folder not found".into(),
        io::ErrorKind::StorageFull => "disk full".into(),
        io::ErrorKind::ReadOnlyFilesystem => "read-only file system".into(),
        io::ErrorKind::NotADirectory => "a path component is not a folder".into(),
        _ => e.to_string(),
    }
}

/// Decimal units, as file managers show them.
fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if n < 1000 {
        return if n == 1 {
            "1 byte".into()
        } else {
            format!("{n} bytes")
        };
    }
    let mut value = n as f64 / 1000.0;
    let mut unit = 0;
    while value >= 999.95 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
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
    fn file_names_follow_kind_and_url() {
        let id = "5f0e2c1a-0000-4000-8000-000000000001";
        assert_eq!(
            job(id, FileKind::Video, "https://cdn.example/a/v.mp4").file_name(),
            format!("{id}.mp4")
        );
        assert_eq!(
            job(id, FileKind::Video, "https://cdn.example/a/v.MOV?sig=x.y").file_name(),
            format!("{id}.mov")
        );
        assert_eq!(
            job(id, FileKind::LastFrame, "https://cdn.example/f.jpeg").file_name(),
            format!("{id}-last-frame.jpeg")
        );
        assert_eq!(
            job(id, FileKind::LastFrame, "https://cdn.example/frame").file_name(),
            format!("{id}-last-frame.png")
        );
        // A video link that claims to be an image is not believed.
        assert_eq!(
            job(id, FileKind::Video, "https://cdn.example/v.png").file_name(),
            format!("{id}.mp4")
        );
        assert_eq!(
            job(id, FileKind::Video, "not a url").file_name(),
            format!("{id}.mp4")
        );
    }

    #[test]
    fn task_ids_are_sanitised() {
        assert_eq!(
            job("../../etc/pa ss", FileKind::Video, "").file_name(),
            "etcpass.mp4"
        );
        assert_eq!(
            job("/", FileKind::LastFrame, "").file_name(),
            "task-last-frame.png"
        );
        let long = "a".repeat(500);
        assert_eq!(
            job(&long, FileKind::Video, "").file_name().len(),
            MAX_STEM + 4
        );
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

    #[test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(human_bytes(0), "0 bytes");
        assert_eq!(human_bytes(1), "1 byte");
        assert_eq!(human_bytes(999), "999 bytes");
        assert_eq!(human_bytes(1_000), "1.0 kB");
        assert_eq!(human_bytes(1_234_567), "1.2 MB");
        assert_eq!(human_bytes(999_999_999), "1.0 GB");
    }

    #[test]
    fn statuses_carry_their_reason() {
        assert_eq!(
            describe_status(reqwest::StatusCode::NOT_FOUND),
            "HTTP 404 Not Found"
        );
        let odd = reqwest::StatusCode::from_u16(599).expect("valid code");
        assert_eq!(describe_status(odd), "HTTP 599");
    }

    #[test]
    fn part_file_sits_next_to_target() {
        assert_eq!(
            part_path(Path::new("/d/x.mp4")),
            PathBuf::from("/d/x.mp4.part")
        );
    }
}
