//! Starting generations (`POST {base}/seedance/videos`), for the CLI's `create` and the
//! window's New generation panel: the request and its checks ([`GenerationRequest`]),
//! images as data URIs, a request rebuilt from a stored task ([`prefill`]) or continued
//! from its last frame ([`continue_from`], [`frame_source`]), lists of prompts and CSV
//! sheets ([`sheet`]), and sending them without ever sending one twice ([`submit`]).
//! Creating spends the account's balance.

pub mod continue_from;
pub mod frame_source;
pub mod image;
pub mod prefill;
mod request;
pub mod sheet;
pub mod submit;

pub use request::{
    AUTO_DURATION, Field, GenerationOptions, GenerationRequest, ImageInput, MAX_DURATION,
    MAX_PROMPT_CHARS, MODELS, Prepared, Problem, RATIOS, RESOLUTIONS, Role,
};
pub use submit::{BatchEvent, Created, MAX_IN_FLIGHT, Maker, RowOutcome, create_one, spawn_batch};
