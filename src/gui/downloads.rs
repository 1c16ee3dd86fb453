//! The downloads panel: one progress bar per file and one overall, Cancel, Retry for the
//! failed ones, and the reason of each failure.

use crate::download::{DownloadEvent, DownloadJob, Downloads};
use std::collections::HashSet;
use std::path::PathBuf;
use tokio::sync::mpsc::UnboundedReceiver;

#[derive(Debug, Clone, PartialEq)]
pub enum ItemState {
    Queued,
    Running,
    Done(PathBuf),
    Skipped(PathBuf),
    Failed(String),
    Cancelled,
}

#[derive(Debug, Clone)]
pub struct Item {
    pub job: DownloadJob,
    pub state: ItemState,
    pub received: u64,
    pub total: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DownloadIntent {
    Cancel,
    RetryFailed,
    Close,
    OpenFolder(PathBuf),
}

#[derive(Default)]
pub struct DownloadsPanel {
    /// The folder of the last batch, for "Open folder".
    pub dir: Option<PathBuf>,
    /// Every folder a batch went into: the only ones "Open folder" may open.
    written: HashSet<PathBuf>,
    pub items: Vec<Item>,
    pub visible: bool,
    runs: Vec<(Downloads, UnboundedReceiver<DownloadEvent>)>,
}

impl DownloadsPanel {
    /// Shows the jobs not already queued or running and hands them to `launch`, which
    /// starts their batch (the app does: the panel neither spawns nor speaks HTTP).
    pub fn start(
        &mut self,
        dir: PathBuf,
        jobs: Vec<DownloadJob>,
        launch: impl FnOnce(Vec<DownloadJob>) -> (Downloads, UnboundedReceiver<DownloadEvent>),
    ) {
        let fresh: Vec<DownloadJob> = jobs
            .into_iter()
            .filter(|j| {
                !self.items.iter().any(|i| {
                    &i.job == j && matches!(i.state, ItemState::Queued | ItemState::Running)
                })
            })
            .collect();
        if fresh.is_empty() {
            return;
        }
        self.items.retain(|i| !fresh.contains(&i.job));
        self.items.extend(fresh.iter().map(|job| Item {
            job: job.clone(),
            state: ItemState::Queued,
            received: 0,
            total: None,
        }));
        self.runs.push(launch(fresh));
        self.written.insert(dir.clone());
        self.dir = Some(dir);
        self.visible = true;
    }

    /// Whether a batch of this session went into `dir`.
    pub fn wrote_into(&self, dir: &std::path::Path) -> bool {
        self.written.contains(dir)
    }

    pub fn is_running(&self) -> bool {
        !self.runs.is_empty()
    }

    pub fn failed_jobs(&self) -> Vec<DownloadJob> {
        self.items
            .iter()
            .filter(|i| matches!(i.state, ItemState::Failed(_) | ItemState::Cancelled))
            .map(|i| i.job.clone())
            .collect()
    }

    pub fn cancel(&self) {
        for (run, _) in &self.runs {
            run.cancel();
        }
    }

    fn item(&mut self, job: &DownloadJob) -> Option<&mut Item> {
        self.items.iter_mut().find(|i| &i.job == job)
    }

    /// Drains the events of every running batch.
    pub fn poll(&mut self) {
        let mut events = Vec::new();
        self.runs.retain_mut(|(_, rx)| {
            loop {
                match rx.try_recv() {
                    Ok(DownloadEvent::Finished) => return false,
                    Ok(e) => events.push(e),
                    Err(tokio::sync::mpsc::error::TryRecvError::Empty) => return true,
                    Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => return false,
                }
            }
        });
        for event in events {
            match event {
                DownloadEvent::Started { job, total } => {
                    if let Some(i) = self.item(&job) {
                        i.state = ItemState::Running;
                        i.total = total;
                    }
                }
                DownloadEvent::Progress {
                    job,
                    received,
                    total,
                } => {
                    if let Some(i) = self.item(&job) {
                        i.state = ItemState::Running;
                        i.received = received;
                        i.total = total;
                    }
                }
                DownloadEvent::Skipped { job, path } => {
                    if let Some(i) = self.item(&job) {
                        i.state = ItemState::Skipped(path);
                    }
                }
                DownloadEvent::Done { job, path, bytes } => {
                    if let Some(i) = self.item(&job) {
                        i.state = ItemState::Done(path);
                        i.received = bytes;
                        i.total = Some(bytes);
                    }
                }
                DownloadEvent::Failed { job, error } => {
                    if let Some(i) = self.item(&job) {
                        i.state = ItemState::Failed(error);
                    }
                }
                DownloadEvent::Cancelled { job } => {
                    if let Some(i) = self.item(&job) {
                        i.state = ItemState::Cancelled;
                    }
                }
                DownloadEvent::Finished => {}
            }
        }
    }

    /// Overall progress: finished files count fully, running ones by their bytes.
    pub fn overall(&self) -> (f32, usize, usize) {
        let total = self.items.len();
        let ended = self
            .items
            .iter()
            .filter(|i| !matches!(i.state, ItemState::Queued | ItemState::Running))
            .count();
        let partial: f32 = self
            .items
            .iter()
            .filter(|i| i.state == ItemState::Running)
            .map(|i| {
                i.total
                    .filter(|t| *t > 0)
                    .map_or(0.0, |t| i.received as f32 / t as f32)
            })
            .sum();
        let fraction = if total == 0 {
            1.0
        } else {
            (ended as f32 + partial) / total as f32
        };
        (fraction.clamp(0.0, 1.0), ended, total)
    }

    pub fn ui(&mut self, ui: &mut egui::Ui) -> Option<DownloadIntent> {
        let mut intent = None;
        let (fraction, ended, total) = self.overall();
        ui.horizontal(|ui| {
            ui.strong("Downloads");
            ui.add(
                egui::ProgressBar::new(fraction)
                    .desired_width(240.0)
                    .text(format!(
                        "{ended} of {}",
                        super::status::count(total, "file", "files")
                    )),
            );
            if self.is_running()
                && ui
                    .button("Cancel")
                    .on_hover_text("Stop every download")
                    .clicked()
            {
                intent = Some(DownloadIntent::Cancel);
            }
            let failed = self.failed_jobs().len();
            if failed > 0
                && !self.is_running()
                && ui.button(format!("Retry {failed} failed")).clicked()
            {
                intent = Some(DownloadIntent::RetryFailed);
            }
            if let Some(dir) = &self.dir
                && ui
                    .button("Open folder")
                    .on_hover_text(dir.display().to_string())
                    .clicked()
            {
                intent = Some(DownloadIntent::OpenFolder(dir.clone()));
            }
            if !self.is_running()
                && ui
                    .button("Close")
                    .on_hover_text("Hide the downloads")
                    .clicked()
            {
                intent = Some(DownloadIntent::Close);
            }
        });
        egui::ScrollArea::vertical()
            .id_salt("downloads-scroll")
            .max_height(140.0)
            .show(ui, |ui| {
                for item in &self.items {
                    ui.horizontal(|ui| {
                        ui.monospace(item.job.file_name());
                        match &item.state {
                            ItemState::Queued => {
                                ui.weak("waiting");
                            }
                            ItemState::Running => {
                                let f = item
                                    .total
                                    .filter(|t| *t > 0)
                                    .map_or(0.0, |t| item.received as f32 / t as f32);
                                let text = match item.total {
                                    Some(t) => format!(
                                        "{:.1} / {:.1} MB",
                                        item.received as f64 / 1e6,
                                        t as f64 / 1e6
                                    ),
                                    None => format!("{:.1} MB", item.received as f64 / 1e6),
                                };
                                ui.add(egui::ProgressBar::new(f).desired_width(200.0).text(text));
                            }
                            ItemState::Done(p) => {
                                ui.label("done").on_hover_text(p.display().to_string());
                            }
                            ItemState::Skipped(p) => {
                                ui.weak("already there, skipped")
                                    .on_hover_text(p.display().to_string());
                            }
                            ItemState::Failed(e) => {
                                ui.colored_label(
                                    ui.visuals().error_fg_color,
                                    format!("failed: {e}"),
                                );
                            }
                            ItemState::Cancelled => {
                                ui.weak("cancelled");
                            }
                        }
                    });
                }
            });
        intent
    }
}
