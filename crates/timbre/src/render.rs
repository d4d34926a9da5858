//! Playing f0 and loudness curves through a trained model: decoder over all frames, then the
//! synthesizer.

use crate::model::{Features, Model};
use crate::synth::Synth;

/// Frames decoded per GEMM pass: bounds the activations' memory for long renders.
const CHUNK: usize = 4096;

/// Audio for `features` (one frame per hop): `(frames − 1) · hop` samples.
pub fn render(model: &Model, synth: &Synth, features: &Features) -> Vec<f32> {
    let frames = features.len();
    if frames < 2 {
        return Vec::new();
    }
    let c = &model.config;
    let mut controls = crate::synth::Controls::zeros(frames, c.harmonics, c.noise_bands);
    let mut start = 0;
    while start < frames {
        let rows = CHUNK.min(frames - start);
        let (part, _) = model.forward(features, start, rows);
        controls.harmonic[start * c.harmonics..(start + rows) * c.harmonics].copy_from_slice(&part.harmonic);
        controls.noise[start * c.noise_bands..(start + rows) * c.noise_bands].copy_from_slice(&part.noise);
        start += rows;
    }
    let samples = (frames - 1) * c.hop;
    synth.forward(&features.f0, &controls, samples, 0.0, 0).0
}
