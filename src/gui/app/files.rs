//! Files the user asked for: exports (CSV, JSON), clipboard text built in the background,
//! downloads and the folder they go to. Dialogs may be slow or missing (no portal, no
//! zenity): then the app says so and uses the Downloads folder.

use super::SeedanceApp;
use super::background::{ChosenFolder, Done, Export, Job};
use crate::download::{DownloadJob, FileKind};
use crate::export;
use crate::gui::dialogs::{self, NO_DIALOG, Picked};
use crate::gui::status::Severity;
use crate::task::TaskEntry;
use std::path::PathBuf;
use std::sync::Arc;

/// What an export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Json,
}

impl ExportFormat {
    fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Json => "json",
        }
    }
}

/// Why an export did not reach a file (shown after "Export failed: ").
#[derive(Debug, thiserror::Error)]
pub enum ExportFailure {
    #[error("{NO_DIALOG}, and there is no home folder to save in")]
    NoPlace,
    #[error(transparent)]
    Encode(#[from] export::ExportError),
    #[error("could not write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the export stopped: {0}")]
    Stopped(tokio::task::JoinError),
}

impl SeedanceApp {
    /// Asks where to save, then builds and writes the file in the background (100 000
    /// records take a while to encode; the UI thread only copies the row pointers).
    pub(super) fn export(&mut self, format: ExportFormat) {
        let entries = self.action_targets();
        let token = self.token_text();
        let ext = format.extension();
        let name = format!("seedance-tasks.{ext}");
        let dialogs = self.services.dialogs.clone();
        self.services
            .background
            .future(&self.ctx, Job::Export, async move {
                let (path, fallback) = match dialogs.save_file("Export tasks", &name, ext).await {
                    Picked::Chosen(path) => (path, false),
                    Picked::Cancelled => return Done::Exported(Ok(None)),
                    Picked::Unavailable => match dialogs.fallback_dir() {
                        Some(dir) => (dialogs::fallback_file(&dir, ext), true),
                        None => return Done::Exported(Err(ExportFailure::NoPlace)),
                    },
                };
                let written = tokio::task::spawn_blocking(move || {
                    let refs: Vec<&TaskEntry> = entries.iter().map(Arc::as_ref).collect();
                    // A server message may quote the token: never into a file.
                    let text = match (format, token.as_deref()) {
                        (ExportFormat::Csv, Some(t)) => export::to_csv_redacted(&refs, t)?,
                        (ExportFormat::Csv, None) => export::to_csv(&refs)?,
                        (ExportFormat::Json, Some(t)) => export::to_json_redacted(&refs, t),
                        (ExportFormat::Json, None) => export::to_json(&refs),
                    };
                    std::fs::write(&path, text.as_bytes())
                        .map(|()| {
                            Some(Export {
                                path: path.clone(),
                                fallback,
                            })
                        })
                        .map_err(|source| ExportFailure::Write {
                            path: path.clone(),
                            source,
                        })
                })
                .await
                .unwrap_or_else(|e| Err(ExportFailure::Stopped(e)));
                Done::Exported(written)
            });
    }

    /// Tab-separated rows for a spreadsheet, built off the UI thread.
    pub(super) fn copy_tsv(&mut self) {
        let entries = self.action_targets();
        let token = self.token_text();
        self.services
            .background
            .blocking(&self.ctx, Job::Copy, move || {
                let refs: Vec<&TaskEntry> = entries.iter().map(Arc::as_ref).collect();
                Done::CopyReady(match token {
                    Some(t) => export::to_tsv_redacted(&refs, &t),
                    None => export::to_tsv(&refs),
                })
            });
    }

    /// The token in use, to redact from what leaves the app.
    fn token_text(&self) -> Option<String> {
        self.session
            .token
            .as_ref()
            .map(|(t, _)| t.expose().to_owned())
    }

    pub(super) fn on_exported(&mut self, result: Result<Option<Export>, ExportFailure>) {
        match result {
            Ok(Some(Export { path, fallback })) => {
                if fallback {
                    self.panels.status.say(
                        Severity::Warning,
                        format!("{NO_DIALOG}: exported to {}", path.display()),
                    );
                } else {
                    self.panels
                        .status
                        .say(Severity::Info, format!("Exported to {}", path.display()));
                }
            }
            Ok(None) => {}
            Err(e) => self
                .panels
                .status
                .say(Severity::Error, format!("Export failed: {e}")),
        }
    }

    pub(super) fn download(&mut self, kinds: &[FileKind]) {
        let jobs = self.download_jobs(kinds);
        self.start_downloads(jobs);
    }

    fn download_jobs(&self, kinds: &[FileKind]) -> Vec<DownloadJob> {
        let mut jobs = Vec::new();
        for e in self.action_targets() {
            let Some(r) = e.record.as_ref() else { continue };
            for kind in kinds {
                let url = match kind {
                    FileKind::Video => r.video_url.as_deref(),
                    FileKind::LastFrame => r.last_frame_url.as_deref(),
                };
                if let Some(url) = url {
                    jobs.push(DownloadJob {
                        task_id: e.id.clone(),
                        kind: *kind,
                        url: url.to_owned(),
                    });
                }
            }
        }
        jobs
    }

    pub(super) fn start_downloads(&mut self, jobs: Vec<DownloadJob>) {
        if jobs.is_empty() {
            self.panels.status.say(
                Severity::Warning,
                "Nothing to download: none of these tasks has such a link yet.",
            );
            return;
        }
        match self.session.prefs.download_dir.clone() {
            Some(dir) => self.start_downloads_in(dir, jobs),
            None => self.choose_folder(jobs),
        }
    }

    fn start_downloads_in(&mut self, dir: PathBuf, jobs: Vec<DownloadJob>) {
        let ctx = self.ctx.clone();
        let notify: std::sync::Arc<dyn Fn() + Send + Sync> =
            std::sync::Arc::new(move || ctx.request_repaint());
        let web = &self.services.web;
        let to = dir.clone();
        // The concurrency is per batch; every batch also waits for the process-wide
        // media slots, so overlapping batches do not add up.
        self.panels.downloads.start(dir, jobs, |fresh| {
            web.download(to, fresh, crate::library::MEDIA_FETCHES, Some(notify))
        });
    }

    /// Asks for the download folder; `then` are the downloads waiting for it.
    pub(super) fn choose_folder(&mut self, then: Vec<DownloadJob>) {
        let dialogs = self.services.dialogs.clone();
        self.services
            .background
            .future(&self.ctx, Job::Folder, async move {
                let folder = match dialogs.pick_folder("Download into").await {
                    Picked::Chosen(dir) => Some(ChosenFolder {
                        dir,
                        fallback: false,
                    }),
                    Picked::Cancelled => None,
                    Picked::Unavailable => match dialogs.fallback_dir() {
                        Some(dir) => Some(ChosenFolder {
                            dir: dir.join("seedance-tasks"),
                            fallback: true,
                        }),
                        None => return Done::NoFolder,
                    },
                };
                Done::FolderChosen { folder, then }
            });
    }

    pub(super) fn on_folder_chosen(
        &mut self,
        folder: Option<ChosenFolder>,
        then: Vec<DownloadJob>,
    ) {
        let Some(ChosenFolder { dir, fallback }) = folder else {
            return;
        };
        if fallback {
            self.panels.status.say(
                Severity::Warning,
                format!("{NO_DIALOG}: downloads go to {}", dir.display()),
            );
            if !then.is_empty() {
                self.start_downloads_in(dir, then);
            }
        } else {
            self.session.prefs.download_dir = Some(dir);
            if !then.is_empty() {
                self.start_downloads(then);
            }
        }
    }

    pub(super) fn on_no_folder(&mut self) {
        self.panels.status.say(
            Severity::Error,
            format!("{NO_DIALOG}, and there is no home folder to download into"),
        );
    }
}
