use crate::api::DEFAULT_API_BASE;
use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "seedance-tasks",
    version,
    about = "Follow SeeDance video generation tasks on AceDataCloud.",
    long_about = "Follow SeeDance video generation tasks on AceDataCloud.\n\n\
        Without a subcommand, opens the window. The API token is read from \
        SEEDANCE_API_TOKEN or the system keyring (`seedance-tasks token set`)."
)]
pub struct Cli {
    /// API base URL.
    #[arg(long, global = true, env = "SEEDANCE_API_BASE", default_value = DEFAULT_API_BASE)]
    pub api_base: String,

    /// Use the built-in demo tasks instead of the API (no network, no token).
    #[arg(long, global = true)]
    pub demo: bool,

    #[command(subcommand)]
    pub command: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Ask once about task ids and print their state.
    Get(QueryArgs),
    /// Ask until every task has finished (or the timeout passes), then print their state.
    Wait(WaitArgs),
    /// List the account's tasks by creation time, newest first, without ids (undocumented
    /// for SeeDance: says so when the API does not list).
    List(super::list_args::ListArgs),
    /// Start video generations (spends balance) and print the new task ids.
    Create(Box<super::create::CreateArgs>),
    /// Manage the API token in the system keyring.
    Token {
        #[command(subcommand)]
        action: TokenCmd,
    },
    /// Open the window with these ids loaded and queried.
    Gui {
        /// Task ids, or any text containing them.
        ids: Vec<String>,
    },
}

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
    pub save: super::save_args::SaveArgs,
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

fn seconds(text: &str, min: f64, max: f64) -> Result<f64, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if value.is_finite() && (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(format!("must be between {min} and {max} seconds"))
    }
}

pub(super) fn interval_seconds(text: &str) -> Result<f64, String> {
    seconds(text, 2.0, 86_400.0)
}

fn retry_seconds(text: &str) -> Result<f64, String> {
    seconds(text, 0.0, 3600.0)
}

pub(super) fn timeout_seconds(text: &str) -> Result<f64, String> {
    seconds(text, 0.0, 30.0 * 86_400.0)
}

#[derive(Debug, Subcommand)]
pub enum TokenCmd {
    /// Save a token in the system keyring (read from standard input or a hidden prompt).
    Set,
    /// Remove the token from the system keyring.
    Clear,
    /// Tell where the token comes from.
    Status,
}
