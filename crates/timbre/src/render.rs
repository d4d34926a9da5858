//! Playing f0 and loudness curves through a trained model: decoder over all frames, then the
//! synthesizer.

use crate::model::{Features, Model};
use crate::synth::Synth;

/// Frames decoded per GEMM pass: bounds the activations' memory for long renders.
const CHUNK: usize = 4096;

/// Where voice `voice` starts in the noise bank's loop: voices drawn at the same instant would
/// share their noise, which then adds up coherently where several lines play at once. The
/// spacing is the golden-ratio fraction of the loop (~2.5 s at 16 kHz), so every voice starts
/// far from every other.
fn noise_offset(voice: usize) -> usize {
    let spacing = (crate::noise::LENGTH as f64 * 0.618_034) as usize;
    voice * spacing % crate::noise::LENGTH
}

/// Audio for `features` (one frame per hop): `(frames − 1) · hop` samples, as line `voice` of
/// a piece (it sets where the noise starts).
pub fn render(model: &Model, synth: &Synth, features: &Features, voice: usize) -> Vec<f32> {
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
    synth
        .forward(&features.f0, &controls, samples, 0.0, noise_offset(voice))
        .0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Config;

    #[test]
    fn each_voice_draws_its_own_noise() {
        let config = Config::default();
        let synth = Synth::new(config.sample_rate, config.hop, config.noise_bands);
        let model = Model::new(config, 3);
        let frames = 200;
        let features = Features {
            f0: vec![220.0; frames],
            loudness: vec![-20.0; frames],
        };
        let lead = render(&model, &synth, &features, 0);
        assert_eq!(lead, render(&model, &synth, &features, 0), "deterministic");
        let bass = render(&model, &synth, &features, 1);
        let energy = |x: &[f32]| x.iter().map(|v| v * v).sum::<f32>();
        let difference: Vec<f32> = lead.iter().zip(&bass).map(|(a, b)| a - b).collect();
        assert!(energy(&lead) > 0.0);
        // Only the noise differs (an untrained model puts little energy there), and it must:
        // when every line started the bank at 0, the two were identical.
        assert!(energy(&difference) > 0.0, "voices share their noise");
        let offsets: Vec<usize> = (0..8).map(noise_offset).collect();
        for (i, a) in offsets.iter().enumerate() {
            for b in &offsets[i + 1..] {
                let gap = a.abs_diff(*b).min(crate::noise::LENGTH - a.abs_diff(*b));
                assert!(
                    gap > crate::noise::LENGTH / 16,
                    "voices {offsets:?} start too close"
                );
            }
        }
    }
}
