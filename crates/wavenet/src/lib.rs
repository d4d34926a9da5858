//! photophone's WaveNet engine: model, training and checkpoints for raw-audio models that
//! train in minutes on a CPU.
//!
//! - [`config`]: shapes and the `ibab`, `small` and `tiny` presets.
//! - [`model`]: parameters and the hand-written forward/backward passes.
//! - [`math`]: the GEMM wrapper and vectorisable `exp`/`tanh`/`sigmoid`.
//! - [`mulaw`]: 8-bit (or any) mu-law companding.

pub mod audio;
mod audio_guard;
pub mod checkpoint;
pub mod compare;
pub mod config;
pub mod features;
pub mod generate;
mod kernels;
pub mod math;
pub mod model;
pub mod mulaw;
pub mod session;
pub mod train;

pub use config::Config;
pub use model::{forward_backward, Conditioning, Model, PassStats, Workspace};
pub use train::{Adam, Dataset, StepMetrics, Trainer};
