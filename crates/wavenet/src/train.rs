//! Training: Adam with global-norm gradient clipping, windows sampled from mu-law clips with
//! receptive-field padding, deterministic for a given seed.

use crate::model::{forward_backward, Conditioning, Model, Workspace};

/// Adam (Kingma & Ba), as in PyTorch's `torch.optim.Adam` defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct Adam {
    pub m: Vec<f32>,
    pub v: Vec<f32>,
    pub t: u64,
}

pub const BETA1: f32 = 0.9;
pub const BETA2: f32 = 0.999;
pub const EPS: f32 = 1e-8;

impl Adam {
    pub fn new(n: usize) -> Adam {
        Adam {
            m: vec![0.0; n],
            v: vec![0.0; n],
            t: 0,
        }
    }

    pub fn step(&mut self, params: &mut [f32], grads: &[f32], lr: f32) {
        self.t += 1;
        let bc1 = 1.0 - BETA1.powi(self.t as i32);
        let bc2 = 1.0 - BETA2.powi(self.t as i32);
        let step = lr / bc1;
        let inv_bc2_sqrt = 1.0 / bc2.sqrt();
        for (((p, &g), m), v) in params.iter_mut().zip(grads).zip(&mut self.m).zip(&mut self.v) {
            *m = BETA1 * *m + (1.0 - BETA1) * g;
            *v = BETA2 * *v + (1.0 - BETA2) * g * g;
            *p -= step * *m / ((*v).sqrt() * inv_bc2_sqrt + EPS);
        }
    }
}

/// Scales `grads` so their global L2 norm is at most `max_norm`; returns the norm before.
pub fn clip_global_norm(grads: &mut [f32], max_norm: f32) -> f32 {
    let norm = grads
        .iter()
        .map(|g| (*g as f64) * (*g as f64))
        .sum::<f64>()
        .sqrt() as f32;
    if norm.is_finite() && norm > max_norm {
        let s = max_norm / norm;
        grads.iter_mut().for_each(|g| *g *= s);
    }
    norm
}

/// Metrics of one optimisation step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepMetrics {
    pub step: u64,
    /// Mean cross-entropy, nats per sample.
    pub loss: f64,
    pub bits_per_sample: f64,
    /// Teacher-forced next-sample accuracy.
    pub accuracy: f64,
    pub grad_norm: f32,
    /// Share of the step's windows trained without their local conditioning
    /// (`local_condition_dropout`); 0 for models without conditioning.
    pub dropped_conditioning: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("training diverged: non-finite loss or gradient at step {0}")]
    NonFinite(u64),
    #[error("{0}")]
    Data(String),
}

/// Mu-law encoded clips (and their conditioning rows) plus a deterministic window sampler.
pub struct Dataset {
    clips: Vec<Vec<u32>>,
    /// Per clip, one row of `cond_channels` per sample (padded like the clip), if conditioned.
    conds: Option<Vec<Vec<f32>>>,
    cond_channels: usize,
    receptive_field: usize,
    /// Samples per window: outputs + receptive field.
    pub window: usize,
    pub outputs: usize,
}

impl Dataset {
    /// Pads each clip at the front with `receptive_field` silent samples so that its first
    /// sample is a target too, predicted from silence as generation from nothing does (with
    /// one sample less it never was, and a re-synthesis had to guess the clip's first
    /// sample). Windows are `outputs + receptive_field` samples; `outputs` is shortened to
    /// the shortest clip if needed.
    pub fn new(
        clips: Vec<Vec<u32>>,
        receptive_field: usize,
        outputs: usize,
        silence: u32,
    ) -> Result<Dataset, TrainError> {
        if clips.is_empty() {
            return Err(TrainError::Data("no audio to train on".into()));
        }
        let shortest = clips.iter().map(|c| c.len()).min().unwrap_or(0);
        if shortest < 2 {
            return Err(TrainError::Data(format!(
                "a clip has {shortest} samples; at least 2 are needed"
            )));
        }
        let padded: Vec<Vec<u32>> = clips
            .into_iter()
            .map(|c| std::iter::repeat_n(silence, receptive_field).chain(c).collect())
            .collect();
        let outputs = outputs.min(shortest - 1).max(1);
        Ok(Dataset {
            clips: padded,
            conds: None,
            cond_channels: 0,
            receptive_field,
            window: outputs + receptive_field,
            outputs,
        })
    }

    /// Adds local conditioning: per clip, `channels` values per sample (zeros pad the silence
    /// in front, as they do in generation).
    pub fn with_conditioning(mut self, conds: Vec<Vec<f32>>, channels: usize) -> Result<Dataset, TrainError> {
        if conds.len() != self.clips.len() {
            return Err(TrainError::Data(
                "one conditioning track per clip is needed".into(),
            ));
        }
        let pad = self.receptive_field * channels;
        let mut padded = Vec::with_capacity(conds.len());
        for (c, clip) in conds.into_iter().zip(&self.clips) {
            if c.len() + pad != clip.len() * channels {
                return Err(TrainError::Data(
                    "conditioning length does not match its clip".into(),
                ));
            }
            padded.push(std::iter::repeat_n(0.0, pad).chain(c).collect());
        }
        self.conds = Some(padded);
        self.cond_channels = channels;
        Ok(self)
    }

    /// Draws a window (and its conditioning rows for the window's inputs); `rng` advances
    /// deterministically.
    pub fn sample(&self, rng: &mut u64) -> (&[u32], Option<&[f32]>) {
        // Window starts are drawn from a range widened by `outputs - 1` at both ends and
        // clamped into the clip: otherwise the first and last `outputs` samples of a clip
        // are targets of fewer windows than the rest (linearly fewer towards the ends) and
        // are learnt last; the clamped draws make up for that.
        let extra = self.outputs - 1;
        let total: usize = self
            .clips
            .iter()
            .map(|c| c.len() - self.window + 1 + 2 * extra)
            .sum();
        let mut k = (next(rng) % total as u64) as usize;
        for (i, c) in self.clips.iter().enumerate() {
            let starts = c.len() - self.window + 1;
            if k < starts + 2 * extra {
                let k = k.saturating_sub(extra).min(starts - 1);
                let ch = self.cond_channels;
                let cond = self
                    .conds
                    .as_ref()
                    .map(|cs| &cs[i][k * ch..(k + self.window - 1) * ch]);
                return (&c[k..k + self.window], cond);
            }
            k -= starts + 2 * extra;
        }
        unreachable!("k < total")
    }
}

// The training stream is a bare SplitMix64 state (`Trainer::rng`, saved in checkpoints).
pub use photophone_rng::{gaussian, next, unit_f32 as uniform};

/// A model, its optimiser and its buffers: one call to [`Trainer::step`] is one update.
pub struct Trainer {
    pub model: Model,
    pub adam: Adam,
    pub rng: u64,
    pub step: u64,
    pub lr: f32,
    /// Cosine decay of the learning rate to 5 % over this many steps.
    pub decay_steps: Option<u64>,
    pub batch: usize,
    pub clip_norm: f32,
    ws: Workspace,
    grads: Vec<f32>,
}

impl Trainer {
    pub fn new(
        model: Model,
        adam: Adam,
        data: &Dataset,
        lr: f32,
        batch: usize,
        rng: u64,
        step: u64,
    ) -> Trainer {
        let ws = Workspace::new(&model.config, data.outputs);
        let grads = vec![0.0; model.num_params()];
        crate::math::flush_denormals();
        Trainer {
            model,
            adam,
            rng,
            step,
            lr,
            decay_steps: None,
            batch: batch.max(1),
            clip_norm: 1.0,
            ws,
            grads,
        }
    }

    /// The learning rate of the step being taken (after `self.step` was advanced).
    pub fn current_lr(&self) -> f32 {
        match self.decay_steps {
            Some(total) if total > 0 => {
                let x = (self.step.saturating_sub(1)).min(total) as f64 / total as f64;
                (self.lr as f64 * (0.05 + 0.95 * 0.5 * (1.0 + (std::f64::consts::PI * x).cos()))) as f32
            }
            _ => self.lr,
        }
    }

    pub fn step(&mut self, data: &Dataset) -> Result<StepMetrics, TrainError> {
        self.grads.fill(0.0);
        let scale = 1.0 / (self.batch * data.outputs) as f32;
        let (mut loss, mut correct, mut count, mut dropped) = (0f64, 0usize, 0usize, 0usize);
        for _ in 0..self.batch {
            let (window, mut local) = data.sample(&mut self.rng);
            let dropout = self.model.config.local_condition_dropout;
            if local.is_some() && dropout > 0.0 {
                // A fixed share of windows trains the unconditioned mode (zero conditioning).
                if uniform(&mut self.rng) < dropout {
                    local = None;
                    dropped += 1;
                }
            }
            let cond = Conditioning { global: None, local };
            let s = forward_backward(&self.model, &mut self.ws, window, cond, &mut self.grads, scale);
            loss += s.loss_sum;
            correct += s.correct;
            count += s.count;
        }
        let loss = loss / count as f64;
        let grad_norm = clip_global_norm(&mut self.grads, self.clip_norm);
        self.step += 1;
        if !loss.is_finite() || !grad_norm.is_finite() {
            return Err(TrainError::NonFinite(self.step));
        }
        let lr = self.current_lr();
        self.adam.step(&mut self.model.params, &self.grads, lr);
        Ok(StepMetrics {
            step: self.step,
            loss,
            bits_per_sample: loss / std::f64::consts::LN_2,
            accuracy: correct as f64 / count as f64,
            grad_norm,
            dropped_conditioning: dropped as f64 / self.batch as f64,
        })
    }
}
