//! seedance-tasks: follow SeeDance video generation tasks on AceDataCloud.
//!
//! The flow is one way: pasted text → [`ids`] → a command to the [`engine`] (which alone
//! calls the [`api`]) → events → the task book → the grid or the CLI's table.

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
pub mod preview;
pub mod secrets;
pub mod store;
pub mod task;
pub mod text;
