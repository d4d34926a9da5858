//! A training session as the CLI runs it: load audio, create or resume a model, step until
//! a step count or a time limit, checkpoint periodically and on request, log metrics.

use crate::checkpoint::{self, TrainState};
use crate::steps::{self, Limits, Steps};
use crate::train::{Adam, Dataset, StepMetrics, TrainError, Trainer};
use crate::{audio, mulaw, Config, LocalCondition, Model};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

pub struct Options {
    pub data: PathBuf,
    pub out: PathBuf,
    pub config: Config,
    /// Train until this many steps in total (counting steps before a resume).
    pub steps: Option<u64>,
    pub minutes: Option<f64>,
    pub batch: usize,
    pub learning_rate: f32,
    pub seed: u64,
    pub resume: bool,
    /// Decay the learning rate (cosine, to 5 %) over `steps`.
    pub decay: bool,
    /// Checkpoint at least this often.
    pub checkpoint_every: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Audio(#[from] audio::AudioError),
    #[error(transparent)]
    Checkpoint(#[from] checkpoint::CheckpointError),
    #[error("{0}")]
    Config(String),
    #[error("{0}; the last good checkpoint in {1} is kept")]
    Diverged(#[source] TrainError, String),
    #[error("{0}")]
    Data(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// How a session ended.
pub struct Summary {
    pub steps: u64,
    pub last: Option<StepMetrics>,
    pub interrupted: bool,
}

/// Progress as reported to the caller after every step.
pub struct Progress<'a> {
    pub metrics: &'a StepMetrics,
    pub first_step: u64,
    pub target_steps: Option<u64>,
    pub elapsed: Duration,
}

pub fn run(
    opts: Options,
    stop: &AtomicBool,
    mut on_step: impl FnMut(Progress),
) -> Result<Summary, SessionError> {
    let out_display = opts.out.display().to_string();
    let (model, adam, state) = if opts.resume {
        let l = checkpoint::load(&opts.out)?;
        (l.model, l.adam, l.state)
    } else {
        if opts.out.join(checkpoint::CURRENT).exists() {
            return Err(SessionError::Config(format!(
                "{out_display} already holds a checkpoint: pass --resume to continue it, or choose another --out"
            )));
        }
        opts.config
            .validate()
            .map_err(|e| SessionError::Config(e.to_string()))?;
        let mut model = Model::new(opts.config.clone(), opts.seed);
        model.zero_local_conditioning();
        let adam = Adam::new(model.num_params());
        let state = TrainState {
            step: 0,
            rng: opts.seed,
            learning_rate: opts.learning_rate,
            seed: opts.seed,
            last_loss: None,
            decay_steps: if opts.decay { opts.steps } else { None },
        };
        (model, adam, state)
    };
    let config = model.config.clone();
    let rf = config.receptive_field();
    let clips = audio::load_clips(&opts.data, config.sample_rate)?;
    for (i, c) in clips.iter().enumerate() {
        if c.len() <= rf {
            return Err(SessionError::Data(format!(
                "{}: clip {} has {} samples after trimming, shorter than the model's receptive field of {rf} samples",
                opts.data.display(),
                i + 1,
                c.len()
            )));
        }
    }
    let q = config.quantization_channels;
    let encoded: Vec<Vec<u32>> = clips
        .iter()
        .map(|c| c.iter().map(|&x| mulaw::encode(x, q)).collect())
        .collect();
    let mut data = Dataset::new(encoded, rf, config.sample_size, mulaw::encode(0.0, q))
        .map_err(|e| SessionError::Data(e.to_string()))?;
    if config.local_condition == LocalCondition::Mel {
        let bands = config.local_condition_channels;
        let conds = clips
            .iter()
            .map(|c| crate::features::mel_conditioning(c, config.sample_rate, bands))
            .collect();
        data = data
            .with_conditioning(conds, bands)
            .map_err(|e| SessionError::Data(e.to_string()))?;
    } else if config.local_condition_channels > 0 {
        return Err(SessionError::Config(
            "the model takes local conditioning but names no source (set local_condition to \"mel\")".into(),
        ));
    }
    std::fs::create_dir_all(&opts.out).map_err(|e| SessionError::Io {
        path: out_display.clone(),
        source: e,
    })?;
    let metrics_path = opts.out.join("metrics.jsonl");
    let mut metrics_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&metrics_path)
        .map_err(|e| SessionError::Io {
            path: metrics_path.display().to_string(),
            source: e,
        })?;

    let mut trainer = Trainer::new(
        model,
        adam,
        &data,
        state.learning_rate,
        opts.batch,
        state.rng,
        state.step,
    );
    trainer.decay_steps = state.decay_steps;
    let first_step = trainer.step;
    let limits = Limits {
        steps: opts.steps,
        minutes: opts.minutes,
        checkpoint_every: opts.checkpoint_every,
    };
    let mut run = Run {
        trainer,
        data: &data,
        out: &opts.out,
        seed: state.seed,
    };
    let write_error = |e| SessionError::Io {
        path: metrics_path.display().to_string(),
        source: e,
    };
    let outcome = steps::run(
        &mut run,
        &limits,
        stop,
        &mut metrics_file,
        write_error,
        |m, elapsed| {
            on_step(Progress {
                metrics: m,
                first_step,
                target_steps: opts.steps,
                elapsed,
            })
        },
    )?;
    Ok(Summary {
        steps: run.trainer.step,
        last: outcome.last,
        interrupted: outcome.interrupted,
    })
}

/// A WaveNet in training, for the loop in [`steps`].
struct Run<'a> {
    trainer: Trainer,
    data: &'a Dataset,
    out: &'a Path,
    seed: u64,
}

impl Steps for Run<'_> {
    type Metrics = StepMetrics;
    type Error = SessionError;

    fn done(&self) -> u64 {
        self.trainer.step
    }

    fn step(&mut self) -> Result<StepMetrics, SessionError> {
        self.trainer
            .step(self.data)
            .map_err(|e| SessionError::Diverged(e, self.out.display().to_string()))
    }

    fn line(&self, m: &StepMetrics, seconds: f64) -> serde_json::Value {
        let mut line = serde_json::json!({
            "step": m.step, "loss": m.loss, "bits_per_sample": m.bits_per_sample,
            "accuracy": m.accuracy, "grad_norm": m.grad_norm, "seconds": seconds,
        });
        if self.trainer.model.config.local_condition_dropout > 0.0 {
            line["dropped_conditioning"] = m.dropped_conditioning.into();
        }
        line
    }

    fn checkpoint(&mut self, last: Option<&StepMetrics>) -> Result<(), SessionError> {
        let t = &self.trainer;
        let state = TrainState {
            step: t.step,
            rng: t.rng,
            learning_rate: t.lr,
            seed: self.seed,
            last_loss: last.map(|m| m.loss),
            decay_steps: t.decay_steps,
        };
        Ok(checkpoint::save(self.out, &t.model, &t.adam, &state)?)
    }
}
