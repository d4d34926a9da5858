//! A learnt timbre ready to play: the model, its synthesizer, and the training clip's
//! articulation.

use crate::checkpoint::{self, CheckpointError};
use crate::perform::{play, Articulation, Note};
use crate::synth::Synth;
use crate::Model;
use std::path::Path;

pub struct Timbre {
    pub model: Model,
    pub synth: Synth,
    pub articulation: Articulation,
    /// The training clip's f0 range (Hz, 5th–95th percentile of voiced frames).
    pub f0_hz: [f32; 2],
}

impl Timbre {
    /// Loads a timbre folder written by `photophone timbre learn`.
    pub fn load(dir: &Path) -> Result<Timbre, CheckpointError> {
        let l = checkpoint::load(dir)?;
        let c = &l.model.config;
        let synth = Synth::new(c.sample_rate, c.hop, c.noise_bands);
        Ok(Timbre {
            synth,
            articulation: l.state.clip.articulation.clone(),
            f0_hz: l.state.clip.f0_hz,
            model: l.model,
        })
    }

    /// `notes` for `seconds` as line `voice` of the piece, mono at `rate` Hz (resampled from
    /// the model's rate).
    pub fn play_at(&self, notes: &[Note], seconds: f64, rate: u32, voice: usize) -> Vec<f32> {
        let y = play(
            &self.model,
            &self.synth,
            notes,
            &self.articulation,
            seconds,
            voice,
        );
        let mut out = photophone_wavenet::audio::resample(&y, self.model.config.sample_rate, rate);
        out.resize((seconds * rate as f64).round() as usize, 0.0);
        out
    }
}
