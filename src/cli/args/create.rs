//! The arguments of `create`.

use super::seconds::{interval_seconds, timeout_seconds};
use crate::generate::{RATIOS, RESOLUTIONS, Role};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The model (one of the documented ones, or any other name the API knows); with
    /// --continue, the task's model when not given.
    #[arg(long, required_unless_present = "continue_from")]
    pub model: Option<String>,

    /// Continue this finished task from its last frame: its model and options (those given
    /// here replace them), the frame as the one image (first_frame), return_last_frame on.
    #[arg(
        long = "continue",
        value_name = "TASK_ID",
        conflicts_with_all = ["prompts_file", "images", "roles"]
    )]
    pub continue_from: Option<String>,

    /// The prompt (up to 1 000 characters).
    #[arg(
        long,
        required_unless_present = "prompts_file",
        conflicts_with = "prompts_file"
    )]
    pub prompt: Option<String>,

    /// One generation per non-empty line of this file; a `.csv` file is a sheet with a
    /// `prompt` column (and optional model, image, role, resolution, ratio, duration, seed,
    /// generate_audio, camerafixed, watermark, return_last_frame columns).
    #[arg(long, value_name = "FILE")]
    pub prompts_file: Option<PathBuf>,

    /// A PNG, JPEG or WebP file (up to 10 MB, sent inline) or an http(s) link. Repeatable.
    #[arg(long = "image", value_name = "PATH_OR_URL")]
    pub images: Vec<String>,

    /// The role of the image given at the same position; without one the first image is
    /// first_frame, the second last_frame, any more reference_image.
    #[arg(long = "role", value_parser = parse_role)]
    pub roles: Vec<Role>,

    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(RESOLUTIONS))]
    pub resolution: Option<String>,

    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(RATIOS))]
    pub ratio: Option<String>,

    /// Seconds of video, 1 to 30, or -1 to let the model choose.
    #[arg(long, allow_negative_numbers = true,
          value_parser = clap::value_parser!(i32).range(-1..=30))]
    pub duration: Option<i32>,

    #[arg(long, allow_negative_numbers = true)]
    pub seed: Option<i64>,

    /// Generate a sound track.
    #[arg(long)]
    pub audio: bool,

    /// Keep the camera still.
    #[arg(long)]
    pub camera_fixed: bool,

    #[arg(long)]
    pub watermark: bool,

    /// Also return the video's last frame as an image.
    #[arg(long)]
    pub return_last_frame: bool,

    /// Then wait until the created tasks finish and print their state like `wait`.
    #[arg(long)]
    pub wait: bool,

    /// With --wait: give up after this many seconds.
    #[arg(long, requires = "wait", value_parser = timeout_seconds)]
    pub timeout: Option<f64>,

    /// With --wait: seconds between questions (2 to 86400).
    #[arg(long, requires = "wait", default_value_t = 5.0, value_parser = interval_seconds)]
    pub interval: f64,

    /// Print JSON Lines: {"id", "trace_id", "prompt", "model"} per created task.
    #[arg(long)]
    pub json: bool,

    /// Print each request body as JSON and send nothing (no token needed).
    #[arg(long)]
    pub dry_run: bool,

    /// With --wait.
    #[command(flatten)]
    pub save: crate::cli::save_args::SaveArgs,
}

/// A `--role` that is none of the three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("use first_frame, last_frame or reference_image")]
pub struct UnknownRole;

fn parse_role(text: &str) -> Result<Role, UnknownRole> {
    Role::parse(text).ok_or(UnknownRole)
}
