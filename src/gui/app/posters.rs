//! Posters for the tasks in the window, made as soon as their records are there (not
//! first when the gallery opens): the API's last-frame image where there is one, else the
//! first frame of the saved video (as the library knows it, or as the history recorded
//! it before the library has looked), else of the start of the video fetched with a
//! `Range` request. Made in the background through the one holder, two jobs (fetch and
//! decode) at a time; kept in the platform cache, so a restart reads them back instead
//! of fetching again. The board (`gui::posters`) holds what the screen shows, and
//! forgets the tasks that leave the window.

use super::SeedanceApp;
use super::background::{Done, Job};
use crate::api::Status;
use crate::gui::posters::NoPoster;
use crate::media::{
    MediaError, POSTERS_AT_ONCE, PosterCache, PosterMaker, PosterSource, PrefixStatus,
};
use crate::preview::{Fetcher, VIDEO_START};
use crate::task::TaskEntry;
use std::collections::{HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;

/// Poster jobs running at once, each a whole job (its fetches and its decoding): as many
/// as the maker's decoding turns, so posters are made two at a time.
const POSTER_JOBS: usize = POSTERS_AT_ONCE;
/// Most of a video fetched to find its first frame when the first [`VIDEO_START`] bytes
/// were not enough (a long index, a large first frame).
const MAX_VIDEO_START: u64 = 16 * 1024 * 1024;

/// What a poster may be made from, read off the task on the UI thread (cheap).
#[derive(Debug, Clone)]
pub struct PosterPlan {
    pub id: String,
    /// Bundled with the demo (its links never resolve).
    pub bundled: Option<&'static [u8]>,
    pub last_frame_url: Option<String>,
    pub saved_video: Option<PathBuf>,
    pub video_url: Option<String>,
}

/// The poster queue: tasks waiting for a poster job, and how many run.
pub struct PosterQueue {
    maker: Option<PosterMaker>,
    fetcher: Fetcher,
    waiting: VecDeque<PosterPlan>,
    queued: HashSet<String>,
    running: usize,
    /// Running jobs planned without a saved file: should one fail and a saved file be
    /// known by then, the poster is made again from the file.
    without_file: HashSet<String>,
    /// The book's revision last looked through for tasks without a poster.
    scanned: u64,
}

impl PosterQueue {
    /// `cache`: where posters are kept (`None`: nowhere, so none are made).
    pub fn new(cache: Option<PosterCache>) -> Self {
        Self {
            maker: cache.map(PosterMaker::new),
            fetcher: Fetcher::new(),
            waiting: VecDeque::new(),
            queued: HashSet::new(),
            running: 0,
            without_file: HashSet::new(),
            scanned: u64::MAX,
        }
    }
}

impl PosterQueue {
    /// The media fetcher posters use (one connection pool), for Continue's frames too.
    pub fn fetcher(&self) -> Fetcher {
        self.fetcher.clone()
    }
}

impl SeedanceApp {
    /// Each frame: new tasks with something to make a poster from are queued, queued ones
    /// started while there is room, kept posters the screen asked for loaded.
    pub(super) fn posters_tick(&mut self) {
        if self.services.poster_queue.maker.is_none() {
            return;
        }
        if self.services.poster_queue.scanned != self.session.book.revision() {
            self.services.poster_queue.scanned = self.session.book.revision();
            self.forget_posters_of_gone_tasks();
            let demo = self.session.is_demo();
            let plans: Vec<PosterPlan> = self
                .session
                .book
                .entries()
                .iter()
                .filter(|e| {
                    !self.view.posters.knows(&e.id)
                        && !self.services.poster_queue.queued.contains(&e.id)
                })
                .filter_map(|e| plan(e, demo, self.poster_video(e)))
                .collect();
            for plan in plans {
                self.services.poster_queue.queued.insert(plan.id.clone());
                self.services.poster_queue.waiting.push_back(plan);
            }
        }
        while self.services.poster_queue.running < POSTER_JOBS {
            let Some(plan) = self.services.poster_queue.waiting.pop_front() else {
                break;
            };
            self.services.poster_queue.queued.remove(&plan.id);
            let Some(maker) = self.services.poster_queue.maker.clone() else {
                break;
            };
            self.view.posters.making(&plan.id);
            self.services.poster_queue.running += 1;
            if plan.saved_video.is_none() {
                let queue = &mut self.services.poster_queue;
                queue.without_file.insert(plan.id.clone());
            }
            let fetcher = self.services.poster_queue.fetcher.clone();
            self.services
                .background
                .future(&self.ctx, Job::Poster, async move {
                    let id = plan.id.clone();
                    let result = make(&maker, &fetcher, plan).await;
                    Done::PosterMade { id, result }
                });
        }
        for (id, path) in self.view.posters.take_wanted() {
            self.services
                .background
                .blocking(&self.ctx, Job::PosterLoad, move || {
                    let image = load(&path);
                    Done::PosterLoaded { id, image }
                });
        }
    }

    pub(super) fn on_poster_made(&mut self, id: &str, result: Result<PathBuf, NoPoster>) {
        self.services.poster_queue.running = self.services.poster_queue.running.saturating_sub(1);
        let without_file = self.services.poster_queue.without_file.remove(id);
        if self.session.book.get(id).is_none() {
            return;
        }
        let failed = result.is_err();
        self.view.posters.made(id, result);
        // Made without a file (the link had expired, or nothing answered) while the
        // library recognised the saved video: made again from the file.
        if failed && without_file {
            self.poster_saved_video(id);
        }
    }

    /// A crashed job gives its turn back (its task shows as loading until a restart).
    pub(super) fn on_poster_crashed(&mut self) {
        self.services.poster_queue.running = self.services.poster_queue.running.saturating_sub(1);
    }

    /// Task `id`'s video was saved: where its poster could not be made yet, the saved
    /// file is tried (the best source: no network).
    pub(super) fn poster_saved_video(&mut self, id: &str) {
        if self.services.poster_queue.maker.is_none()
            || self.services.poster_queue.queued.contains(id)
            || (self.view.posters.knows(id) && !matches!(self.view.posters.state(id), Some(Err(_))))
        {
            return;
        }
        let Some(entry) = self.session.book.get(id) else {
            return;
        };
        let Some(saved) = self.poster_video(entry) else {
            return;
        };
        if let Some(plan) = plan(entry, self.session.is_demo(), Some(saved)) {
            self.services.poster_queue.queued.insert(plan.id.clone());
            self.services.poster_queue.waiting.push_front(plan);
        }
    }

    pub(super) fn on_poster_loaded(&mut self, id: &str, image: Result<egui::ColorImage, NoPoster>) {
        if self.session.book.get(id).is_some() {
            self.view.posters.loaded(&self.ctx, id, image);
        }
    }

    /// The saved video to make task `entry`'s poster from: the library's file, else the
    /// one the history recorded (the library may not have looked yet in the first
    /// frames). Not checked here: a file that is gone fails to open, and the link is
    /// tried next.
    fn poster_video(&self, entry: &TaskEntry) -> Option<PathBuf> {
        self.saved_video(&entry.id)
            .or_else(|| entry.saved.as_ref().map(|s| s.video.path.clone()))
    }

    /// Removed tasks (removed, cleared, the demo's rows on leaving it) lose their
    /// posters, textures and places in the queue; their kept files stay in the cache.
    fn forget_posters_of_gone_tasks(&mut self) {
        let book = &self.session.book;
        self.view.posters.retain(|id| book.get(id).is_some());
        let queue = &mut self.services.poster_queue;
        queue.waiting.retain(|plan| book.get(&plan.id).is_some());
        queue.queued.retain(|id| book.get(id).is_some());
    }
}

/// What a task's poster can be made from; `None` when it has nothing (not succeeded).
fn plan(e: &TaskEntry, demo: bool, saved_video: Option<PathBuf>) -> Option<PosterPlan> {
    if e.status != Status::Succeeded {
        return None;
    }
    let record = e.record.as_deref()?;
    let bundled = if demo {
        crate::demo::poster(&e.id)
    } else {
        None
    };
    let plan = PosterPlan {
        id: e.id.clone(),
        bundled,
        last_frame_url: record.last_frame_url.clone(),
        saved_video,
        video_url: record.video_url.clone(),
    };
    let any = plan.bundled.is_some()
        || plan.last_frame_url.is_some()
        || plan.saved_video.is_some()
        || plan.video_url.is_some();
    (any && (!demo || plan.bundled.is_some())).then_some(plan)
}

/// Makes (or finds kept) one poster: the first source that gives one wins; the reason of
/// the last one that failed is what the card says.
async fn make(
    maker: &PosterMaker,
    fetcher: &Fetcher,
    plan: PosterPlan,
) -> Result<PathBuf, NoPoster> {
    let cache = maker.cache().clone();
    let id = plan.id.clone();
    let kept = tokio::task::spawn_blocking(move || cache.path(&id).ok().filter(|p| p.is_file()))
        .await
        .ok()
        .flatten();
    if let Some(path) = kept {
        return Ok(path);
    }
    let mut why = NoPoster::NoSource;
    let mut sources: Vec<Source> = Vec::new();
    if let Some(bytes) = plan.bundled {
        sources.push(Source::Ready(PosterSource::Image(Arc::from(bytes))));
    }
    if let Some(url) = plan.last_frame_url {
        sources.push(Source::Image(url));
    }
    if let Some(path) = plan.saved_video {
        sources.push(Source::Ready(PosterSource::File(path)));
    }
    if let Some(url) = plan.video_url {
        sources.push(Source::VideoStart(url));
    }
    for source in sources {
        let source = match source {
            Source::Ready(s) => s,
            Source::Image(url) => match fetcher.image(&url).await {
                Ok(bytes) => PosterSource::Image(bytes.into()),
                Err(e) => {
                    why = NoPoster::LastFrame(e);
                    continue;
                }
            },
            Source::VideoStart(url) => match video_start(fetcher, &url).await {
                Ok(bytes) => PosterSource::Video(bytes.into()),
                Err(e) => {
                    why = e;
                    continue;
                }
            },
        };
        match maker.make(plan.id.clone(), source).await {
            Ok(poster) => return Ok(poster.path),
            Err(e) => why = NoPoster::Media(e),
        }
    }
    Err(why)
}

enum Source {
    Ready(PosterSource),
    Image(String),
    VideoStart(String),
}

/// The start of the video, as much as its first frame needs (within [`MAX_VIDEO_START`]).
async fn video_start(fetcher: &Fetcher, url: &str) -> Result<Vec<u8>, NoPoster> {
    let start = fetcher
        .video_start(url, VIDEO_START)
        .await
        .map_err(NoPoster::Video)?;
    let (start, status) = tokio::task::spawn_blocking(move || {
        let status = crate::media::prefix_status(&start);
        (start, status)
    })
    .await
    .map_err(|e| NoPoster::Interrupted(e.to_string()))?;
    match status {
        Ok(PrefixStatus::Enough) => Ok(start),
        Ok(PrefixStatus::Need(n)) if n <= MAX_VIDEO_START => {
            let len = usize::try_from(n).unwrap_or(usize::MAX);
            fetcher.video_start(url, len).await.map_err(NoPoster::Video)
        }
        Ok(PrefixStatus::Need(n)) => Err(NoPoster::FrameTooDeep(n)),
        Err(MediaError::IndexAtEnd) => Err(NoPoster::IndexAtEnd),
        Err(e) => Err(NoPoster::Media(e)),
    }
}

/// A kept poster's pixels, for a texture.
fn load(path: &std::path::Path) -> Result<egui::ColorImage, NoPoster> {
    let bytes = std::fs::read(path).map_err(|source| NoPoster::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    let image = crate::media::poster_pixels(&bytes).map_err(NoPoster::Media)?;
    let (w, h) = image.dimensions();
    Ok(egui::ColorImage::from_rgb(
        [w as usize, h as usize],
        image.as_raw(),
    ))
}
