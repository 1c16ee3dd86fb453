//! The command line: the same engine as the window, with a terminal front end.
//! Data goes to stdout; progress, warnings and errors to stderr.

mod args;
mod continue_task;
mod create;
mod input;
mod list;
mod progress;
mod query;
mod save;
mod save_args;
mod session;
mod table;
mod token;

pub use args::{Cli, Cmd, QueryArgs, TokenCmd};
pub use input::read_input;

use std::process::ExitCode;

/// Exit codes, as documented in README.md.
pub mod exit {
    pub const OK: u8 = 0;
    pub const TASK_PROBLEM: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const TOKEN: u8 = 3;
    pub const NETWORK: u8 = 4;
    /// Every task was answered, but a `--save` failed.
    pub const SAVE: u8 = 5;
}

/// Runs a CLI subcommand (not the window). Must be called inside a tokio runtime.
pub async fn run(cli: &Cli, command: &Cmd) -> ExitCode {
    let code = match command {
        Cmd::Get(args) => query::run(cli, args, None).await,
        Cmd::Wait(args) => query::run(cli, &args.query, Some(args)).await,
        Cmd::List(args) => list::run(cli, args).await,
        Cmd::Create(args) => create::run(cli, args).await,
        Cmd::Token { action } => token::run(action).await,
        Cmd::Gui { .. } => exit::USAGE,
    };
    ExitCode::from(code)
}
