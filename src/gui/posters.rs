//! The window's side of posters: what is known of each task's poster, and textures for
//! the ones on screen within a bounded budget. Nothing here reads a file or decodes: the
//! board lists the posters it wants loaded, and the app's poster service (in `app/`)
//! reads and decodes them in the background and hands the pixels back.

use super::gallery::Poster;
use super::lru::Lru;
use crate::media::MediaError;
use crate::preview::PreviewError;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

/// Why a task has no poster, as its card and the Thumbnails column say it.
#[derive(Debug, thiserror::Error)]
pub enum NoPoster {
    #[error("no poster: nothing to make it from")]
    NoSource,
    #[error("no poster: the last frame could not be fetched: {0}")]
    LastFrame(PreviewError),
    #[error("no poster: the video could not be fetched: {0}")]
    Video(PreviewError),
    #[error(
        "no poster: the first frame lies {} MB into the video; it is made once the video is saved",
        .0 / 1_000_000
    )]
    FrameTooDeep(u64),
    #[error(
        "no poster yet: the video's index is at its end, so its start is not enough; it is made once the video is saved"
    )]
    IndexAtEnd,
    #[error("no poster: {0}")]
    Media(MediaError),
    /// A background step ended without an answer (a panicked or cancelled task).
    #[error("no poster: {0}")]
    Interrupted(String),
    #[error("no poster: {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Textures kept at once. A poster texture is at most 320 × 320 RGBA (400 KB): posters
/// are made that size, and a kept file read back larger is scaled down to it
/// (`media::poster_pixels`). So this bounds poster textures to about 80 MB however many
/// cards scroll by; a screen shows 10–40.
pub const TEXTURE_BUDGET: usize = 200;

#[derive(Debug, Clone)]
enum Known {
    /// Being made (fetched, decoded, written to the cache).
    Making,
    /// Made and kept in the poster cache.
    Kept(PathBuf),
    /// Could not be made: why.
    Failed(String),
}

pub struct PosterBoard {
    known: HashMap<String, Known>,
    textures: Lru<String, egui::TextureHandle>,
    /// Kept posters asked for on screen whose texture is not loaded, not yet handed out.
    wanted: Vec<(String, PathBuf)>,
    /// Handed out to be loaded, not yet back.
    loading: HashSet<String>,
}

impl Default for PosterBoard {
    fn default() -> Self {
        Self::new(TEXTURE_BUDGET)
    }
}

impl PosterBoard {
    pub fn new(budget: usize) -> Self {
        Self {
            known: HashMap::new(),
            textures: Lru::new(budget),
            wanted: Vec::new(),
            loading: HashSet::new(),
        }
    }

    /// What a card or a thumbnail shows for task `id`, this frame. Never waits: a kept
    /// poster without a texture is listed for loading and shows as loading.
    pub fn poster(&mut self, id: &str) -> Poster {
        if let Some(texture) = self.textures.get(id) {
            return Poster::Ready(egui::load::SizedTexture::from_handle(texture));
        }
        match self.known.get(id) {
            None => Poster::None,
            Some(Known::Making) => Poster::Loading,
            Some(Known::Failed(why)) => Poster::Missing(why.clone()),
            Some(Known::Kept(path)) => {
                if self.loading.insert(id.to_owned()) {
                    self.wanted.push((id.to_owned(), path.clone()));
                }
                Poster::Loading
            }
        }
    }

    /// A made poster's file, or why there is none; `None` while unknown or being made.
    pub fn state(&self, id: &str) -> Option<Result<&std::path::Path, &str>> {
        match self.known.get(id)? {
            Known::Making => None,
            Known::Kept(path) => Some(Ok(path)),
            Known::Failed(why) => Some(Err(why)),
        }
    }

    /// Whether anything is known of `id`'s poster (made, being made, or failed).
    pub fn knows(&self, id: &str) -> bool {
        self.known.contains_key(id)
    }

    pub fn making(&mut self, id: &str) {
        self.known.insert(id.to_owned(), Known::Making);
    }

    /// A poster was made (or found kept) at `path`.
    pub fn made(&mut self, id: &str, result: Result<PathBuf, NoPoster>) {
        let known = match result {
            Ok(path) => Known::Kept(path),
            Err(why) => Known::Failed(why.to_string()),
        };
        self.known.insert(id.to_owned(), known);
    }

    /// The posters to load into textures, handed out once each.
    pub fn take_wanted(&mut self) -> Vec<(String, PathBuf)> {
        std::mem::take(&mut self.wanted)
    }

    /// A kept poster's pixels arrived (or its file could not be read).
    pub fn loaded(
        &mut self,
        ctx: &egui::Context,
        id: &str,
        image: Result<egui::ColorImage, NoPoster>,
    ) {
        self.loading.remove(id);
        match image {
            Ok(image) => {
                let texture =
                    ctx.load_texture(format!("poster:{id}"), image, egui::TextureOptions::LINEAR);
                // Evicted textures are freed when their handle drops.
                drop(self.textures.insert(id.to_owned(), texture));
            }
            Err(why) => {
                self.known
                    .insert(id.to_owned(), Known::Failed(why.to_string()));
            }
        }
    }

    /// Forgets tasks no longer in the window (the app calls it when the book changes),
    /// their textures freed.
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.known.retain(|id, _| keep(id));
        self.textures.retain(|id| keep(id));
        self.loading.retain(|id| keep(id));
        self.wanted.retain(|(id, _)| keep(id));
    }

    /// Textures loaded now.
    pub fn textures(&self) -> usize {
        self.textures.len()
    }

    /// Posters made and kept.
    pub fn kept(&self) -> usize {
        self.known
            .values()
            .filter(|k| matches!(k, Known::Kept(_)))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image() -> egui::ColorImage {
        egui::ColorImage::filled([4, 3], egui::Color32::RED)
    }

    #[test]
    fn a_kept_poster_is_loaded_once_then_shown() {
        let ctx = egui::Context::default();
        let mut board = PosterBoard::new(2);
        assert!(matches!(board.poster("a"), Poster::None));
        board.making("a");
        assert!(matches!(board.poster("a"), Poster::Loading));
        board.made("a", Ok(PathBuf::from("/cache/a.jpg")));
        assert!(matches!(board.poster("a"), Poster::Loading));
        assert!(matches!(board.poster("a"), Poster::Loading));
        assert_eq!(
            board.take_wanted(),
            [("a".to_owned(), PathBuf::from("/cache/a.jpg"))]
        );
        assert!(board.take_wanted().is_empty(), "handed out once");
        board.loaded(&ctx, "a", Ok(image()));
        match board.poster("a") {
            Poster::Ready(t) => assert_eq!(t.size, egui::vec2(4.0, 3.0)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn textures_stay_within_the_budget_and_evicted_ones_load_again() {
        let ctx = egui::Context::default();
        let mut board = PosterBoard::new(2);
        for id in ["a", "b", "c"] {
            board.made(id, Ok(PathBuf::from(format!("/cache/{id}.jpg"))));
            board.poster(id);
            board.take_wanted();
            board.loaded(&ctx, id, Ok(image()));
        }
        assert_eq!(board.textures(), 2);
        assert!(
            matches!(board.poster("a"), Poster::Loading),
            "a was evicted"
        );
        assert_eq!(board.take_wanted().len(), 1);
        assert_eq!(board.kept(), 3);
    }

    #[test]
    fn failures_say_why() {
        let ctx = egui::Context::default();
        let mut board = PosterBoard::default();
        board.made("a", Err(NoPoster::Media(MediaError::Fragmented)));
        assert!(
            matches!(board.poster("a"), Poster::Missing(w) if w == "no poster: fragmented MP4 is not supported")
        );
        board.made("b", Ok(PathBuf::from("/cache/b.jpg")));
        board.poster("b");
        let unreadable = NoPoster::Unreadable {
            path: PathBuf::from("/cache/b.jpg"),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        };
        board.loaded(&ctx, "b", Err(unreadable));
        assert!(
            matches!(board.poster("b"), Poster::Missing(w) if w.starts_with("no poster: /cache/b.jpg: "))
        );
        board.retain(|id| id == "b");
        assert!(!board.knows("a") && board.knows("b"));
    }
}
