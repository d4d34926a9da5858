//! Composition: turns an [`Analysis`] into a [`Score`] — what
//! plays, when, and why. No audio here; `photophone-synth` renders scores, [`midi`] writes them.
#![forbid(unsafe_code)]

mod ambient;
mod check;
mod classic;
pub mod midi;
pub mod theory;

pub use classic::{classic_feature_pixels, ClassicFeaturePixel};
pub use theory::{Key, Mode};

use photophone_analysis::{Analysis, Photo};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Style {
    /// photophone's design: the music follows light, colour, texture and structure.
    #[default]
    Ambient,
    /// The seed's 2014 mapping (tracking.js FAST corners → sine oscillators), as a baseline.
    Classic,
}

impl std::str::FromStr for Style {
    type Err = String;
    fn from_str(s: &str) -> Result<Style, String> {
        match s {
            "ambient" => Ok(Style::Ambient),
            "classic" => Ok(Style::Classic),
            other => Err(format!("style must be ambient or classic, not {other:?}")),
        }
    }
}

/// A timed note.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Note {
    /// Seconds from the start.
    pub start: f64,
    pub duration: f64,
    pub midi: u8,
    /// 0..1.
    pub velocity: f32,
    /// -1 (left) .. 1 (right).
    pub pan: f32,
}

/// A chord of the progression, as held by the pad layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Chord {
    pub start: f64,
    pub duration: f64,
    /// Roman numeral in the key.
    pub numeral: String,
    pub notes: Vec<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TextureKind {
    /// Band-passed noise with fast, bubbling movement.
    Water,
    /// Band-passed noise with slow sweeps.
    Wind,
}

/// The ambient arrangement: drone, pad (chords), lead (melodic line), noise texture.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ambient {
    pub key: Key,
    pub tempo_bpm: f32,
    pub chords: Vec<Chord>,
    pub lead: Vec<Note>,
    /// Drone pitches (held for the whole piece).
    pub drone: Vec<u8>,
    pub drone_level: f32,
    pub drone_cutoff_hz: f32,
    pub pad_level: f32,
    pub pad_cutoff_hz: f32,
    pub lead_level: f32,
    pub lead_cutoff_hz: f32,
    pub lead_brightness: f32,
    /// Seconds for a lead note to decay by 60 dB.
    pub lead_decay_s: f32,
    pub texture: TextureKind,
    pub texture_level: f32,
    pub texture_centre_hz: f32,
    /// Rate of the texture's movement.
    pub texture_motion_hz: f32,
    pub reverb_time_s: f32,
    pub reverb_room_m: f32,
    pub reverb_wet: f32,
}

/// The seed's mapping: one drifting sine oscillator per feature pixel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Classic {
    pub oscillators: Vec<ClassicOscillator>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassicOscillator {
    pub frequency_hz: f32,
    /// Seed of this oscillator's random frequency drift.
    pub drift_seed: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "style", rename_all = "lowercase")]
pub enum Arrangement {
    Ambient(Ambient),
    Classic(Classic),
}

/// One musical decision and the photo property that caused it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub topic: String,
    pub value: String,
    pub because: String,
}

/// What to play: an arrangement, its length, and the reasons.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Score {
    pub seconds: f64,
    pub seed: u64,
    pub arrangement: Arrangement,
    pub decisions: Vec<Decision>,
}

impl Score {
    pub fn style(&self) -> Style {
        match self.arrangement {
            Arrangement::Ambient(_) => Style::Ambient,
            Arrangement::Classic(_) => Style::Classic,
        }
    }
}

/// Composes a score for a photo. `analysis` must be `photophone_analysis::analyze(photo)`;
/// the classic style reads the full-resolution pixels itself, as tracking.js did.
pub fn compose(photo: &Photo, analysis: &Analysis, style: Style, seconds: f64, seed: u64) -> Score {
    let seconds = seconds.max(0.0);
    match style {
        Style::Ambient => ambient::compose(analysis, seconds, seed),
        Style::Classic => classic::compose(photo, seconds, seed),
    }
}
