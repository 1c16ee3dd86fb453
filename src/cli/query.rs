use super::args::{Cli, QueryArgs, WaitArgs};
use super::session::{is_stale, json_line};
use super::{exit, read_input, save, table};
use crate::api::ErrorKind;
use crate::demo::Demo;
use crate::engine::{self, Backend, EngineConfig, Event};
use crate::ids;
use crate::secrets::{self, Keyring, Token};
use crate::task::TaskEntry;
use crate::text;
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

/// The backend, and the token it uses (to hide it where the server echoes it).
pub(super) fn backend(cli: &Cli) -> Result<(Backend, Option<Token>), u8> {
    if cli.demo {
        return Ok((Backend::Demo(Arc::new(Demo::new())), None));
    }
    let env = secrets::env_token();
    // The keyring is only opened when the environment gives no token: a script with
    // SEEDANCE_API_TOKEN set must work on a machine without a Secret Service.
    let keyring = if env.is_none() {
        match Keyring::platform() {
            Ok(k) => Some(k),
            Err(e) => {
                eprintln!("error: {e}");
                return Err(exit::TOKEN);
            }
        }
    } else {
        None
    };
    let token = match secrets::resolve(env.as_deref(), keyring.as_ref()) {
        Ok(Some((token, _))) => token,
        Ok(None) => {
            eprintln!(
                "error: no API token. Set SEEDANCE_API_TOKEN or run `seedance-tasks token set` \
                 (get a token at https://platform.acedata.cloud); or try `--demo`"
            );
            return Err(exit::TOKEN);
        }
        Err(e) => {
            eprintln!("error: {e}");
            return Err(exit::TOKEN);
        }
    };
    Backend::http(&cli.api_base, &token)
        .map(|backend| (backend, Some(token.clone())))
        .map_err(|e| {
            eprintln!("error: {e}");
            if e.kind == ErrorKind::Auth {
                exit::TOKEN
            } else {
                exit::USAGE
            }
        })
}

/// `get` (when `wait` is `None`) and `wait`.
pub(super) async fn run(cli: &Cli, args: &QueryArgs, wait: Option<&WaitArgs>) -> u8 {
    let text = match read_input(&args.ids) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read standard input: {e}");
            return exit::USAGE;
        }
    };
    let found = ids::extract(&text);
    for r in found.rejected.iter().take(20) {
        eprintln!("warning: ignored {:?}: {}", r.text, r.reason.describe());
    }
    if found.rejected.len() > 20 {
        eprintln!("warning: … and {} more ignored", found.rejected.len() - 20);
    }
    if found.ids.is_empty() {
        eprintln!(
            "error: no task id found in the input (task ids look like 9462ca25-468b-45a5-9e75-6f516dedcc80)"
        );
        return exit::USAGE;
    }
    if let Some(w) = wait
        && (!w.interval.is_finite() || w.interval < 2.0)
    {
        eprintln!("error: --interval must be at least 2 seconds");
        return exit::USAGE;
    }
    let (backend, token) = match backend(cli) {
        Ok(b) => b,
        Err(code) => return code,
    };
    follow(args, wait, found.ids, backend, token.as_ref()).await
}

/// Asks about `ids` (and with `wait`, until they finish), prints them as `get` / `wait`
/// do and returns the exit code. `create --wait` comes here with the ids it created.
pub(super) async fn follow(
    args: &QueryArgs,
    wait: Option<&WaitArgs>,
    ids: Vec<String>,
    backend: Backend,
    token: Option<&Token>,
) -> u8 {
    let token = token.map(Token::expose);
    let library = match save::open(&args.save) {
        Ok(library) => library,
        Err(code) => return code,
    };
    // Everything the server says goes through this before it reaches a terminal, and is
    // cut: stderr is a log as often as a terminal.
    let shown =
        |server_text: &dyn std::fmt::Display| text::for_stderr(&server_text.to_string(), token);

    let config = EngineConfig {
        batch_size: usize::from(args.batch_size),
        concurrency: usize::from(args.concurrency),
        retry_for: Duration::from_secs_f64(args.retry_for),
        watch_interval: wait.map_or(Duration::from_secs(5), |w| {
            Duration::from_secs_f64(w.interval)
        }),
        watch_timeout: wait
            .and_then(|w| w.timeout)
            .filter(|t| t.is_finite() && *t >= 0.0)
            .map(Duration::from_secs_f64),
        ..EngineConfig::default()
    };
    let total = ids.len();
    eprintln!(
        "asking about {total} task{}…",
        if total == 1 { "" } else { "s" }
    );
    let (handle, mut events) = engine::spawn(backend, config, None);
    handle.query(ids.clone(), wait.is_some());

    let mut tasks: HashMap<String, TaskEntry> = ids
        .iter()
        .map(|id| (id.clone(), TaskEntry::new(id.clone())))
        .collect();
    let mut answered = 0usize;
    let mut progress =
        super::progress::Progress::new(total, std::io::stderr().is_terminal(), wait.is_none());
    let mut halted = false;
    let deadline = wait
        .and_then(|w| w.timeout)
        .filter(|t| t.is_finite() && *t >= 0.0)
        // The engine expires watched tasks itself; this bounds a first answer that hangs.
        .map(|t| {
            tokio::time::Instant::now() + Duration::from_secs_f64(t) + Duration::from_secs(35)
        });

    while let Some(event) = recv_until(&mut events, deadline).await {
        match event {
            Event::Results(outcomes) => {
                for (id, outcome) in outcomes {
                    let Some(task) = tasks.get_mut(&id) else {
                        continue;
                    };
                    if task.awaiting {
                        answered += 1;
                    }
                    let first = task.awaiting;
                    let before = task.status.clone();
                    task.apply(outcome);
                    if wait.is_some() && !first && before != task.status {
                        eprintln!(
                            "{}: {} → {}",
                            shown(&id),
                            shown(&before),
                            shown(&task.status)
                        );
                    }
                }
                progress.update(answered);
            }
            Event::Retrying {
                ids,
                attempt,
                wait,
                error,
            } => {
                let what = error.waiting_reason();
                let error = shown(&error);
                eprintln!(
                    "{what} ({error}); retrying {ids} id{} in {:.1} s (attempt {attempt})",
                    if ids == 1 { "" } else { "s" },
                    wait.as_secs_f64()
                );
            }
            Event::Halted(error) => {
                eprintln!("error: {}\nhint: {}", shown(&error), error.hint());
                halted = true;
            }
            Event::WatchExpired(ids) => {
                for id in ids {
                    if let Some(t) = tasks.get_mut(&id) {
                        t.timed_out = true;
                    }
                }
            }
            Event::Activity(_) => {}
        }
        let done = tasks
            .values()
            .all(|t| !t.awaiting && (wait.is_none() || halted || t.timed_out || !still_watched(t)));
        if done {
            break;
        }
    }
    handle.send(engine::Command::Shutdown);

    let ordered: Vec<&TaskEntry> = ids.iter().filter_map(|id| tasks.get(id)).collect();
    let saved = match &library {
        Some(library) => Some(save::save_all(library, &ordered, token).await),
        None => None,
    };
    let mut out = std::io::stdout().lock();
    let written = if args.json {
        ordered.iter().try_for_each(|t| {
            let mut line = json_line(t);
            if let Some(saved) = &saved {
                save::add_to_json(&mut line, saved.get(&t.id));
            }
            if let Some(token) = token {
                // Per string, so that a token split by an escape is found too.
                text::redact_json(&mut line, token);
            }
            writeln!(out, "{line}")
        })
    } else {
        let cell = |t: &TaskEntry| saved.as_ref().and_then(|s| save::table_cell(s.get(&t.id)));
        out.write_all(table::render_with(&ordered, token, &cell).as_bytes())
    };
    if let Err(e) = written.and_then(|()| out.flush()) {
        // A closed pipe (`| head`) is the reader's choice, not our failure.
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write the output: {e}");
        }
    }
    let code = exit_code(&ordered, wait.is_some(), halted);
    saved.map_or(code, |saved| save::exit_code(code, &saved))
}

/// A task `wait` keeps waiting for: unfinished, or an error that the watch retries.
fn still_watched(t: &TaskEntry) -> bool {
    if t.timed_out {
        return false;
    }
    match &t.error {
        Some(e) => e.is_retryable(),
        None => t.status.is_unfinished() && !is_stale(t),
    }
}

async fn recv_until(
    events: &mut tokio::sync::mpsc::UnboundedReceiver<Event>,
    deadline: Option<tokio::time::Instant>,
) -> Option<Event> {
    match deadline {
        Some(d) => tokio::time::timeout_at(d, events.recv())
            .await
            .ok()
            .flatten(),
        None => events.recv().await,
    }
}

fn exit_code(tasks: &[&TaskEntry], waited: bool, halted: bool) -> u8 {
    if halted
        || tasks
            .iter()
            .any(|t| t.error.as_ref().is_some_and(|e| e.stops_everything()))
    {
        return exit::TOKEN;
    }
    if tasks.iter().any(|t| t.error.is_some() || t.awaiting) {
        return exit::NETWORK;
    }
    let problem = tasks
        .iter()
        .any(|t| t.status.is_failure() || (waited && (t.status.is_unfinished() || t.timed_out)));
    if problem {
        exit::TASK_PROBLEM
    } else {
        exit::OK
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ApiError;
    use crate::engine::Outcome;

    #[test]
    fn exit_codes_follow_the_readme() {
        let mut ok = TaskEntry::new("a");
        ok.awaiting = false;
        ok.status = crate::api::Status::Succeeded;
        let mut running = ok.clone();
        running.status = crate::api::Status::Running;
        let mut failed = ok.clone();
        failed.status = crate::api::Status::Failed;
        let mut errored = ok.clone();
        errored.apply(Outcome::Error(Arc::new(ApiError::new(
            ErrorKind::Network,
            "down",
        ))));
        assert_eq!(exit_code(&[&ok], false, false), exit::OK);
        assert_eq!(exit_code(&[&ok, &running], false, false), exit::OK);
        assert_eq!(exit_code(&[&ok, &running], true, false), exit::TASK_PROBLEM);
        assert_eq!(exit_code(&[&ok, &failed], false, false), exit::TASK_PROBLEM);
        assert_eq!(exit_code(&[&failed, &errored], false, false), exit::NETWORK);
        assert_eq!(exit_code(&[&ok], false, true), exit::TOKEN);
    }
}
