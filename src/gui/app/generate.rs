//! Creating generations from the window: a confirmed run goes to `generate::spawn_batch`
//! (checks, image files read off the UI thread, at most two rows under way, each request
//! through the engine's door, never a request sent twice once it may have reached the
//! API), its events are read each frame, and each created task joins the grid at once,
//! pending and watched. A create whose outcome is uncertain says "may have been created —
//! check your tasks" and, where the account listing works, the task is looked for by its
//! prompt and adopted.

use super::SeedanceApp;
use super::background::{Done, Job};
use crate::api::TaskRecord;
use crate::engine::{CreatePolicy, ListCancel, ListError, ListRequest, Listing};
use crate::generate::{self, BatchEvent, GenerationRequest, Maker, RowOutcome, prefill};
use crate::gui::dialogs::Picked;
use crate::gui::generate::{GenerateIntent, RowState, RunView};
use crate::gui::status::Severity;
use crate::task::{Outcome, unix_now};
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedReceiver;

/// How far back an uncertain create is looked for.
const ADOPT_WINDOW_SECONDS: f64 = 15.0 * 60.0;

#[derive(Default)]
pub struct GenerateRun {
    events: Option<UnboundedReceiver<BatchEvent>>,
    pub view: RunView,
    /// The task a Continue… is getting the last frame of: its record prefills the panel
    /// should the job crash.
    pub continuing: Option<Arc<TaskRecord>>,
}

/// A list of prompts chosen in the dialog could not be read.
#[derive(Debug, thiserror::Error)]
#[error("could not read {}: {source}", path.display())]
pub struct SheetReadError {
    path: std::path::PathBuf,
    source: std::io::Error,
}

impl SeedanceApp {
    fn maker(&self) -> Option<Maker> {
        let (engine, _) = self.services.engine.as_ref()?;
        let token = match self.session.backend.as_ref()? {
            backend if backend.is_demo() => None,
            _ => Some(self.session.token.as_ref()?.0.clone()),
        };
        Some(Maker {
            engine: engine.clone(),
            token,
        })
    }

    pub(super) fn on_generate_intent(&mut self, intent: GenerateIntent) {
        match intent {
            GenerateIntent::Create(requests) => self.create(requests),
            GenerateIntent::PickImage(index) => {
                let dialogs = self.services.dialogs.clone();
                self.services
                    .background
                    .future(&self.ctx, Job::File, async move {
                        let picked = dialogs
                            .pick_file("Choose an image", "Images", &["png", "jpg", "jpeg", "webp"])
                            .await;
                        Done::ImagePicked { index, picked }
                    });
            }
            GenerateIntent::OpenCsv => {
                let dialogs = self.services.dialogs.clone();
                self.services
                    .background
                    .future(&self.ctx, Job::File, async move {
                        let picked = dialogs
                            .pick_file("Open a list of prompts", "CSV", &["csv", "txt"])
                            .await;
                        let text = match picked {
                            Picked::Chosen(path) => match tokio::fs::read_to_string(&path).await {
                                Ok(text) => Ok(Some(text)),
                                Err(source) => Err(SheetReadError { path, source }),
                            },
                            _ => Ok(None),
                        };
                        Done::SheetRead(text)
                    });
            }
        }
    }

    pub(super) fn on_image_picked(&mut self, index: usize, picked: Picked) {
        match picked {
            Picked::Chosen(path) => {
                if let Some(image) = self.panels.generate.request.images.get_mut(index) {
                    image.source = path.display().to_string();
                }
            }
            Picked::Cancelled => {}
            Picked::Unavailable => self.panels.status.say(
                Severity::Warning,
                format!(
                    "{}: type the image's path instead",
                    crate::gui::dialogs::NO_DIALOG
                ),
            ),
        }
    }

    pub(super) fn on_sheet_read(&mut self, text: Result<Option<String>, SheetReadError>) {
        match text {
            Ok(Some(text)) => {
                self.panels.generate.rerun = None;
                self.panels.generate.list_text = text;
            }
            Ok(None) => {}
            Err(e) => self.panels.status.say(Severity::Error, e),
        }
    }

    /// "Generate again" for these tasks: the panel opens prefilled from their requests.
    pub(super) fn generate_again(&mut self, ids: &[String]) {
        let requests: Vec<GenerationRequest> = ids
            .iter()
            .filter_map(|id| {
                self.session
                    .book
                    .get(id)?
                    .record
                    .as_deref()
                    .map(prefill::from_record)
            })
            .collect();
        if requests.is_empty() {
            self.panels.status.say(
                Severity::Info,
                "Nothing to generate again: these tasks have no stored request yet.",
            );
            return;
        }
        self.panels.generate.open_prefilled(requests);
    }

    fn create(&mut self, requests: Vec<GenerationRequest>) {
        let Some(maker) = self.maker() else {
            self.panels
                .status
                .say(Severity::Warning, "Set a token first (or try the demo).");
            self.panels.token.expanded = true;
            return;
        };
        self.session.generate.view = RunView {
            rows: requests
                .iter()
                .map(|r| (r.prompt.clone(), RowState::Waiting))
                .collect(),
        };
        self.session.generate.events = Some(generate::spawn_batch(
            maker,
            requests,
            CreatePolicy::default(),
        ));
    }

    /// Each frame: what the run did since.
    pub(super) fn poll_generate(&mut self) {
        let Some(rx) = &mut self.session.generate.events else {
            return;
        };
        let mut events = Vec::new();
        while let Ok(event) = rx.try_recv() {
            events.push(event);
        }
        if !events.is_empty() {
            self.ctx.request_repaint();
        }
        for event in events {
            match event {
                BatchEvent::Started { row } => self.set_row(row, RowState::Sending),
                BatchEvent::Retrying {
                    row, wait, error, ..
                } => self.set_row(
                    row,
                    RowState::Retrying(format!("{error}, again in {} s", wait.as_secs().max(1))),
                ),
                BatchEvent::Finished { row, outcome } => self.on_created(row, outcome),
                BatchEvent::Done => self.session.generate.events = None,
            }
        }
    }

    fn set_row(&mut self, row: usize, state: RowState) {
        if let Some(slot) = self.session.generate.view.rows.get_mut(row) {
            slot.1 = state;
        }
    }

    fn on_created(&mut self, row: usize, outcome: RowOutcome) {
        let state = match &outcome {
            RowOutcome::Created(created) => {
                // At once in the grid, pending, watched to the end.
                self.query(vec![created.id.clone()]);
                RowState::Created(created.id.clone())
            }
            RowOutcome::Invalid(problems) => RowState::Invalid(
                problems
                    .iter()
                    .map(|p| p.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            RowOutcome::Failed { failure, prompt } if outcome.may_have_been_created() => {
                self.panels.status.say(
                    Severity::Warning,
                    format!("A generation may have been created — check your tasks: “{prompt}”"),
                );
                self.look_for_created(prompt.clone());
                RowState::Uncertain(failure.error().to_string())
            }
            RowOutcome::Failed { failure, .. } => {
                if outcome.stops_everything() {
                    self.panels.token.expanded = true;
                }
                RowState::Refused(failure.error().to_string())
            }
            RowOutcome::Skipped(why) => RowState::Skipped(why.clone()),
        };
        self.set_row(row, state);
    }

    /// An uncertain create: the account's tasks of the last minutes are listed and one
    /// with the same prompt is adopted (where the API lists; else the message stands).
    fn look_for_created(&mut self, prompt: String) {
        if self.account_unsupported() {
            return;
        }
        let Some((engine, _)) = &self.services.engine else {
            return;
        };
        let engine = engine.clone();
        let request = ListRequest::new(unix_now() - ADOPT_WINDOW_SECONDS);
        let known: Vec<String> = self.session.book.all_ids();
        self.services
            .background
            .future(&self.ctx, Job::Listing, async move {
                // The API may take a moment to list a task it just accepted.
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                let result: Result<Listing, ListError> = engine
                    .list(request, Arc::new(|_| {}), ListCancel::default())
                    .await;
                let found = result.ok().and_then(|listing| {
                    listing.tasks.into_iter().find(|r| {
                        r.prompt.as_deref() == Some(prompt.as_str()) && !known.contains(&r.id)
                    })
                });
                Done::FoundCreated {
                    prompt,
                    found: found.map(Box::new),
                }
            });
    }

    pub(super) fn on_found_created(&mut self, prompt: String, found: Option<Box<TaskRecord>>) {
        match found {
            Some(record) => {
                let id = record.id.clone();
                self.session.book.add_ids(std::slice::from_ref(&id));
                self.session.book
                    .apply(vec![(id.clone(), Outcome::Found(Arc::new(*record)))]);
                self.send_query(vec![id.clone()]);
                self.panels.status.say(
                    Severity::Info,
                    format!("Found the generation that may have been created (“{prompt}”): task {id}, now in the grid."),
                );
            }
            None => self.panels.status.say(
                Severity::Warning,
                format!("A generation may have been created — check your tasks: “{prompt}” (not found in the account's recent tasks)"),
            ),
        }
    }
}
