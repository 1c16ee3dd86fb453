//! **Download…**'s names: `<task_id>.mp4` and `<task_id>-last-frame.png`, for copies into
//! a folder of the user's choice (the library names its files for people instead).

use super::{DownloadJob, FileKind};

/// Longer ids are cut so the name stays well under every file system's limit.
pub(super) const MAX_STEM: usize = 120;

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
}
