//! The New generation panel: one generation (model, prompt with its character count,
//! images with their roles, the documented options) or a list of prompts (one per line,
//! or a CSV), checked as it is typed, created only after a confirmation (Enter confirms,
//! Escape cancels). Creating spends the user's balance: the panel says so.

use crate::generate::{
    self, Field, GenerationRequest, ImageInput, MAX_PROMPT_CHARS, MODELS, RATIOS, RESOLUTIONS,
    Role, sheet,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    One,
    List,
}

/// What became of one row of a run, as the panel shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum RowState {
    Waiting,
    Sending,
    Retrying(String),
    Created(String),
    Refused(String),
    /// "may have been created — check your tasks"
    Uncertain(String),
    Invalid(String),
    Skipped(String),
}

impl RowState {
    fn text(&self) -> String {
        match self {
            Self::Waiting => "waiting".into(),
            Self::Sending => "sending…".into(),
            Self::Retrying(why) => format!("waiting to retry: {why}"),
            Self::Created(id) => format!("created: {id}"),
            Self::Refused(why) => format!("refused: {why}"),
            Self::Uncertain(why) => format!("may have been created — check your tasks ({why})"),
            Self::Invalid(why) => format!("not sent: {why}"),
            Self::Skipped(why) => why.clone(),
        }
    }

    pub fn is_finished(&self) -> bool {
        !matches!(self, Self::Waiting | Self::Sending | Self::Retrying(_))
    }
}

/// A run in progress or done: each row's prompt and state.
#[derive(Debug, Clone, Default)]
pub struct RunView {
    pub rows: Vec<(String, RowState)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum GenerateIntent {
    /// Confirmed: create these.
    Create(Vec<GenerationRequest>),
    /// Choose a local image file for the image at this index.
    PickImage(usize),
    /// Open a CSV of prompts into the list.
    OpenCsv,
}

#[derive(Debug)]
pub struct GeneratePanel {
    pub open: bool,
    pub mode: Mode,
    /// The one generation's form, and the template of a list's rows.
    pub request: GenerationRequest,
    /// The list as typed or opened.
    pub list_text: String,
    /// Rows to generate again (from tasks of the grid), when the list came from there.
    pub rerun: Option<Vec<GenerationRequest>>,
    seed_text: String,
    /// Waiting for Enter (create) or Escape (cancel).
    confirming: bool,
    /// The form holds another task's settings (Generate again, Continue…), edited or
    /// not, rather than a draft the user started in a fresh form.
    prefilled: bool,
}

impl Default for GeneratePanel {
    fn default() -> Self {
        let mut request = GenerationRequest::default();
        // A new video can be continued from its last frame only if it asks for one.
        request.options.return_last_frame = true;
        Self {
            open: false,
            mode: Mode::default(),
            request,
            list_text: String::new(),
            rerun: None,
            seed_text: String::new(),
            confirming: false,
            prefilled: false,
        }
    }
}

impl GeneratePanel {
    /// Opens the panel for a new generation: a fresh form (Return last frame on, no
    /// prompt, no images) in place of another task's settings, or the user's own draft
    /// as it was left (a list typed in the panel is kept either way).
    pub fn open_new(&mut self) {
        self.open = true;
        if self.prefilled {
            let list_text = std::mem::take(&mut self.list_text);
            *self = Self {
                open: true,
                list_text,
                ..Self::default()
            };
        }
        if self.request.model.is_empty() {
            self.request.model = MODELS[MODELS.len() - 3].to_owned();
        }
    }

    /// Opens the panel prefilled: one task's settings, or a list of them.
    pub fn open_prefilled(&mut self, mut requests: Vec<GenerationRequest>) {
        self.open = true;
        self.confirming = false;
        self.prefilled = true;
        if requests.len() == 1 {
            self.mode = Mode::One;
            self.request = requests.remove(0);
            self.seed_text = self
                .request
                .options
                .seed
                .map(|s| s.to_string())
                .unwrap_or_default();
        } else {
            self.mode = Mode::List;
            self.list_text.clear();
            self.rerun = Some(requests);
        }
    }

    /// The rows a list would create, each with its problems.
    fn list_rows(&self) -> Result<Vec<sheet::SheetRow>, sheet::SheetError> {
        if let Some(rows) = &self.rerun {
            return Ok(rows
                .iter()
                .enumerate()
                .map(|(i, r)| sheet::SheetRow {
                    line: i + 1,
                    problems: r.validate(),
                    request: r.clone(),
                })
                .collect());
        }
        sheet::parse(&self.list_text, &self.request)
    }

    /// The requests to create now, or why not.
    fn ready(&self) -> Result<Vec<GenerationRequest>, NotReady> {
        match self.mode {
            Mode::One => {
                let problems = self.request.validate();
                match problems.first() {
                    Some(p) => Err(NotReady::Invalid(p.message.clone())),
                    None => Ok(vec![self.request.clone()]),
                }
            }
            Mode::List => {
                let rows = self.list_rows()?;
                if rows.is_empty() {
                    return Err(NotReady::NoPrompts);
                }
                if let Some(bad) = rows.iter().find(|r| !r.is_valid()) {
                    return Err(NotReady::Line {
                        line: bad.line,
                        message: bad
                            .problems
                            .first()
                            .map(|p| p.message.clone())
                            .unwrap_or_default(),
                    });
                }
                Ok(rows.into_iter().map(|r| r.request).collect())
            }
        }
    }

    pub fn ui(&mut self, ctx: &egui::Context, run: Option<&RunView>) -> Vec<GenerateIntent> {
        let mut intents = Vec::new();
        let mut open = self.open;
        egui::Window::new("New generation")
            .open(&mut open)
            .default_width(560.0)
            .show(ctx, |ui| {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    "Creating a generation spends your AceDataCloud balance.",
                );
                ui.horizontal(|ui| {
                    ui.selectable_value(&mut self.mode, Mode::One, "One generation");
                    ui.selectable_value(&mut self.mode, Mode::List, "A list of prompts");
                });
                ui.separator();
                self.model_row(ui);
                match self.mode {
                    Mode::One => self.one_form(ui),
                    Mode::List => self.list_form(ui, &mut intents),
                }
                self.images(ui, &mut intents);
                self.options(ui);
                ui.separator();
                let ready = self.ready();
                ui.horizontal(|ui| {
                    let label = match &ready {
                        Ok(r) if r.len() > 1 => format!("Create {} generations…", r.len()),
                        _ => "Create…".to_owned(),
                    };
                    let busy = run.is_some_and(|r| r.rows.iter().any(|(_, s)| !s.is_finished()));
                    let button = ui.add_enabled(ready.is_ok() && !busy, egui::Button::new(label));
                    let button = match &ready {
                        Err(why) => button.on_disabled_hover_text(why.to_string()),
                        Ok(_) if busy => button.on_disabled_hover_text("A run is still going"),
                        Ok(_) => button,
                    };
                    if button.clicked() {
                        self.confirming = true;
                    }
                    if let Err(why) = &ready {
                        ui.colored_label(ui.visuals().error_fg_color, why.to_string());
                    }
                });
                if let Some(run) = run {
                    run_progress(ui, run);
                }
            });
        self.open = open;
        if self.confirming {
            match self.ready() {
                Ok(requests) => {
                    if let Some(confirmed) = confirm(ctx, &requests) {
                        self.confirming = false;
                        if confirmed {
                            intents.push(GenerateIntent::Create(requests));
                        }
                    }
                }
                Err(_) => self.confirming = false,
            }
        }
        intents
    }

    fn model_row(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let label = ui.label("Model");
            ui.add(
                egui::TextEdit::singleline(&mut self.request.model)
                    .desired_width(280.0)
                    .hint_text("doubao-seedance-…"),
            )
            .labelled_by(label.id);
            ui.menu_button("Models ▾", |ui| {
                for m in MODELS {
                    if ui.button(m).clicked() {
                        self.request.model = m.to_owned();
                        ui.close();
                    }
                }
            });
        });
    }

    fn one_form(&mut self, ui: &mut egui::Ui) {
        let label = ui.label("Prompt");
        ui.add(
            egui::TextEdit::multiline(&mut self.request.prompt)
                .desired_rows(4)
                .desired_width(f32::INFINITY)
                .hint_text("What the video shows. Options such as --ratio 16:9 may follow."),
        )
        .labelled_by(label.id);
        let n = self.request.prompt.chars().count();
        let text = format!("{n} / {MAX_PROMPT_CHARS} characters");
        if n > MAX_PROMPT_CHARS {
            ui.colored_label(ui.visuals().error_fg_color, text);
        } else {
            ui.weak(text);
        }
    }

    fn list_form(&mut self, ui: &mut egui::Ui, intents: &mut Vec<GenerateIntent>) {
        if let Some(n) = self.rerun.as_ref().map(Vec::len) {
            ui.horizontal(|ui| {
                ui.label(format!(
                    "Generate again: {n} tasks, with their own settings."
                ));
                if ui.small_button("Clear").clicked() {
                    self.rerun = None;
                }
            });
        } else {
            if ui
                .button("Open CSV…")
                .on_hover_text(format!("Columns: {}", sheet::COLUMNS.join(", ")))
                .clicked()
            {
                intents.push(GenerateIntent::OpenCsv);
            }
            let label = ui.label("One prompt per line, or a CSV with a prompt column:");
            ui.add(
                egui::TextEdit::multiline(&mut self.list_text)
                    .desired_rows(5)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
            ui.weak("The model, images and options below apply to rows that do not set their own.");
        }
        match self.list_rows() {
            Err(e) => {
                ui.colored_label(ui.visuals().error_fg_color, e.to_string());
            }
            Ok(rows) if !rows.is_empty() => {
                egui::ScrollArea::vertical()
                    .id_salt("generate-rows")
                    .max_height(160.0)
                    .show(ui, |ui| {
                        egui::Grid::new("generate-preview")
                            .striped(true)
                            .show(ui, |ui| {
                                for row in &rows {
                                    ui.label(format!("{}", row.line));
                                    ui.label(short(&row.request.prompt, 60));
                                    ui.label(&row.request.model);
                                    match row.problems.first() {
                                        Some(p) => ui
                                            .colored_label(ui.visuals().error_fg_color, &p.message),
                                        None => ui.weak("ready"),
                                    };
                                    ui.end_row();
                                }
                            });
                    });
            }
            Ok(_) => {}
        }
    }

    fn images(&mut self, ui: &mut egui::Ui, intents: &mut Vec<GenerateIntent>) {
        let problems = self.request.validate();
        let mut remove = None;
        for (i, image) in self.request.images.iter_mut().enumerate() {
            ui.horizontal(|ui| {
                let label = ui.label(format!("Image {}", i + 1));
                if let Some(words) = crate::generate::image::describe_data_uri(&image.source) {
                    // Megabytes of base64 are no text to edit: said in words, replaced by
                    // Choose file… or Remove.
                    ui.add_sized([260.0, 18.0], egui::Label::new(words).truncate())
                        .on_hover_text("Sent inside the request as a data URI")
                        .labelled_by(label.id);
                } else {
                    ui.add(
                        egui::TextEdit::singleline(&mut image.source)
                            .desired_width(260.0)
                            .hint_text("https://… or a PNG/JPEG/WebP file"),
                    )
                    .labelled_by(label.id);
                }
                if ui.button("Choose file…").clicked() {
                    intents.push(GenerateIntent::PickImage(i));
                }
                egui::ComboBox::from_id_salt(("image-role", i))
                    .selected_text(image.role.as_str())
                    .show_ui(ui, |ui| {
                        for role in Role::ALL {
                            ui.selectable_value(&mut image.role, role, role.as_str());
                        }
                    });
                if ui.small_button("Remove").clicked() {
                    remove = Some(i);
                }
            });
            if let Some(p) = problems.iter().find(|p| p.field == Field::Image(i)) {
                ui.colored_label(ui.visuals().error_fg_color, &p.message);
            }
        }
        if let Some(i) = remove {
            self.request.images.remove(i);
        }
        if ui
            .button("Add image")
            .on_hover_text("A first frame, a last frame or a reference image (at most 10 MB)")
            .clicked()
        {
            let role = Role::default_for(self.request.images.len());
            self.request.images.push(ImageInput {
                source: String::new(),
                role,
            });
        }
    }

    fn options(&mut self, ui: &mut egui::Ui) {
        let o = &mut self.request.options;
        ui.horizontal_wrapped(|ui| {
            choice(ui, "Resolution", &mut o.resolution, &RESOLUTIONS);
            choice(ui, "Ratio", &mut o.ratio, &RATIOS);
            let mut set = o.duration.is_some();
            if ui.checkbox(&mut set, "Duration").changed() {
                o.duration = set.then_some(generate::AUTO_DURATION);
            }
            if let Some(d) = &mut o.duration {
                ui.add(
                    egui::DragValue::new(d)
                        .range(generate::AUTO_DURATION..=generate::MAX_DURATION)
                        .custom_formatter(|v, _| {
                            if v < 0.0 {
                                "automatic".into()
                            } else {
                                format!("{v:.0} s")
                            }
                        }),
                );
            }
            let label = ui.label("Seed");
            if ui
                .add(
                    egui::TextEdit::singleline(&mut self.seed_text)
                        .desired_width(90.0)
                        .hint_text("random"),
                )
                .labelled_by(label.id)
                .changed()
            {
                o.seed = self.seed_text.trim().parse().ok();
            }
        });
        ui.horizontal_wrapped(|ui| {
            ui.checkbox(&mut o.generate_audio, "Generate audio");
            ui.checkbox(&mut o.camera_fixed, "Camera fixed");
            ui.checkbox(&mut o.watermark, "Watermark");
            ui.checkbox(&mut o.return_last_frame, "Return last frame");
        });
        if !self.seed_text.trim().is_empty() && o.seed.is_none() {
            ui.colored_label(ui.visuals().error_fg_color, "Seed: a whole number");
        }
    }
}

/// A choice from the documented values, or the API's default.
fn choice(ui: &mut egui::Ui, name: &str, value: &mut Option<String>, values: &[&str]) {
    let label = ui.label(name);
    egui::ComboBox::from_id_salt(("generate-choice", name))
        .selected_text(value.as_deref().unwrap_or("default"))
        .show_ui(ui, |ui| {
            ui.selectable_value(value, None, "default");
            for v in values {
                ui.selectable_value(value, Some((*v).to_owned()), *v);
            }
        })
        .response
        .labelled_by(label.id);
}

/// The confirmation: `Some(true)` on Create or Enter, `Some(false)` on Cancel or Escape,
/// `None` while it waits.
fn confirm(ctx: &egui::Context, requests: &[GenerationRequest]) -> Option<bool> {
    let models: std::collections::BTreeSet<&str> =
        requests.iter().map(|r| r.model.as_str()).collect();
    let question = match (requests.len(), models.len()) {
        (1, _) => format!("Create 1 generation with {}?", requests[0].model),
        (n, 1) => format!("Create {n} generations with {}?", requests[0].model),
        (n, m) => format!("Create {n} generations with {m} models?"),
    };
    let (enter, escape) = ctx.input(|i| {
        (
            i.key_pressed(egui::Key::Enter),
            i.key_pressed(egui::Key::Escape),
        )
    });
    let mut answer = None;
    egui::Modal::new(egui::Id::unique("confirm-generation")).show(ctx, |ui| {
        ui.heading(&question);
        ui.label("This spends your AceDataCloud balance.");
        ui.horizontal(|ui| {
            if ui.button("Create").clicked() {
                answer = Some(true);
            }
            if ui.button("Cancel").clicked() {
                answer = Some(false);
            }
        });
    });
    if enter {
        answer = Some(true);
    }
    if escape {
        answer = Some(false);
    }
    answer
}

fn run_progress(ui: &mut egui::Ui, run: &RunView) {
    let total = run.rows.len().max(1);
    let done = run.rows.iter().filter(|(_, s)| s.is_finished()).count();
    ui.add(
        egui::ProgressBar::new(done as f32 / total as f32).text(format!("{done} of {total} done")),
    );
    egui::ScrollArea::vertical()
        .id_salt("generate-run")
        .max_height(140.0)
        .show(ui, |ui| {
            for (prompt, state) in &run.rows {
                ui.horizontal_wrapped(|ui| {
                    ui.label(short(prompt, 40));
                    let text = state.text();
                    match state {
                        RowState::Refused(_) | RowState::Invalid(_) => {
                            ui.colored_label(ui.visuals().error_fg_color, text)
                        }
                        RowState::Uncertain(_) | RowState::Skipped(_) => {
                            ui.colored_label(ui.visuals().warn_fg_color, text)
                        }
                        _ => ui.label(text),
                    };
                });
            }
        });
}

fn short(text: &str, max: usize) -> String {
    let one_line = text.replace('\n', " ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        format!("{}…", one_line.chars().take(max).collect::<String>())
    }
}
/// Why Create is disabled: its tooltip and the line beside it.
#[derive(Debug, thiserror::Error)]
enum NotReady {
    /// The form's first problem.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Sheet(#[from] sheet::SheetError),
    #[error("No prompts yet")]
    NoPrompts,
    /// A list's first bad line and its first problem.
    #[error("Line {line}: {message}")]
    Line { line: usize, message: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task_request(return_last_frame: bool) -> GenerationRequest {
        let mut r = GenerationRequest {
            model: "doubao-seedance-1-0-pro-250528".into(),
            prompt: "another task's prompt".into(),
            images: vec![ImageInput {
                source: "https://e.x/start.png".into(),
                role: Role::FirstFrame,
            }],
            ..GenerationRequest::default()
        };
        r.options.return_last_frame = return_last_frame;
        r.options.seed = Some(4);
        r
    }

    #[test]
    fn new_generation_after_a_prefill_is_a_fresh_form() {
        for many in [false, true] {
            let mut panel = GeneratePanel::default();
            let requests = if many {
                vec![task_request(false), task_request(false)]
            } else {
                vec![task_request(false)]
            };
            panel.open_prefilled(requests);
            assert!(!panel.request.options.return_last_frame || many);
            panel.request.prompt.push_str(", edited");
            panel.open = false;
            panel.open_new();
            assert!(panel.open);
            assert_eq!(panel.mode, Mode::One);
            assert!(panel.rerun.is_none());
            assert!(panel.request.prompt.is_empty(), "{}", panel.request.prompt);
            assert!(panel.request.images.is_empty());
            assert!(
                panel.request.options.return_last_frame,
                "on for a fresh one"
            );
            assert_eq!(panel.request.options.seed, None);
            assert!(panel.seed_text.is_empty());
            assert!(!panel.request.model.is_empty(), "a model is proposed");
        }
    }

    #[test]
    fn the_users_own_draft_is_kept() {
        let mut panel = GeneratePanel::default();
        panel.open_new();
        panel.request.prompt = "my own idea".into();
        panel.request.options.return_last_frame = false;
        panel.list_text = "one\ntwo".into();
        panel.open = false;
        panel.open_new();
        assert_eq!(panel.request.prompt, "my own idea");
        assert!(
            !panel.request.options.return_last_frame,
            "the user's choice"
        );
        // A prefill replaces it; a list typed in the panel stays for later.
        panel.open_prefilled(vec![task_request(true)]);
        assert_eq!(panel.request.prompt, "another task's prompt");
        panel.open_new();
        assert!(panel.request.prompt.is_empty());
        assert_eq!(panel.list_text, "one\ntwo");
        // A draft typed after that fresh start is the user's again.
        panel.request.prompt = "second idea".into();
        panel.open_new();
        assert_eq!(panel.request.prompt, "second idea");
    }
}
