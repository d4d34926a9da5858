//! The photo maze: the reason photophone exists. A maze generated from a seed and sized to the
//! photos ([`layout`]), walked by a listener (live, or scripted: [`walk`]), and one audio
//! engine ([`engine`]) in which every photo is a voice playing its own endless stream, heard
//! binaurally from where it hangs: direction through a measured HRTF ([`hrtf`]), distance,
//! and the walls between ([`acoustics`]).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod acoustics;
pub mod engine;
pub mod folder;
pub mod grid;
pub mod hrtf;
pub mod layout;
pub mod spatial;
mod voice;
pub mod walk;

pub use engine::Engine;
pub use layout::Layout;
pub use walk::{Pose, Walk};
