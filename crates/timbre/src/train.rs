//! One training step: random windows of a clip, decoder → synthesizer → multi-resolution
//! spectral loss, gradients back through all three, Adam. Deterministic for a seed: the
//! RNG state, the step and Adam's moments are the whole state, so a resumed run is
//! bit-identical to an uninterrupted one.

use crate::loss::{SpectralLoss, SIZES};
use crate::model::{Features, Model};
use crate::synth::{frames_for, Controls, Synth};
use photophone_wavenet::train::{clip_global_norm, next, Adam};

/// A clip prepared for training: its audio, conditioning, and where windows may start.
pub struct Clip {
    pub audio: Vec<f32>,
    pub features: Features,
    /// First frames of windows made of usable frames.
    pub starts: Vec<usize>,
}

pub struct Data {
    pub clips: Vec<Clip>,
    /// Samples per window.
    pub window: usize,
    pub hop: usize,
}

impl Data {
    /// Windows of `window` samples; a window may start at frame `i` if `usable[i..]` holds for
    /// at least 90 % of its frames.
    pub fn new(clips: Vec<(Vec<f32>, Features, Vec<bool>)>, window: usize, hop: usize) -> Data {
        let frames = frames_for(window, hop);
        let clips = clips
            .into_iter()
            .map(|(audio, features, usable)| {
                let last = (audio.len().saturating_sub(window)) / hop;
                let mut starts = Vec::new();
                if audio.len() >= window {
                    let mut bad = usable[..frames].iter().filter(|u| !**u).count();
                    for i in 0..=last {
                        if bad * 10 <= frames {
                            starts.push(i);
                        }
                        if i + frames < usable.len() {
                            bad = bad + usize::from(!usable[i + frames]) - usize::from(!usable[i]);
                        }
                    }
                }
                Clip {
                    audio,
                    features,
                    starts,
                }
            })
            .collect();
        Data { clips, window, hop }
    }

    /// Frames inside at least one window: how much of the audio trains.
    pub fn covered_frames(&self) -> usize {
        let frames = self.window / self.hop + 1;
        self.clips
            .iter()
            .map(|c| {
                let mut covered = 0;
                let mut until = 0;
                for &s in &c.starts {
                    covered += (s + frames).saturating_sub(until.max(s));
                    until = until.max(s + frames);
                }
                covered
            })
            .sum()
    }

    pub fn windows(&self) -> usize {
        self.clips.iter().map(|c| c.starts.len()).sum()
    }

    /// A random window: (clip, first frame).
    fn sample(&self, rng: &mut u64) -> (usize, usize) {
        let mut k = (next(rng) % self.windows() as u64) as usize;
        for (c, clip) in self.clips.iter().enumerate() {
            if k < clip.starts.len() {
                return (c, clip.starts[k]);
            }
            k -= clip.starts.len();
        }
        unreachable!("k < windows()")
    }
}

/// Loss and gradients of one window, accumulated into `grads`.
pub fn window_loss(
    model: &Model,
    synth: &Synth,
    loss: &SpectralLoss,
    clip: &Clip,
    start: usize,
    samples: usize,
    grads: Option<&mut [f32]>,
) -> f64 {
    let hop = model.config.hop;
    let frames = frames_for(samples, hop);
    let (controls, pass) = model.forward(&clip.features, start, frames);
    let f0 = &clip.features.f0[start..start + frames];
    let (y, trace) = synth.forward(f0, &controls, samples, 0.0, start * hop);
    let target = loss.target(&clip.audio[start * hop..start * hop + samples]);
    let Some(grads) = grads else {
        return loss.loss(&y, &target, None);
    };
    let mut gy = vec![0f32; samples];
    let l = loss.loss(&y, &target, Some(&mut gy));
    let mut gc = Controls::zeros(frames, controls.harmonics, controls.bands);
    synth.backward(&trace, &gy, &mut gc);
    model.backward(&pass, &gc, grads);
    l
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepMetrics {
    pub step: u64,
    pub loss: f64,
    pub grad_norm: f32,
}

pub struct Trainer {
    pub model: Model,
    pub adam: Adam,
    pub rng: u64,
    pub step: u64,
    pub lr: f32,
    pub batch: usize,
    synth: Synth,
    loss: SpectralLoss,
    grads: Vec<f32>,
}

/// Gradients above this global norm are scaled down (DDSP clips at 3).
const CLIP_NORM: f32 = 3.0;

impl Trainer {
    pub fn new(model: Model, adam: Adam, rng: u64, step: u64, lr: f32, batch: usize) -> Trainer {
        let c = &model.config;
        let synth = Synth::new(c.sample_rate, c.hop, c.noise_bands);
        let grads = vec![0f32; model.num_params()];
        Trainer {
            model,
            adam,
            rng,
            step,
            lr,
            batch,
            synth,
            loss: SpectralLoss::new(&SIZES),
            grads,
        }
    }

    /// One update on `batch` random windows.
    pub fn step(&mut self, data: &Data) -> Result<StepMetrics, String> {
        let picks: Vec<(usize, usize)> = (0..self.batch).map(|_| data.sample(&mut self.rng)).collect();
        self.grads.fill(0.0);
        // Windows in parallel, each into its own buffer, summed in order: the same bits
        // whatever the thread count.
        let parts: Vec<(f64, Vec<f32>)> = {
            use rayon::prelude::*;
            let (model, synth, loss) = (&self.model, &self.synth, &self.loss);
            picks
                .par_iter()
                .map(|&(c, start)| {
                    let mut g = vec![0f32; model.num_params()];
                    let l = window_loss(
                        model,
                        synth,
                        loss,
                        &data.clips[c],
                        start,
                        data.window,
                        Some(&mut g),
                    );
                    (l, g)
                })
                .collect()
        };
        let mut total = 0f64;
        let scale = 1.0 / self.batch as f32;
        for (l, g) in &parts {
            total += l;
            for (a, b) in self.grads.iter_mut().zip(g) {
                *a += b * scale;
            }
        }
        let loss = total / self.batch as f64;
        if !loss.is_finite() {
            return Err(format!(
                "training diverged at step {} (loss {loss})",
                self.step + 1
            ));
        }
        let grad_norm = clip_global_norm(&mut self.grads, CLIP_NORM);
        self.adam.step(&mut self.model.params, &self.grads, self.lr);
        self.step += 1;
        Ok(StepMetrics {
            step: self.step,
            loss,
            grad_norm,
        })
    }
}
