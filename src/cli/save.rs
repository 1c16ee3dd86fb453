//! `--save`: each succeeded task's video and last frame go into the library after the
//! answers are in, and the output names the saved files.

use super::exit;
use super::save_args::SaveArgs;
use crate::api::Status;
use crate::library::{Library, SaveRequest};
use crate::task::TaskEntry;
use crate::text;
use std::collections::HashMap;
use std::path::PathBuf;
use tokio::task::JoinSet;

/// What `--save` did for one task.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct SaveOutcome {
    pub video: Option<PathBuf>,
    pub last_frame: Option<PathBuf>,
    pub error: Option<String>,
}

/// The library `--save` writes into, or the exit code of a missing folder.
pub(super) fn open(args: &SaveArgs) -> Result<Option<Library>, u8> {
    match args.root() {
        None => Ok(None),
        Some(Ok(root)) => {
            // The output gives absolute paths, whatever --library was relative to.
            let root = std::path::absolute(&root).unwrap_or(root);
            Ok(Some(Library::open(root)))
        }
        Some(Err(e)) => {
            eprintln!("error: {e}");
            Err(exit::USAGE)
        }
    }
}

/// Saves every succeeded task (within the library's three fetches at once) and tells each
/// result on stderr. Tasks that did not succeed get no entry.
pub(super) async fn save_all(
    library: &Library,
    tasks: &[&TaskEntry],
    token: Option<&str>,
) -> HashMap<String, SaveOutcome> {
    let mut set = JoinSet::new();
    let mut outcomes = HashMap::new();
    for t in tasks {
        if t.status != Status::Succeeded || t.error.is_some() {
            continue;
        }
        let Some(record) = t.record.as_deref() else {
            continue;
        };
        let request = SaveRequest::from_record(record);
        let library = library.clone();
        set.spawn(async move {
            let result = library.save(&request).await;
            (request.id, result)
        });
    }
    while let Some(joined) = set.join_next().await {
        let Ok((id, result)) = joined else {
            continue;
        };
        let shown = |s: &str| text::for_terminal(s, token);
        let outcome = match result {
            Ok(saved) => {
                eprintln!("saved {}", saved.video.path.display());
                if let Some(e) = &saved.last_frame_error {
                    eprintln!("error: {}: {}", shown(&id), shown(e));
                }
                SaveOutcome {
                    video: Some(saved.video.path),
                    last_frame: saved.last_frame.map(|f| f.path),
                    error: saved.last_frame_error,
                }
            }
            Err(e) => {
                eprintln!("error: {}: not saved: {}", shown(&id), shown(&e.reason));
                SaveOutcome {
                    error: Some(e.reason),
                    ..SaveOutcome::default()
                }
            }
        };
        outcomes.insert(id, outcome);
    }
    // A task whose save task died still ends with a reason.
    for t in tasks {
        if t.status == Status::Succeeded && t.error.is_none() && t.record.is_some() {
            outcomes.entry(t.id.clone()).or_insert_with(|| SaveOutcome {
                error: Some("internal error while saving".into()),
                ..SaveOutcome::default()
            });
        }
    }
    outcomes
}

/// `saved_video`, `saved_last_frame` and `save_error` on a `--json` line.
pub(super) fn add_to_json(line: &mut serde_json::Value, outcome: Option<&SaveOutcome>) {
    let path = |p: Option<&PathBuf>| p.map(|p| p.display().to_string());
    line["saved_video"] = path(outcome.and_then(|o| o.video.as_ref())).into();
    line["saved_last_frame"] = path(outcome.and_then(|o| o.last_frame.as_ref())).into();
    line["save_error"] = outcome.and_then(|o| o.error.clone()).into();
}

/// The table's RESULT cell of a saved task: its path in place of the link.
pub(super) fn table_cell(outcome: Option<&SaveOutcome>) -> Option<String> {
    let outcome = outcome?;
    match (&outcome.video, &outcome.error) {
        (Some(path), _) => Some(path.display().to_string()),
        (None, Some(e)) => Some(format!("not saved: {e}")),
        (None, None) => None,
    }
}

/// Exit code 5 when a save failed: over 0 and 1, not over 2 to 4.
pub(super) fn exit_code(code: u8, outcomes: &HashMap<String, SaveOutcome>) -> u8 {
    let failed = outcomes.values().any(|o| o.error.is_some());
    if failed && matches!(code, exit::OK | exit::TASK_PROBLEM) {
        exit::SAVE
    } else {
        code
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_save_wins_over_0_and_1_only() {
        let mut outcomes = HashMap::new();
        assert_eq!(exit_code(exit::OK, &outcomes), exit::OK);
        outcomes.insert("a".into(), SaveOutcome::default());
        assert_eq!(exit_code(exit::TASK_PROBLEM, &outcomes), exit::TASK_PROBLEM);
        outcomes.insert(
            "b".into(),
            SaveOutcome {
                error: Some("gone".into()),
                ..SaveOutcome::default()
            },
        );
        assert_eq!(exit_code(exit::OK, &outcomes), exit::SAVE);
        assert_eq!(exit_code(exit::TASK_PROBLEM, &outcomes), exit::SAVE);
        for code in [exit::USAGE, exit::TOKEN, exit::NETWORK] {
            assert_eq!(exit_code(code, &outcomes), code);
        }
    }

    #[test]
    fn json_lines_gain_three_keys() {
        let mut line = serde_json::json!({"id": "a"});
        add_to_json(
            &mut line,
            Some(&SaveOutcome {
                video: Some("/lib/a.mp4".into()),
                last_frame: None,
                error: Some("last frame: gone".into()),
            }),
        );
        assert_eq!(line["saved_video"], "/lib/a.mp4");
        assert!(line["saved_last_frame"].is_null());
        assert_eq!(line["save_error"], "last frame: gone");
    }
}
