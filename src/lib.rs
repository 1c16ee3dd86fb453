//! seedance-tasks: follow SeeDance video generation tasks on AceDataCloud.
//!
//! The flow is one way: pasted text (or the account's listing) → [`ids`] → a command to the
//! [`engine`] (which decides when and how often the [`api`] is asked about tasks) →
//! events → the task book → the grid or the CLI's table. Creating generations goes
//! through [`generate`], which sends each request at most once it may have arrived.

pub mod api;
pub mod book;
pub mod cli;
pub mod demo;
pub mod download;
pub mod engine;
pub mod export;
pub mod generate;
pub mod gui;
pub mod ids;
pub mod links;
pub mod media;
pub mod preview;
pub mod secrets;
pub mod store;
pub mod task;
pub mod text;
