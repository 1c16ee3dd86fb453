//! The token panel: a masked field, Save / Forget / Test, where the token in use comes
//! from, and what to do when no keyring is reachable. It returns intents; the app runs
//! the keyring and network work in the background.

use crate::secrets::{Token, TokenSource};

#[derive(Debug, Clone, PartialEq)]
pub enum KeyringState {
    Checking,
    Ready,
    Unavailable(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
/// The token panel's answer to the last action (saved, removed, tested, …).
pub enum TokenMessage {
    Info(String),
    Good(String),
    Bad(String),
}

#[derive(Default)]
pub struct TokenPanel {
    pub field: String,
    pub reveal: bool,
    pub expanded: bool,
    pub busy: Option<&'static str>,
    pub message: Option<TokenMessage>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TokenIntent {
    Save(Token),
    UseForSession(Token),
    Forget,
    Test(Token),
    StartDemo,
}

impl TokenPanel {
    /// `in_use`: the session's token and where it came from, `keyring`: what is known of
    /// the system keyring (the panel keeps neither).
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        in_use: Option<&(Token, TokenSource)>,
        keyring: &KeyringState,
        demo: bool,
    ) -> Option<TokenIntent> {
        let mut intent = None;
        match in_use {
            Some((token, source)) => {
                ui.label(format!(
                    "Token in use: {} {}",
                    token.hint(),
                    source.describe()
                ));
            }
            None if demo => {
                ui.label(
                    "Demo mode: no token needed. Paste a token below to query your own tasks.",
                );
            }
            None => {
                ui.label(egui::RichText::new("No API token yet.").strong());
                ui.label(
                    "Create one in the AceDataCloud console (platform.acedata.cloud, your \
                     SeeDance application, Credentials), paste it below and press Save.",
                );
                ui.hyperlink_to(
                    "Open the AceDataCloud console",
                    "https://platform.acedata.cloud",
                );
                if ui
                    .button("Try the demo")
                    .on_hover_text("Sample tasks, no token or network needed")
                    .clicked()
                {
                    intent = Some(TokenIntent::StartDemo);
                }
            }
        }

        if *keyring == KeyringState::Checking {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Reading the system keyring… (it may be asking to be unlocked)");
            });
        }
        if let KeyringState::Unavailable(why) = keyring {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!("No system keyring is reachable, so the token cannot be saved: {why}"),
            );
            ui.label("You can still use a token for this session only; it is kept in memory and forgotten on exit.");
        }

        ui.horizontal(|ui| {
            let label = ui.label("API token:");
            let edit = egui::TextEdit::singleline(&mut self.field)
                .password(!self.reveal)
                .hint_text("paste your token")
                .desired_width(320.0);
            ui.add(edit).labelled_by(label.id);
            let eye = if self.reveal { "Hide" } else { "Show" };
            if ui
                .button(eye)
                .on_hover_text("Show or hide the token you typed")
                .clicked()
            {
                self.reveal = !self.reveal;
            }
        });

        let typed = Token::parse(&self.field);
        let idle = self.busy.is_none();
        ui.horizontal(|ui| {
            let can_save = idle && typed.is_some() && *keyring == KeyringState::Ready;
            let save = ui
                .add_enabled(can_save, egui::Button::new("Save"))
                .on_hover_text("Save the token in the system keyring")
                .on_disabled_hover_text(match (&typed, keyring) {
                    (None, _) => "Type or paste a token first",
                    (_, KeyringState::Unavailable(_)) => {
                        "No keyring: use it for this session instead"
                    }
                    _ => "Working…",
                });
            if save.clicked()
                && let Some(t) = typed.clone()
            {
                intent = Some(TokenIntent::Save(t));
            }
            if ui
                .add_enabled(typed.is_some(), egui::Button::new("Use for this session"))
                .on_hover_text("Use the token now without saving it anywhere")
                .clicked()
                && let Some(t) = typed.clone()
            {
                intent = Some(TokenIntent::UseForSession(t));
            }
            let can_forget = idle && *keyring == KeyringState::Ready;
            if ui
                .add_enabled(can_forget, egui::Button::new("Forget"))
                .on_hover_text("Delete the token from the system keyring")
                .clicked()
            {
                intent = Some(TokenIntent::Forget);
            }
            let test_token = typed.clone().or_else(|| in_use.map(|(t, _)| t.clone()));
            if ui
                .add_enabled(idle && test_token.is_some(), egui::Button::new("Test"))
                .on_hover_text("Send one cheap request to check the token and the balance")
                .clicked()
                && let Some(t) = test_token
            {
                intent = Some(TokenIntent::Test(t));
            }
            if let Some(what) = self.busy {
                ui.spinner();
                ui.label(what);
            }
        });
        match &self.message {
            Some(TokenMessage::Info(t)) => {
                ui.label(t);
            }
            Some(TokenMessage::Good(t)) => {
                ui.colored_label(egui::Color32::from_rgb(0x3f, 0xb9, 0x50), t);
            }
            Some(TokenMessage::Bad(t)) => {
                ui.colored_label(ui.visuals().error_fg_color, t);
            }
            None => {}
        }
        intent
    }
}
