//! Learn a monophonic instrument's timbre from a clip, on the CPU, in minutes; play any
//! pitch and loudness curves in it.
//!
//! - [`pitch`]: YIN f0 and voicing confidence; [`loudness`]: A-weighted frame loudness.
//! - [`synth`]: harmonic oscillator bank + filtered noise ([`noise`]'s band bank).
//! - [`model`]: the decoder from f0/loudness to the synthesizer's controls.
//! - [`loss`]: the multi-resolution spectral loss and its gradient.
//! - [`train`]: windows, steps, Adam; [`session`]: a resumable run; [`checkpoint`]: the
//!   timbre folder.
//! - [`render`]: curves → audio through a trained model.
#![forbid(unsafe_code)]

pub mod checkpoint;
pub mod conditioning;
pub mod instrument;
pub mod loss;
pub mod loudness;
pub mod model;
pub mod noise;
pub mod perform;
pub mod pitch;
pub mod render;
pub mod session;
pub mod synth;
pub mod train;

pub use instrument::Timbre;
pub use model::{Config, Features, Model};
