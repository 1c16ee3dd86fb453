//! `list`: the account's tasks by creation time, without ids, and `--follow`.

use super::args::{DEFAULT_SINCE_SECONDS, ListArgs};
use super::query::backend;
use super::session::json_line;
use super::{Cli, exit, table};
use crate::api::{ListScope, TaskRecord, format_rfc3339};
use crate::engine::{self, EngineConfig, Follower, ListCancel, ListError, ListEvent, ListRequest};
use crate::task::{TaskEntry, unix_now};
use crate::text;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

pub(super) async fn run(cli: &Cli, args: &ListArgs) -> u8 {
    let start = unix_now();
    let (from, to) = match (args.from, args.to) {
        (Some(from), to) => (from, to),
        (None, _) => (start - args.since.unwrap_or(DEFAULT_SINCE_SECONDS), None),
    };
    if to.is_some_and(|to| to < from) {
        eprintln!("error: --to is before --from");
        return exit::USAGE;
    }
    let floor = engine::min_follow_interval();
    let interval = Duration::from_secs_f64(args.interval);
    if args.follow && interval < floor {
        eprintln!(
            "error: --interval must be at least {} seconds",
            floor.as_secs_f64()
        );
        return exit::USAGE;
    }
    let (backend, token) = match backend(cli) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let token = token.as_ref().map(|t| t.expose().to_owned());
    let printer = Printer {
        json: args.json,
        token: token.clone(),
        library: match super::save::open(&args.save) {
            Ok(library) => library,
            Err(code) => return code,
        },
        save_failed: std::sync::atomic::AtomicBool::new(false),
    };
    // One engine for the listing and the follow after it: one door, one rate limit.
    let (handle, _events) = engine::spawn(backend, EngineConfig::default(), None);
    let request = ListRequest {
        created_from: from,
        created_to: to,
        limit: args.limit.map(|n| n as usize),
        ..ListRequest::new(from)
    };
    eprintln!(
        "listing tasks created from {} to {}…",
        format_rfc3339(from).unwrap_or_default(),
        to.and_then(format_rfc3339).unwrap_or_else(|| "now".into())
    );
    let events = stderr_events(token.clone(), std::io::stderr().is_terminal());
    let listing = match handle
        .list(request, events.clone(), ListCancel::default())
        .await
    {
        Ok(listing) => listing,
        Err(e) => return report(&e, token.as_deref()),
    };
    let n = listing.tasks.len();
    eprintln!("{n} task{}", if n == 1 { "" } else { "s" });
    let bad = listing.unreadable.len();
    if bad > 0 {
        eprintln!(
            "{} could not be read (shown as errors)",
            text::count(bad, "listed record", "listed records")
        );
    }
    warn_odd_items(listing.nameless, listing.beyond_limit);
    printer
        .all_with_errors(&listing.tasks, &listing.unreadable, true)
        .await;
    if !args.follow {
        return printer.code();
    }

    let stop = ListCancel::default();
    let on_signal = stop.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.cancel();
        }
    });
    let mut follower = Follower::new(start, ListScope::default(), &listing.tasks);
    // Printed above already: a follow question reaches back over them.
    follower.take_new_unreadable(listing.unreadable);
    eprintln!(
        "following new tasks every {} s (Ctrl+C to stop)…",
        interval.as_secs_f64()
    );
    loop {
        tokio::select! {
            () = stop.cancelled() => return printer.code(),
            () = tokio::time::sleep(interval) => {}
        }
        match handle
            .follow(&mut follower, events.clone(), stop.clone())
            .await
        {
            Ok(new) => {
                warn_odd_items(new.nameless, new.beyond_limit);
                printer
                    .all_with_errors(&new.tasks, &new.unreadable, false)
                    .await
            }
            Err(ListError::Cancelled) => return printer.code(),
            Err(e @ ListError::Unsupported { .. }) => return report(&e, token.as_deref()),
            Err(e) if e.is_token_problem() => return report(&e, token.as_deref()),
            // A passing outage: the next question covers the same range again.
            Err(e) => eprintln!(
                "warning: {}; asking again in {} s",
                text::for_stderr(&e.to_string(), token.as_deref()),
                interval.as_secs_f64()
            ),
        }
    }
}

/// What a listing sent besides tasks, on stderr (`engine::left_out`).
fn warn_odd_items(nameless: usize, beyond_limit: usize) {
    for said in engine::left_out(nameless, beyond_limit) {
        eprintln!("warning: {said}");
    }
}

/// Progress ("listed 312 of 1 204") on a terminal, and every retry, on stderr.
fn stderr_events(token: Option<String>, progress: bool) -> Arc<dyn Fn(ListEvent) + Send + Sync> {
    Arc::new(move |event| match event {
        ListEvent::Progress(p) if progress => eprint!("\rlisted {p}   "),
        ListEvent::Progress(_) => {}
        ListEvent::Retrying {
            attempt,
            wait,
            error,
        } => {
            let what = error.waiting_reason();
            eprintln!(
                "{what} ({}); retrying a page in {:.1} s (attempt {attempt})",
                text::for_stderr(&error.to_string(), token.as_deref()),
                wait.as_secs_f64()
            );
        }
    })
}

/// The stderr line and exit code of a listing that did not work.
fn report(error: &ListError, token: Option<&str>) -> u8 {
    let shown = text::for_stderr(&error.to_string(), token);
    match error {
        ListError::Unsupported { .. } => {
            eprintln!("error: listing not supported: {shown}");
            exit::NETWORK
        }
        ListError::Api(e) if e.stops_everything() => {
            eprintln!("error: {shown}\nhint: {}", e.hint());
            exit::TOKEN
        }
        ListError::Api(e) => {
            eprintln!(
                "error: API error while listing: {shown}\nhint: {}",
                e.hint()
            );
            exit::NETWORK
        }
        ListError::Cancelled => exit::OK,
    }
}

/// Prints tasks the way `get` does: the same table, the same JSON Lines.
struct Printer {
    json: bool,
    token: Option<String>,
    /// With `--save`: printed tasks that succeeded are saved first.
    library: Option<crate::library::Library>,
    save_failed: std::sync::atomic::AtomicBool,
}

impl Printer {
    /// 0, or 5 once a save failed.
    fn code(&self) -> u8 {
        if self.save_failed.load(std::sync::atomic::Ordering::Relaxed) {
            exit::SAVE
        } else {
            exit::OK
        }
    }

    /// The records, then a row of `error` for each listed record that could not be read.
    async fn all_with_errors(
        &self,
        records: &[TaskRecord],
        errors: &[(String, Arc<crate::api::ApiError>)],
        with_header: bool,
    ) {
        let entries: Vec<TaskEntry> = records
            .iter()
            .cloned()
            .map(entry)
            .chain(errors.iter().map(|(id, e)| {
                let mut t = TaskEntry::new(id.clone());
                t.apply(engine::Outcome::Error(e.clone()));
                t
            }))
            .collect();
        let refs: Vec<&TaskEntry> = entries.iter().collect();
        let token = self.token.as_deref();
        let saved = match &self.library {
            Some(library) => Some(super::save::save_all(library, &refs, token).await),
            None => None,
        };
        if let Some(saved) = &saved
            && super::save::exit_code(exit::OK, saved) == exit::SAVE
        {
            self.save_failed
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
        let outcome = |t: &TaskEntry| saved.as_ref().and_then(|s| s.get(&t.id));
        let text = if self.json {
            refs.iter()
                .map(|t| {
                    let mut line = json_line(t);
                    if saved.is_some() {
                        super::save::add_to_json(&mut line, outcome(t));
                    }
                    if let Some(tk) = token {
                        // Per string, so that a token split by an escape is found too.
                        text::redact_json(&mut line, tk);
                    }
                    line.to_string() + "\n"
                })
                .collect::<String>()
        } else if refs.is_empty() {
            String::new()
        } else {
            let cell = |t: &TaskEntry| super::save::table_cell(outcome(t));
            let table = table::render_with(&refs, token, &cell);
            if with_header {
                table
            } else {
                // Rows that follow an earlier table: its header is already on screen.
                table
                    .split_once('\n')
                    .map(|(_, rows)| rows.to_owned())
                    .unwrap_or_default()
            }
        };
        let mut out = std::io::stdout().lock();
        if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush())
            && e.kind() != std::io::ErrorKind::BrokenPipe
        {
            eprintln!("error: cannot write the output: {e}");
        }
    }
}

fn entry(record: TaskRecord) -> TaskEntry {
    let mut e = TaskEntry::new(record.id.clone());
    e.apply(engine::Outcome::Found(Arc::new(record)));
    e
}
