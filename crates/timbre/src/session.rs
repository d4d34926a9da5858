//! A training session as `photophone timbre learn` runs it, with `photophone train`'s
//! contract: load and check the audio before anything is written, create or resume a model,
//! step until a step count or a time limit, checkpoint periodically and on request, append
//! one metrics line per step.

use crate::checkpoint::{self, ClipSummary, TrainState};
use crate::conditioning::analyse;
use crate::model::{Config, Model};
use crate::train::{Data, StepMetrics, Trainer};
use photophone_wavenet::steps::{self, Limits, Steps};
use photophone_wavenet::{audio, train::Adam};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// Shortest clip (in total) a timbre is learnt from.
pub const MIN_SECONDS: f64 = 10.0;
/// Below this share of sounding frames with a confident single pitch, the clip is refused.
pub const MIN_CONFIDENT: f32 = 0.5;

pub struct Options {
    pub data: PathBuf,
    pub out: PathBuf,
    pub config: Config,
    /// Train until this many steps in total (counting steps before a resume).
    pub steps: Option<u64>,
    pub minutes: Option<f64>,
    pub batch: usize,
    /// Samples per training window.
    pub window: usize,
    pub learning_rate: f32,
    pub seed: u64,
    pub resume: bool,
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
    #[error("{0}")]
    Data(String),
    #[error("{0}; the last good checkpoint in {1} is kept")]
    Diverged(String, String),
    #[error("{path}: {reason}")]
    Io { path: String, reason: String },
}

pub struct Summary {
    pub steps: u64,
    pub last: Option<StepMetrics>,
    pub interrupted: bool,
    pub clip: ClipSummary,
}

pub enum Event<'a> {
    /// The audio is loaded and checked: how much of it trains.
    Data(&'a ClipSummary),
    Step {
        metrics: &'a StepMetrics,
        first_step: u64,
        elapsed: Duration,
    },
}

/// Loads and checks the clips; errors are for the user.
pub fn prepare(data: &Path, window: usize, config: &Config) -> Result<(Data, ClipSummary), SessionError> {
    let path = data.display();
    let clips = audio::load_clips(data, config.sample_rate)?;
    let rate = config.sample_rate as f64;
    let seconds = clips.iter().map(|c| c.len()).sum::<usize>() as f64 / rate;
    if seconds < MIN_SECONDS {
        return Err(SessionError::Data(format!(
            "{path}: {seconds:.1} s of audio; a timbre needs at least {MIN_SECONDS:.0} s of playing"
        )));
    }
    let analysed: Vec<_> = clips
        .iter()
        .map(|c| analyse(c, config.sample_rate, config.hop))
        .collect();
    let sounding: usize = analysed.iter().map(|a| a.sounding).sum();
    let voiced: usize = analysed.iter().map(|a| a.voiced_sounding).sum();
    let frame_s = config.hop as f64 / rate;
    if (sounding as f64) * frame_s < 2.0 {
        return Err(SessionError::Data(format!(
            "{path}: almost silent (under 2 s of sound)"
        )));
    }
    let share = voiced as f32 / sounding as f32;
    if share < MIN_CONFIDENT {
        return Err(SessionError::Data(format!(
            "{path}: only {:.0} % of the sounding audio has a confident single pitch; a timbre is learnt from a monophonic instrument (not chords, polyphony or noise)",
            share * 100.0
        )));
    }
    let mut loud = Vec::new();
    let mut f0 = Vec::new();
    for a in &analysed {
        for i in 0..a.voiced.len() {
            if a.voiced[i] {
                loud.push(a.features.loudness[i]);
                f0.push(a.features.f0[i]);
            }
        }
    }
    // The articulation of the clip with the most sound (clips of one player are alike).
    let articulation = analysed
        .iter()
        .max_by_key(|a| a.sounding)
        .map(|a| crate::perform::articulation(a, config.sample_rate, config.hop))
        .unwrap_or_default();
    let data = Data::new(
        clips
            .into_iter()
            .zip(analysed)
            .map(|(c, a)| (c, a.features, a.usable))
            .collect(),
        window,
        config.hop,
    );
    if data.windows() == 0 {
        return Err(SessionError::Data(format!(
            "{path}: no stretch of {:.1} s with a confident single pitch to train on",
            window as f64 / rate
        )));
    }
    let clip = ClipSummary {
        seconds,
        used_seconds: data.covered_frames() as f64 * frame_s,
        loudness_db: [
            percentile(&mut loud, 10),
            percentile(&mut loud, 50),
            percentile(&mut loud, 95),
        ],
        f0_hz: [percentile(&mut f0, 5), percentile(&mut f0, 95)],
        articulation,
    };
    Ok((data, clip))
}

fn percentile(v: &mut [f32], p: usize) -> f32 {
    v.sort_by(f32::total_cmp);
    v.get((v.len().saturating_sub(1)) * p / 100)
        .copied()
        .unwrap_or(0.0)
}

pub fn run(
    opts: Options,
    stop: &AtomicBool,
    mut on_event: impl FnMut(Event),
) -> Result<Summary, SessionError> {
    let out_display = opts.out.display().to_string();
    let resumed = if opts.resume {
        Some(checkpoint::load(&opts.out)?)
    } else {
        if opts.out.join(checkpoint::CURRENT).exists() {
            return Err(SessionError::Config(format!(
                "{out_display} already holds a timbre: pass --resume to continue it, or choose another --out"
            )));
        }
        opts.config.validate().map_err(SessionError::Config)?;
        None
    };
    let config = resumed
        .as_ref()
        .map_or(opts.config.clone(), |l| l.model.config.clone());
    let window = resumed.as_ref().map_or(opts.window, |l| l.state.window);
    let (data, clip) = prepare(&opts.data, window, &config)?;
    on_event(Event::Data(&clip));
    let (model, adam, state) = match resumed {
        Some(l) => (l.model, l.adam, l.state),
        None => {
            let model = Model::new(config, opts.seed);
            let adam = Adam::new(model.num_params());
            let state = TrainState {
                step: 0,
                rng: opts.seed,
                learning_rate: opts.learning_rate,
                batch: opts.batch,
                window,
                seed: opts.seed,
                last_loss: None,
                adam_t: 0,
                clip: clip.clone(),
            };
            (model, adam, state)
        }
    };
    std::fs::create_dir_all(&opts.out).map_err(|e| SessionError::Io {
        path: out_display.clone(),
        reason: e.to_string(),
    })?;
    let metrics_path = opts.out.join("metrics.jsonl");
    let io_err = |e: std::io::Error| SessionError::Io {
        path: metrics_path.display().to_string(),
        reason: e.to_string(),
    };
    let mut metrics = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&metrics_path)
        .map_err(io_err)?;
    let trainer = Trainer::new(
        model,
        adam,
        state.rng,
        state.step,
        state.learning_rate,
        state.batch,
    );
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
        state,
    };
    let outcome = steps::run(&mut run, &limits, stop, &mut metrics, io_err, |m, elapsed| {
        on_event(Event::Step {
            metrics: m,
            first_step,
            elapsed,
        })
    })?;
    Ok(Summary {
        steps: run.trainer.step,
        last: outcome.last,
        interrupted: outcome.interrupted,
        clip,
    })
}

/// A timbre in training, for the loop in [`steps`].
struct Run<'a> {
    trainer: Trainer,
    data: &'a Data,
    out: &'a Path,
    state: TrainState,
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
        serde_json::json!({
            "step": m.step, "loss": m.loss, "grad_norm": m.grad_norm, "seconds": seconds,
        })
    }

    fn checkpoint(&mut self, last: Option<&StepMetrics>) -> Result<(), SessionError> {
        let t = &self.trainer;
        self.state.step = t.step;
        self.state.rng = t.rng;
        self.state.last_loss = last.map(|m| m.loss);
        Ok(checkpoint::save(self.out, &t.model, &t.adam, &self.state)?)
    }
}
