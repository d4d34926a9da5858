//! photophone's WaveNet engine: model, training and checkpoints for raw-audio models that
//! train in minutes on a CPU.
//!
//! - [`config`]: shapes and the `ibab`, `small` and `tiny` presets.
//! - [`model`]: parameters and their layout.
//! - [`backprop`]: the hand-written forward/backward passes of training, over a [`Workspace`].
//! - [`math`]: the GEMM wrapper and vectorisable `exp`/`tanh`/`sigmoid`.
//! - [`mulaw`]: 8-bit (or any) mu-law companding.

pub mod audio;
mod audio_error;
mod audio_guard;
pub mod backprop;
pub mod checkpoint;
pub mod compare;
pub mod conditioning;
pub mod config;
mod embed;
pub mod features;
pub mod generate;
mod kernels;
pub mod math;
pub mod model;
pub mod mulaw;
mod rows;
pub mod session;
pub mod steps;
pub mod train;
pub mod workspace;

pub use conditioning::LocalCondition;
pub use config::Config;
pub use model::{forward_backward, Conditioning, Model, PassStats, Workspace};
pub use train::{Adam, Dataset, StepMetrics, Trainer};
