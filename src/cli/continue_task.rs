//! `create --continue <TASK_ID>`: the request that continues a finished task from its last
//! frame. The task is asked for through an engine (as `get` does); its frame is the API's
//! last-frame image where there is one, else the real last frame decoded from its video,
//! each taken from the library where it is saved there (the folder `--save` uses) and
//! from its link otherwise ([`frame_source`]). Without a frame nothing is created: the command says why and exits with an error, since
//! a paid generation without its start image is not what was asked for.

use super::args::{Cli, CreateArgs};
use super::{exit, query};
use crate::api::{Status, TaskRecord};
use crate::engine::{self, EngineConfig, Event, Outcome};
use crate::generate::GenerationRequest;
use crate::generate::frame_source::{self, Source};
use crate::library::{Library, SaveRequest, SavedTask};
use crate::preview::Fetcher;
use crate::text;
use std::sync::Arc;

/// The continuation of task `given` with the options given on the command line put over
/// the task's own, or the exit code after saying on stderr why there is none.
pub(super) async fn request(
    cli: &Cli,
    args: &CreateArgs,
    given: &str,
) -> Result<GenerationRequest, u8> {
    let found = crate::ids::extract(given);
    let Some(id) = found.ids.first().cloned() else {
        eprintln!(
            "error: --continue {given:?} is not a task id (task ids look like 9462ca25-468b-45a5-9e75-6f516dedcc80)"
        );
        return Err(exit::USAGE);
    };
    let record = fetch(cli, &id).await?;
    if record.status != Status::Succeeded {
        eprintln!(
            "error: task {id} is {}; only a finished video can be continued",
            record.status
        );
        return Err(exit::TASK_PROBLEM);
    }
    eprintln!("getting the last frame of task {id}…");
    // The demo's links lead nowhere; its bundled clip stands in for every video.
    let sources = if cli.demo {
        vec![Source::Bundled(crate::demo::SAMPLE_CLIP)]
    } else {
        let saved = saved(args, &record).await;
        frame_source::sources(&record, saved.as_ref())
    };
    let continuation = frame_source::continuation(record, sources, &Fetcher::new()).await;
    for skipped in &continuation.skipped {
        eprintln!("note: {}", text::clean_for_terminal(skipped));
    }
    if let Some(notice) = continuation.notice {
        eprintln!("error: {}", text::clean_for_terminal(&notice));
        eprintln!("nothing was sent");
        return Err(exit::TASK_PROBLEM);
    }
    let mut request = continuation.request;
    overlay(args, &mut request);
    Ok(request)
}

/// The options given on the command line replace the task's; flags only when set (a flag
/// not given cannot say "off"). The frame stays the only image, and `return_last_frame`
/// stays on so that the new task can be continued in turn.
fn overlay(args: &CreateArgs, request: &mut GenerationRequest) {
    if let Some(model) = &args.model {
        request.model.clone_from(model);
    }
    if let Some(prompt) = &args.prompt {
        request.prompt.clone_from(prompt);
    }
    let o = &mut request.options;
    if args.resolution.is_some() {
        o.resolution.clone_from(&args.resolution);
    }
    if args.ratio.is_some() {
        o.ratio.clone_from(&args.ratio);
    }
    if args.duration.is_some() {
        o.duration = args.duration;
    }
    if args.seed.is_some() {
        o.seed = args.seed;
    }
    o.generate_audio |= args.audio;
    o.camera_fixed |= args.camera_fixed;
    o.watermark |= args.watermark;
}

/// The task's record, asked for through an engine of its own.
async fn fetch(cli: &Cli, id: &str) -> Result<Arc<TaskRecord>, u8> {
    let (backend, token) = query::backend(cli)?;
    let secret = token.as_ref().map(|t| t.expose());
    let shown = |s: &dyn std::fmt::Display| text::for_terminal(&s.to_string(), secret);
    let (handle, mut events) = engine::spawn(backend, EngineConfig::default(), None);
    handle.query(vec![id.to_owned()], false);
    let mut answer = Err(exit::NETWORK);
    while let Some(event) = events.recv().await {
        match event {
            Event::Results(outcomes) => {
                let Some((_, outcome)) = outcomes.into_iter().find(|(i, _)| i == id) else {
                    continue;
                };
                answer = match outcome {
                    Outcome::Found(record) => Ok(record),
                    Outcome::NotFound => {
                        eprintln!("error: task {id} was not found");
                        Err(exit::TASK_PROBLEM)
                    }
                    Outcome::Error(e) => {
                        eprintln!("error: cannot ask about task {id}: {}", shown(&e));
                        Err(if e.stops_everything() {
                            exit::TOKEN
                        } else {
                            exit::NETWORK
                        })
                    }
                };
                break;
            }
            Event::Retrying { wait, error, .. } => eprintln!(
                "{} ({}); retrying in {:.1} s",
                error.waiting_reason(),
                shown(&error),
                wait.as_secs_f64()
            ),
            Event::Halted(error) => {
                eprintln!("error: {}\nhint: {}", shown(&error), error.hint());
                answer = Err(exit::TOKEN);
                break;
            }
            Event::WatchExpired(_) | Event::Activity(_) => {}
        }
    }
    handle.send(engine::Command::Shutdown);
    answer
}

/// What the library holds of the task: the folder `--save` would use (`--library`, given
/// with `--save`, else `$SEEDANCE_LIBRARY_DIR`, else the Videos folder plus SeeDance),
/// looked up by the task's sidecar. Nothing is written.
async fn saved(args: &CreateArgs, record: &TaskRecord) -> Option<SavedTask> {
    let root = args
        .save
        .library
        .clone()
        .or_else(crate::library::default_root)?;
    Library::open(root)
        .find(&SaveRequest::from_record(record))
        .await
}
