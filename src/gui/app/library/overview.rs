//! What the library's bar says, counted once per change rather than once per frame (a
//! history of 100 000 tasks would otherwise be walked every frame): "312 saved · 2
//! saving · 4.1 GB" and "Save 120 finished videos (≈ 2.3 GB)". The sizes of the videos
//! not saved yet come from a `HEAD` per link (`Library::probe_sizes`), asked in the
//! background once the library has said which tasks it holds, at most [`PROBED`] tasks,
//! once each.

use super::{LibrarySync, SeedanceApp, request_of};
use crate::gui::app::background::{Done, Job};
use crate::library::wording::human_bytes;
use crate::library::{SaveRequest, SaveState};
use crate::task::TaskEntry;
use std::collections::HashMap;

/// Links asked for their size, at most, in a window's life: enough to size any offer a
/// person reads at a glance, without a `HEAD` storm for a history of 100 000 tasks (an
/// offer larger than this tells the size of the first ones it probed).
pub const PROBED: usize = 2_000;

/// The counts the bar shows, as of `key`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Overview {
    /// (the book's revision, the states' generation, the sizes' generation) counted.
    key: (u64, u64, u64),
    pub saved: usize,
    pub saving: usize,
    pub saved_bytes: u64,
    /// Succeeded tasks not in the library: what "Save N" fetches.
    pub unsaved: usize,
    /// Of those, how many have a known size, and its sum.
    pub sized: usize,
    pub unsaved_bytes: u64,
}

/// What the library still asks of each link's size.
#[derive(Debug, Default)]
pub(super) struct Sizes {
    /// Each probed task's video size (`None`: the link did not tell).
    known: HashMap<String, Option<u64>>,
    probing: bool,
    generation: u64,
    /// The book's revision and states' generation last looked through for links to size.
    looked: (u64, u64),
}

impl LibrarySync {
    /// Whether the task counts toward "Save N": succeeded with a link, not saved, not
    /// being saved, not removed by the user, not gone, not failed for good.
    pub(super) fn is_unsaved(&self, entry: &TaskEntry) -> bool {
        let open = match self.states.get(&entry.id) {
            None => true,
            Some(SaveState::Failed { retryable, .. }) => *retryable,
            Some(_) => false,
        };
        open && entry
            .record
            .as_ref()
            .is_some_and(|r| r.status == crate::api::Status::Succeeded && r.video_url.is_some())
    }

    /// Counts again when the book, a task's state or a size changed since the last count.
    pub(super) fn recount(&mut self, book: &crate::book::TaskBook) {
        let key = (book.revision(), self.states_gen, self.sizes.generation);
        if self.overview.key == key {
            return;
        }
        let mut o = Overview {
            key,
            ..Overview::default()
        };
        for state in self.states.values() {
            match state {
                SaveState::Saved(t) => {
                    o.saved += 1;
                    o.saved_bytes += t.video.size + t.last_frame.as_ref().map_or(0, |f| f.size);
                }
                SaveState::Saving { .. } => o.saving += 1,
                _ => {}
            }
        }
        for entry in book.entries() {
            if self.is_unsaved(entry) {
                o.unsaved += 1;
                if let Some(Some(size)) = self.sizes.known.get(&entry.id) {
                    o.sized += 1;
                    o.unsaved_bytes += size;
                }
            }
        }
        self.overview = o;
    }
}

impl SeedanceApp {
    /// Sizes the videos "Save N" would fetch, once the library has said which tasks it
    /// holds (no `HEAD` for a task that turns out saved, nor for a SeeDance link past its
    /// 24 h), never twice for one task.
    pub(super) fn library_probe_sizes(&mut self) {
        let sync = &self.services.library;
        let Some(library) = sync.library.clone() else {
            return;
        };
        let look = (self.session.book.revision(), sync.states_gen);
        if sync.sizes.probing
            || sync.recognising > 0
            || sync.sizes.looked == look
            || self.session.is_demo()
        {
            return;
        }
        let room = PROBED.saturating_sub(sync.sizes.known.len());
        let now = crate::task::unix_now();
        let requests: Vec<SaveRequest> = self
            .session
            .book
            .entries()
            .iter()
            .filter(|e| sync.is_unsaved(e) && !sync.sizes.known.contains_key(&e.id))
            // A link past its life answers nothing worth a request (nor a slot).
            .filter(|e| super::link_expires_at(e).is_none_or(|at| at > now))
            .filter_map(|e| request_of(e))
            .take(room)
            .collect();
        let sizes = &mut self.services.library.sizes;
        sizes.looked = look;
        if requests.is_empty() {
            return;
        }
        sizes.probing = true;
        // Marked as asked at once: a task is never asked twice, whatever the answer.
        for r in &requests {
            sizes.known.insert(r.id.clone(), None);
        }
        self.services
            .background
            .future(&self.ctx, Job::Library, async move {
                Done::LibrarySizes(library.probe_sizes(requests).await)
            });
    }

    /// A library job panicked: nothing it was counted as doing is waited for any more.
    pub(in crate::gui::app) fn on_library_crashed(&mut self) {
        let sync = &mut self.services.library;
        sync.recognising = 0;
        sync.sizes.probing = false;
        sync.verify = None;
    }

    pub(in crate::gui::app) fn on_library_sizes(&mut self, found: HashMap<String, Option<u64>>) {
        let sizes = &mut self.services.library.sizes;
        sizes.probing = false;
        sizes.generation += 1;
        sizes.known.extend(found);
    }

    /// "Save 312 finished videos (≈ 4.1 GB)", while there are succeeded tasks not in the
    /// library; the size where the links told it ("≈ 2.3 GB for 200 of them" where only
    /// some did).
    pub fn library_offer(&self) -> Option<String> {
        if self.services.library.library.is_none() || self.session.is_demo() {
            return None;
        }
        let o = &self.services.library.overview;
        offer_text(o.unsaved, o.sized, o.unsaved_bytes)
    }

    /// The bar's library part: "312 saved · 2 saving · 4.1 GB".
    pub fn library_summary(&self) -> Option<String> {
        self.services.library.library.as_ref()?;
        let o = &self.services.library.overview;
        let mut parts = vec![format!("{} saved", o.saved)];
        if o.saving > 0 {
            parts.push(format!("{} saving", o.saving));
        }
        if o.saved_bytes > 0 {
            parts.push(human_bytes(o.saved_bytes));
        }
        Some(parts.join(" · "))
    }
}

/// "Save `n` finished videos", with the size of the `sized` of them whose links told it.
fn offer_text(n: usize, sized: usize, bytes: u64) -> Option<String> {
    if n == 0 {
        return None;
    }
    let noun = if n == 1 { "video" } else { "videos" };
    let size = human_bytes(bytes);
    Some(match sized {
        0 => format!("Save {n} finished {noun}"),
        k if k == n => format!("Save {n} finished {noun} (≈ {size})"),
        k => format!("Save {n} finished {noun} (≈ {size} for {k} of them)"),
    })
}

#[cfg(test)]
mod tests {
    use super::offer_text;

    #[test]
    fn the_offer_tells_the_size_only_as_far_as_it_is_known() {
        assert_eq!(offer_text(0, 0, 0), None);
        assert_eq!(
            offer_text(1, 0, 0).as_deref(),
            Some("Save 1 finished video")
        );
        assert_eq!(
            offer_text(312, 312, 4_100_000_000).as_deref(),
            Some("Save 312 finished videos (≈ 4.1 GB)")
        );
        assert_eq!(
            offer_text(312, 200, 2_300_000_000).as_deref(),
            Some("Save 312 finished videos (≈ 2.3 GB for 200 of them)")
        );
    }
}
