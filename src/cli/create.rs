//! `create`: start generations (spends the balance), print their ids, and with `--wait`
//! follow them like `wait` does.

use super::args::{Cli, CreateArgs, QueryArgs, WaitArgs};
use super::{exit, query};
use crate::api::CreateFailure;
use crate::engine::{self, CreatePolicy, EngineConfig};
use crate::generate::sheet::{self, SheetRow};
use crate::generate::{
    BatchEvent, GenerationOptions, GenerationRequest, ImageInput, Maker, Role, RowOutcome,
};
use crate::text;
use std::io::Write;

impl CreateArgs {
    /// The request every prompt shares, or why the arguments do not fit together.
    fn template(&self) -> Result<GenerationRequest, ArgsError> {
        if self.roles.len() > self.images.len() {
            return Err(ArgsError::RolesWithoutImages {
                roles: self.roles.len(),
                images: self.images.len(),
            });
        }
        let images = self
            .images
            .iter()
            .enumerate()
            .map(|(i, source)| ImageInput {
                source: source.clone(),
                role: self
                    .roles
                    .get(i)
                    .copied()
                    .unwrap_or_else(|| Role::default_for(i)),
            })
            .collect();
        Ok(GenerationRequest {
            model: self.model.clone().unwrap_or_default(),
            prompt: String::new(),
            images,
            options: GenerationOptions {
                resolution: self.resolution.clone(),
                ratio: self.ratio.clone(),
                duration: self.duration,
                seed: self.seed,
                camera_fixed: self.camera_fixed,
                watermark: self.watermark,
                generate_audio: self.audio,
                return_last_frame: self.return_last_frame,
                callback_url: None,
            },
        })
    }

    fn rows(&self, template: &GenerationRequest) -> Result<Vec<SheetRow>, ArgsError> {
        let Some(path) = &self.prompts_file else {
            let request = GenerationRequest {
                prompt: self.prompt.clone().unwrap_or_default(),
                ..template.clone()
            };
            let problems = request.validate();
            return Ok(vec![SheetRow {
                line: 1,
                request,
                problems,
            }]);
        };
        let bytes = std::fs::read(path).map_err(|source| ArgsError::Read {
            path: path.clone(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|_| ArgsError::NotText(path.clone()))?;
        let is_csv = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        let rows = if is_csv {
            sheet::parse_csv(&text, template)?
        } else {
            sheet::parse_lines(&text, template)
        };
        if rows.is_empty() {
            return Err(ArgsError::NoPrompt(path.clone()));
        }
        Ok(rows)
    }
}

/// Why `create`'s arguments give no generations to start (a usage error).
#[derive(Debug, thiserror::Error)]
enum ArgsError {
    #[error(
        "{roles} --role given for {images} --image; each --role goes with the --image at its position"
    )]
    RolesWithoutImages { roles: usize, images: usize },
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not UTF-8 text", .0.display())]
    NotText(std::path::PathBuf),
    #[error(transparent)]
    Sheet(#[from] sheet::SheetError),
    #[error("{} holds no prompt", .0.display())]
    NoPrompt(std::path::PathBuf),
}

pub(super) async fn run(cli: &Cli, args: &CreateArgs) -> u8 {
    if args.save.save && !args.wait {
        eprintln!("error: --save needs --wait (a task is saved once it has finished)");
        return exit::USAGE;
    }
    let template = match &args.continue_from {
        Some(id) => match super::continue_task::request(cli, args, id).await {
            Ok(request) => Ok(request),
            Err(code) => return code,
        },
        None => args.template(),
    };
    let rows = match template.and_then(|t| args.rows(&t)) {
        Ok(rows) => rows,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    // Every row is checked, images read included, before anything is sent: a typo on the
    // tenth line must not leave nine paid generations and a half-done list.
    let mut bodies = Vec::with_capacity(rows.len());
    let mut bad = false;
    for row in &rows {
        let problems = match row.request.prepare() {
            Ok(prepared) => {
                bodies.push(prepared.body);
                continue;
            }
            Err(problems) => problems,
        };
        bad = true;
        for p in problems {
            eprintln!(
                "error: line {}: {}",
                row.line,
                text::clean_for_terminal(&p.message)
            );
        }
    }
    if bad {
        eprintln!("nothing was sent");
        return exit::USAGE;
    }
    if args.dry_run {
        let mut out = std::io::stdout().lock();
        for body in bodies {
            if writeln!(out, "{body}").is_err() {
                break;
            }
        }
        return exit::OK;
    }
    drop(bodies);

    let (backend, token) = match query::backend(cli) {
        Ok(b) => b,
        Err(code) => return code,
    };
    // The creates' own engine; `--wait` below asks through one of its own, after this one
    // has stopped.
    let (handle, _events) = engine::spawn(backend.clone(), EngineConfig::default(), None);
    let maker = Maker {
        engine: handle.clone(),
        token: token.clone(),
    };
    let secret = token.as_ref().map(|t| t.expose());
    let shown = |s: &str| text::for_terminal(s, secret);
    let total = rows.len();
    eprintln!(
        "creating {total} generation{} (this spends balance)…",
        if total == 1 { "" } else { "s" }
    );
    let requests = rows.iter().map(|r| r.request.clone()).collect();
    let mut events = crate::generate::spawn_batch(maker, requests, CreatePolicy::default());
    let mut outcomes: Vec<Option<RowOutcome>> = vec![None; total];
    let mut printed = 0;
    let mut out = std::io::stdout().lock();
    while let Some(event) = events.recv().await {
        match event {
            BatchEvent::Retrying {
                row, wait, error, ..
            } => eprintln!(
                "line {}: {} ; trying again in {:.1} s",
                rows[row].line,
                shown(&error.to_string()),
                wait.as_secs_f64()
            ),
            BatchEvent::Finished { row, outcome } => {
                report(rows[row].line, &outcome, &shown);
                outcomes[row] = Some(outcome);
                // Created ids in the order of the input, each as soon as its turn comes.
                while let Some(Some(o)) = outcomes.get(printed) {
                    if let RowOutcome::Created(c) = o {
                        // JSON escapes control characters itself; only the token goes.
                        let line = if args.json {
                            let mut line = serde_json::json!({"id": c.id, "trace_id": c.trace_id,
                                "prompt": c.prompt, "model": c.model});
                            // Per string, so that a token split by an escape is found too.
                            if let Some(t) = secret {
                                text::redact_json(&mut line, t);
                            }
                            line.to_string()
                        } else {
                            format!("{}\t{}", shown(&c.id), shown(&c.prompt))
                        };
                        let _ = writeln!(out, "{line}");
                    }
                    printed += 1;
                }
                let _ = out.flush();
            }
            BatchEvent::Started { .. } => {}
            BatchEvent::Done => break,
        }
    }
    drop(out);
    handle.send(engine::Command::Shutdown);
    let outcomes: Vec<RowOutcome> = outcomes.into_iter().flatten().collect();
    let code = exit_code(&outcomes);
    let ids: Vec<String> = outcomes
        .iter()
        .filter_map(|o| match o {
            RowOutcome::Created(c) => Some(c.id.clone()),
            _ => None,
        })
        .collect();
    if !args.wait || ids.is_empty() || code == exit::TOKEN {
        return code;
    }
    let wait = WaitArgs {
        query: QueryArgs {
            ids: Vec::new(),
            json: args.json,
            batch_size: 50,
            concurrency: 4,
            retry_for: 60.0,
            save: args.save.clone(),
        },
        interval: args.interval,
        timeout: args.timeout,
    };
    let waited = query::follow(&wait.query, Some(&wait), ids, backend, token.as_ref()).await;
    worst(code, waited)
}

fn report(line: usize, outcome: &RowOutcome, shown: &dyn Fn(&str) -> String) {
    match outcome {
        RowOutcome::Created(_) => {}
        RowOutcome::Invalid(problems) => {
            for p in problems {
                eprintln!("error: line {line}: {}", shown(&p.message));
            }
        }
        RowOutcome::Skipped(why) => eprintln!("error: line {line}: {why}"),
        RowOutcome::Failed { failure, prompt } => {
            let error = shown(&failure.error().to_string());
            let prompt = shown(prompt);
            match failure {
                CreateFailure::Refused(e) => {
                    eprintln!("error: line {line}: the API refused {prompt:?}: {error}");
                    if !e.hint().is_empty() {
                        eprintln!("hint: {}", e.hint());
                    }
                }
                CreateFailure::NotSent(_) => {
                    eprintln!(
                        "error: line {line}: not sent, nothing was created ({prompt:?}): {error}"
                    );
                }
                CreateFailure::Uncertain(_) => eprintln!(
                    "error: line {line}: may have been created — check your tasks before \
                     sending it again ({prompt:?}): {error}"
                ),
            }
        }
    }
}

/// 3 for a token or balance refusal, 4 for a network or server trouble (a generation that
/// may have been created included), 1 for a generation the API refused, 0 otherwise.
fn exit_code(outcomes: &[RowOutcome]) -> u8 {
    let any = |f: &dyn Fn(&RowOutcome) -> bool| outcomes.iter().any(f);
    if any(&|o| o.stops_everything() || matches!(o, RowOutcome::Skipped(_))) {
        exit::TOKEN
    } else if any(&|o| {
        matches!(
            o,
            RowOutcome::Failed {
                failure: CreateFailure::NotSent(_) | CreateFailure::Uncertain(_),
                ..
            }
        )
    }) {
        exit::NETWORK
    } else if any(&|o| !matches!(o, RowOutcome::Created(_))) {
        exit::TASK_PROBLEM
    } else {
        exit::OK
    }
}

fn worst(a: u8, b: u8) -> u8 {
    let rank = |c: u8| match c {
        exit::TOKEN => 5,
        exit::NETWORK => 4,
        exit::USAGE => 3,
        exit::SAVE => 2,
        exit::TASK_PROBLEM => 1,
        _ => 0,
    };
    if rank(a) >= rank(b) { a } else { b }
}

#[cfg(test)]
mod tests {
    use super::ArgsError;
    use std::path::PathBuf;

    #[test]
    fn argument_errors_read_as_before() {
        let roles = ArgsError::RolesWithoutImages {
            roles: 2,
            images: 1,
        };
        assert_eq!(
            roles.to_string(),
            "2 --role given for 1 --image; each --role goes with the --image at its position"
        );
        let path = PathBuf::from("/p/prompts.txt");
        assert_eq!(
            ArgsError::NotText(path.clone()).to_string(),
            "/p/prompts.txt is not UTF-8 text"
        );
        assert_eq!(
            ArgsError::NoPrompt(path.clone()).to_string(),
            "/p/prompts.txt holds no prompt"
        );
        let read = ArgsError::Read {
            path,
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "gone"),
        };
        assert_eq!(read.to_string(), "cannot read /p/prompts.txt: gone");
    }
}
