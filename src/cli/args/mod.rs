//! The command line's arguments: one file per subcommand, the value parsers they share in
//! [`seconds`].

mod create;
mod list;
mod query;
mod seconds;

pub use create::CreateArgs;
pub use list::{DEFAULT_SINCE_SECONDS, ListArgs};
pub use query::{QueryArgs, WaitArgs};

use crate::api::DEFAULT_API_BASE;
use clap::{Parser, Subcommand};

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
    List(ListArgs),
    /// Start video generations (spends balance) and print the new task ids.
    Create(Box<CreateArgs>),
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

#[derive(Debug, Subcommand)]
pub enum TokenCmd {
    /// Save a token in the system keyring (read from standard input or a hidden prompt).
    Set,
    /// Remove the token from the system keyring.
    Clear,
    /// Tell where the token comes from.
    Status,
}
