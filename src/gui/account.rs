//! "My tasks": the account's tasks listed without pasting (a range, Load, Cancel) and
//! Follow, which adds tasks as they are created. The listing is undocumented for
//! SeeDance: when the API does not honour it, the panel says so and Follow is disabled.

use chrono::{Local, NaiveDate, TimeZone};

/// How far back "Load my tasks" reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Range {
    Day,
    #[default]
    Week,
    Month,
    Custom,
}

impl Range {
    const ALL: [Range; 4] = [Range::Day, Range::Week, Range::Month, Range::Custom];

    fn label(self) -> &'static str {
        match self {
            Self::Day => "Last 24 hours",
            Self::Week => "Last 7 days",
            Self::Month => "Last 30 days",
            Self::Custom => "Custom dates",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum AccountIntent {
    /// List tasks created from `from` to `to` (Unix seconds; `None`: until now).
    Load {
        from: f64,
        to: Option<f64>,
    },
    Cancel,
    SetFollow(bool),
}

/// What the panel shows of the listing's state.
pub struct AccountView<'a> {
    /// "312 of 1 204" while a listing runs.
    pub progress: Option<&'a str>,
    pub following: bool,
    /// Why Follow cannot be turned on (the API does not list, there is no token).
    pub follow_blocked: Option<&'a str>,
    /// Follow is on but waiting (the token was rejected).
    pub follow_paused: Option<&'a str>,
    /// The last listing's outcome, or why there was none.
    pub message: Option<&'a str>,
}

#[derive(Debug, Default)]
pub struct AccountPanel {
    range: Range,
    from: String,
    to: String,
    problem: Option<String>,
}

impl AccountPanel {
    pub fn ui(&mut self, ui: &mut egui::Ui, view: &AccountView<'_>) -> Option<AccountIntent> {
        let mut intent = None;
        ui.horizontal_wrapped(|ui| {
            ui.strong("My tasks:");
            let range_label = ui.label("Range");
            egui::ComboBox::from_id_salt("account-range")
                .selected_text(self.range.label())
                .show_ui(ui, |ui| {
                    for r in Range::ALL {
                        ui.selectable_value(&mut self.range, r, r.label());
                    }
                })
                .response
                .labelled_by(range_label.id);
            if self.range == Range::Custom {
                let from = ui.label("From");
                ui.add(
                    egui::TextEdit::singleline(&mut self.from)
                        .hint_text("2026-11-01")
                        .desired_width(90.0),
                )
                .labelled_by(from.id);
                let to = ui.label("To");
                ui.add(
                    egui::TextEdit::singleline(&mut self.to)
                        .hint_text("today")
                        .desired_width(90.0),
                )
                .labelled_by(to.id);
            }
            match view.progress {
                Some(progress) => {
                    ui.spinner();
                    ui.label(format!("Loading my tasks: {progress}"));
                    if ui
                        .button("Cancel")
                        .on_hover_text("Stop the listing")
                        .clicked()
                    {
                        intent = Some(AccountIntent::Cancel);
                    }
                }
                None => {
                    if ui
                        .button("Load my tasks")
                        .on_hover_text("List this account's SeeDance tasks created in the range")
                        .clicked()
                    {
                        match self.range_bounds(crate::task::unix_now()) {
                            Ok((from, to)) => {
                                self.problem = None;
                                intent = Some(AccountIntent::Load { from, to });
                            }
                            Err(e) => self.problem = Some(e.to_string()),
                        }
                    }
                }
            }
            ui.separator();
            let mut follow = view.following;
            let follow_hint = "Every 30 s, add the tasks created since (new ones from the \
                               generation console flow in by themselves)";
            let response = ui.add_enabled(
                view.follow_blocked.is_none(),
                egui::Checkbox::new(&mut follow, "Follow my account"),
            );
            let response = match view.follow_blocked {
                Some(why) => response.on_disabled_hover_text(why),
                None => response.on_hover_text(follow_hint),
            };
            if response.changed() {
                intent = Some(AccountIntent::SetFollow(follow));
            }
            if let Some(paused) = view.follow_paused {
                ui.colored_label(ui.visuals().warn_fg_color, format!("⏸ {paused}"));
            }
            if let Some(problem) = &self.problem {
                ui.colored_label(ui.visuals().error_fg_color, problem);
            } else if let Some(message) = view.message {
                ui.label(message);
            }
        });
        intent
    }

    /// The range as Unix seconds (`to` of `None`: now, pinned when the listing starts).
    fn range_bounds(&self, now: f64) -> Result<(f64, Option<f64>), RangeError> {
        const DAY: f64 = 86_400.0;
        Ok(match self.range {
            Range::Day => (now - DAY, None),
            Range::Week => (now - 7.0 * DAY, None),
            Range::Month => (now - 30.0 * DAY, None),
            Range::Custom => {
                let from = local_day_start(&self.from).ok_or(RangeError::From)?;
                let to = match self.to.trim() {
                    "" | "today" => None,
                    text => Some(local_day_start(text).ok_or(RangeError::To)? + DAY),
                };
                if to.is_some_and(|t| t <= from) {
                    return Err(RangeError::Backwards);
                }
                if now - from > 90.0 * DAY {
                    return Err(RangeError::TooFarBack);
                }
                (from, to)
            }
        })
    }
}

/// Why a custom range cannot be listed (shown under the range's fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
enum RangeError {
    #[error("From: a date as 2026-11-01")]
    From,
    #[error("To: a date as 2026-11-30")]
    To,
    #[error("To must come after From")]
    Backwards,
    #[error("At most 90 days back")]
    TooFarBack,
}

/// Local midnight at the start of `date` (YYYY-MM-DD), as Unix seconds.
fn local_day_start(date: &str) -> Option<f64> {
    let day = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").ok()?;
    let midnight = day.and_hms_opt(0, 0, 0)?;
    Local
        .from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.timestamp() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_reach_back_as_named() {
        let now = 1_800_000_000.0;
        let mut p = AccountPanel::default();
        assert_eq!(p.range_bounds(now), Ok((now - 7.0 * 86_400.0, None)));
        p.range = Range::Day;
        assert_eq!(p.range_bounds(now), Ok((now - 86_400.0, None)));
        p.range = Range::Custom;
        p.from = "nonsense".into();
        assert!(p.range_bounds(now).is_err());
        p.from = "2027-01-10".into();
        p.to = "2027-01-09".into();
        assert_eq!(
            p.range_bounds(now).map_err(|e| e.to_string()),
            Err("To must come after From".into())
        );
        p.to = "2027-01-12".into();
        let (from, to) = p.range_bounds(now).expect("range");
        assert_eq!(to.map(|t| t - from), Some(3.0 * 86_400.0));
        p.from = "2020-01-01".into();
        p.to = String::new();
        assert_eq!(
            p.range_bounds(now).map_err(|e| e.to_string()),
            Err("At most 90 days back".into())
        );
    }
}
