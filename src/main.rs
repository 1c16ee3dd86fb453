use clap::Parser;
use seedance_tasks::cli::{self, Cli};
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
        Some(command) if !matches!(command, cli::Cmd::Gui { .. }) => {
            runtime.block_on(cli::run(&cli, command))
        }
        _ => {
            eprintln!("the window is not built yet; see --help");
            ExitCode::from(cli::exit::USAGE)
        }
    }
}
