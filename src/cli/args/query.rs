//! The arguments of `get` and `wait`.

use super::seconds::{interval_seconds, retry_seconds, timeout_seconds};
use clap::Args;

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// Task ids or any text containing them (a file's contents, JSON, console output).
    /// Reads standard input when none is given or for `-`.
    pub ids: Vec<String>,

    /// Print JSON Lines (one object per id, in input order) instead of a table.
    #[arg(long)]
    pub json: bool,

    /// Ids per batch request.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u16).range(1..=500))]
    pub batch_size: u16,

    /// Requests in flight at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=32))]
    pub concurrency: u16,

    /// Seconds a batch keeps retrying server errors, timeouts and dropped connections
    /// (0 to 3600; 0 = no retry). Waits the API asks for with a 429 do not count.
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0, value_parser = retry_seconds)]
    pub retry_for: f64,

    #[command(flatten)]
    pub save: crate::cli::save_args::SaveArgs,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    #[command(flatten)]
    pub query: QueryArgs,

    /// Seconds between questions about unfinished tasks (2 to 86400).
    #[arg(long, default_value_t = 5.0, value_parser = interval_seconds)]
    pub interval: f64,

    /// Give up after this many seconds (up to 30 days).
    #[arg(long, value_parser = timeout_seconds)]
    pub timeout: Option<f64>,
}
