// Release builds on Windows open no console window for the GUI; see `attach_console`.
#![cfg_attr(all(windows, not(debug_assertions)), windows_subsystem = "windows")]

use clap::Parser;
use seedance_tasks::cli::{self, Cli, Cmd};
use seedance_tasks::{gui, ids, secrets};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("seedance-io")
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(cli::exit::NETWORK);
        }
    };
    // Entered for the whole run: poll-promise's `spawn_async` needs an entered runtime.
    let _guard = runtime.enter();
    match &cli.command {
        Some(Cmd::Gui { ids }) => open_window(&cli, ids),
        None => open_window(&cli, &[]),
        Some(command) => {
            attach_console();
            runtime.block_on(cli::run(&cli, command))
        }
    }
}

/// With the GUI subsystem Windows gives the process no console; a CLI subcommand started
/// from a terminal attaches to that terminal's console so stdout and stderr reach it.
#[cfg(windows)]
fn attach_console() {
    use windows_sys::Win32::System::Console::{ATTACH_PARENT_PROCESS, AttachConsole};
    // SAFETY: AttachConsole takes a plain integer and has no memory-safety preconditions;
    // failure (no parent console, e.g. started from Explorer) is harmless and ignored.
    #[allow(unsafe_code)]
    unsafe {
        AttachConsole(ATTACH_PARENT_PROCESS);
    }
}

#[cfg(not(windows))]
fn attach_console() {}

fn open_window(cli: &Cli, args: &[String]) -> ExitCode {
    let found = ids::extract(&args.join("\n"));
    for r in &found.rejected {
        eprintln!("warning: ignored {:?}: {}", r.text, r.reason.describe());
    }
    let mut options = gui::GuiOptions::new(cli.api_base.clone());
    options.demo = cli.demo;
    options.initial_ids = found.ids;
    options.env_token = secrets::env_token();
    match gui::run(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot open the window: {e}");
            eprintln!("hint: the command line works without a display: seedance-tasks get --help");
            ExitCode::from(cli::exit::USAGE)
        }
    }
}
