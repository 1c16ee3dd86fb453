use super::batch::{self, Shared};
use super::door::Door;
use super::handle::{self, ListJob, TokenJob};
use super::listing::list_tasks;
use super::watch::WatchList;
use super::{Activity, Backend, Command, EngineConfig, EngineHandle, Event, Notify, Outcome};
use crate::api::{ApiError, ErrorKind};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// Starts the engine on the current tokio runtime. Events arrive on the returned receiver;
/// `notify` (if any) is called after each one.
pub fn spawn(
    backend: Backend,
    config: EngineConfig,
    notify: Option<Notify>,
) -> (EngineHandle, mpsc::UnboundedReceiver<Event>) {
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (event_tx, event_rx) = mpsc::unbounded_channel();
    let emit: Arc<dyn Fn(Event) + Send + Sync> = Arc::new(move |event| {
        // A closed receiver means nobody listens any more; the engine winds down on its own.
        let _ = event_tx.send(event);
        if let Some(n) = &notify {
            n();
        }
    });
    let config = config.sanitized();
    let runner = Runner {
        watch: WatchList::new(
            config.watch_interval,
            config.watch_interval_max,
            config.watch_timeout,
        ),
        shared: Arc::new(Shared {
            door: Arc::new(Door::new(backend, config.concurrency)),
            halt: Arc::new(Mutex::new(None)),
            emit: emit.clone(),
            config,
        }),
        side: JoinSet::new(),
        emit,
        wanted: HashSet::new(),
        in_flight: HashSet::new(),
        chunks: HashMap::new(),
        watching_enabled: true,
        halt_reported: false,
        last_activity: None,
    };
    tokio::spawn(runner.run(cmd_rx));
    (EngineHandle { commands: cmd_tx }, event_rx)
}

struct Runner {
    shared: Arc<Shared>,
    emit: Arc<dyn Fn(Event) + Send + Sync>,
    watch: WatchList,
    /// Ids whose unfinished state should be watched.
    wanted: HashSet<String>,
    in_flight: HashSet<String>,
    /// The ids of each running batch task, to answer them if the task dies.
    chunks: HashMap<tokio::task::Id, Vec<String>>,
    watching_enabled: bool,
    halt_reported: bool,
    last_activity: Option<Activity>,
    /// Listings and token checks under way: they end with the engine.
    side: JoinSet<()>,
}

type BatchResult = Vec<(String, Outcome)>;

impl Runner {
    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let mut batches: JoinSet<BatchResult> = JoinSet::new();
        loop {
            let wake = self.next_wake();
            tokio::select! {
                command = commands.recv() => match command {
                    None | Some(Command::Shutdown) => break,
                    Some(command) => self.handle(command, &mut batches),
                },
                Some(done) = batches.join_next_with_id(), if !batches.is_empty() => {
                    let outcomes = match done {
                        Ok((task, outcomes)) => {
                            self.chunks.remove(&task);
                            outcomes
                        }
                        Err(e) => self.died(&e),
                    };
                    self.finish_batch(outcomes);
                }
                () = sleep_until_opt(wake), if wake.is_some() => self.tick(&mut batches),
                // A side job's end needs nothing: it has answered on its reply channel.
                Some(_) = self.side.join_next(), if !self.side.is_empty() => {}
            }
            self.report_activity();
        }
        batches.abort_all();
        self.side.abort_all();
    }

    fn halted(&self) -> Option<Arc<ApiError>> {
        self.shared.halt.lock().ok().and_then(|h| h.clone())
    }

    fn clear_halt(&mut self) {
        if let Ok(mut h) = self.shared.halt.lock() {
            *h = None;
        }
        self.halt_reported = false;
    }

    fn watch_active(&self) -> bool {
        self.watching_enabled && self.halted().is_none()
    }

    /// A batch task that died (a bug, not the network) must still give its ids an
    /// outcome, or they would wait forever.
    fn died(&mut self, e: &tokio::task::JoinError) -> BatchResult {
        let ids = self.chunks.remove(&e.id()).unwrap_or_default();
        let error = Arc::new(ApiError::new(
            ErrorKind::Network,
            format!("internal error while asking: {e}"),
        ));
        ids.into_iter()
            .map(|id| (id, Outcome::Error(error.clone())))
            .collect()
    }

    fn next_wake(&self) -> Option<Instant> {
        let due = self.watch.next_due().filter(|_| self.watch_active());
        match (due, self.watch.next_expiry(&self.in_flight)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn handle(&mut self, command: Command, batches: &mut JoinSet<BatchResult>) {
        match command {
            Command::Query { ids, watch } => {
                // An explicit question is the user's cue that a stop may be over (token fixed,
                // balance topped up): try again rather than repeat the old error.
                self.clear_halt();
                let mut seen = HashSet::new();
                let ids: Vec<String> = ids
                    .into_iter()
                    .filter(|id| seen.insert(id.clone()))
                    .collect();
                for id in &ids {
                    if watch {
                        self.wanted.insert(id.clone());
                    } else {
                        self.wanted.remove(id);
                        self.watch.remove(id);
                    }
                }
                self.dispatch(ids, batches);
            }
            Command::Forget(ids) => {
                for id in ids {
                    self.wanted.remove(&id);
                    self.watch.remove(&id);
                }
            }
            Command::SetWatching(on) => self.watching_enabled = on,
            Command::SetBackend(backend) => {
                let shared = &self.shared;
                // The same API and token keep their door: the requests in flight, the 429
                // gate and the learned pace are theirs.
                let door = if backend.same_account(shared.door.backend()) {
                    shared.door.clone()
                } else {
                    Arc::new(Door::new(backend, shared.config.concurrency))
                };
                self.shared = Arc::new(Shared {
                    door,
                    config: shared.config.clone(),
                    halt: Arc::new(Mutex::new(None)),
                    emit: shared.emit.clone(),
                });
                self.halt_reported = false;
            }
            Command::List(job) => self.list(job),
            Command::Create(job) => {
                // Not a side job: the engine's end does not cut off a create that may be
                // on its way.
                tokio::spawn(job.run(self.shared.door.clone()));
            }
            Command::TestToken(job) => self.test_token(job),
            Command::Shutdown => {}
        }
    }

    fn list(&mut self, job: ListJob) {
        let door = self.shared.door.clone();
        let config = self.shared.config.clone();
        self.side.spawn(async move {
            let ListJob {
                request,
                on_event,
                cancel,
                reply,
            } = job;
            let result = list_tasks(door, &config, &request, on_event, &cancel).await;
            let _ = reply.send(result);
        });
    }

    /// The token in use goes through the engine's door; another one through a door of
    /// its own, since its limits are its own.
    fn test_token(&mut self, job: TokenJob) {
        let TokenJob { backend, reply } = job;
        let door = if backend.same_account(self.shared.door.backend()) {
            self.shared.door.clone()
        } else {
            Arc::new(Door::new(backend, 1))
        };
        self.side.spawn(async move {
            let _ = reply.send(handle::check(&door).await);
        });
    }

    /// Splits ids into batches and starts them; ids already being asked about are skipped
    /// (their answer is on its way).
    fn dispatch(&mut self, ids: Vec<String>, batches: &mut JoinSet<BatchResult>) {
        let fresh: Vec<String> = ids
            .into_iter()
            .filter(|id| !self.in_flight.contains(id))
            .collect();
        for chunk in fresh.chunks(self.shared.config.batch_size) {
            self.in_flight.extend(chunk.iter().cloned());
            let shared = self.shared.clone();
            let ids = chunk.to_vec();
            let task = batches.spawn(async move { batch::run(&shared, ids).await });
            self.chunks.insert(task.id(), chunk.to_vec());
        }
    }

    fn finish_batch(&mut self, outcomes: BatchResult) {
        let now = Instant::now();
        for (id, outcome) in &outcomes {
            self.in_flight.remove(id);
            if !self.wanted.contains(id) {
                self.watch.remove(id);
                continue;
            }
            match outcome {
                // Unfinished and not stale (72 h after creation, or after it was first
                // watched when its creation time is unknown, a task is no longer asked).
                Outcome::Found(record) if self.watch.keeps_asking(id, record, now) => {
                    self.watch.schedule(id, now);
                }
                // An auth stop pauses the whole watch; the task waits on the list for a
                // new token at its normal pace.
                Outcome::Error(e) if e.stops_everything() => self.watch.schedule(id, now),
                // Any other failed question (an outage, a wrong answer from a proxy) is
                // asked again later, less and less often, without anyone pressing Retry.
                Outcome::Error(_) => self.watch.schedule_after_error(id, now),
                Outcome::Found(_) | Outcome::NotFound => {
                    self.watch.remove(id);
                    self.wanted.remove(id);
                }
            }
        }
        // Halted goes first: a listener that stops once every id is answered still hears it.
        if let Some(error) = self.halted()
            && !self.halt_reported
        {
            self.halt_reported = true;
            (self.emit)(Event::Halted(error));
        }
        (self.emit)(Event::Results(outcomes));
    }

    fn tick(&mut self, batches: &mut JoinSet<BatchResult>) {
        let now = Instant::now();
        let expired = self.watch.take_expired(now, &self.in_flight);
        if !expired.is_empty() {
            for id in &expired {
                self.wanted.remove(id);
            }
            (self.emit)(Event::WatchExpired(expired));
        }
        if self.watch_active() {
            let due = self.watch.take_due(now);
            if !due.is_empty() {
                self.dispatch(due, batches);
            }
        }
    }

    fn report_activity(&mut self) {
        let activity = Activity {
            in_flight: self.in_flight.len(),
            watching: self.watch.len(),
            watch_active: self.watch_active(),
        };
        if self.last_activity != Some(activity) {
            self.last_activity = Some(activity);
            (self.emit)(Event::Activity(activity));
        }
    }
}

async fn sleep_until_opt(when: Option<Instant>) {
    match when {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}
