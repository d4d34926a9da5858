//! `photophone timbre learn` and `photophone timbre resynth`: learn a monophonic
//! instrument's timbre from a clip, and play a clip's own pitch and loudness through it.

use crate::Failure;
use photophone_timbre::session::{self, Event, Options};
use photophone_timbre::{checkpoint, conditioning, render, synth::Synth, Config};
use std::path::PathBuf;
use std::time::Duration;

#[derive(clap::Subcommand)]
pub enum TimbreCommand {
    /// Learn a timbre from a few minutes of one monophonic instrument (resumable; Ctrl-C
    /// writes a checkpoint).
    Learn(LearnArgs),
    /// Re-synthesise a clip from its own pitch and loudness in a learnt timbre.
    Resynth {
        /// A timbre folder written by `timbre learn`.
        timbre: PathBuf,
        /// The clip whose pitch and loudness are played.
        clip: PathBuf,
        /// Output WAV (at the timbre's rate, 16 kHz).
        #[arg(short, long)]
        output: PathBuf,
    },
}

#[derive(clap::Args)]
pub struct LearnArgs {
    /// A clip or a folder of clips (WAV, FLAC, OGG/Vorbis, MP3) of one monophonic instrument.
    data: PathBuf,
    /// Output folder (the timbre: checkpoint and metrics.jsonl).
    #[arg(long)]
    out: PathBuf,
    /// Train until this many steps in total.
    #[arg(long, conflicts_with = "minutes")]
    steps: Option<u64>,
    /// Train for this many minutes.
    #[arg(long)]
    minutes: Option<f64>,
    /// Continue the timbre in --out exactly where it stopped.
    #[arg(long)]
    resume: bool,
    /// Model size: `default`, or `tiny` (for tests).
    #[arg(long, default_value = "default")]
    preset: String,
    /// Windows per step (one per core is fastest).
    #[arg(long, default_value_t = 2)]
    batch: usize,
    #[arg(long, default_value_t = 1e-3)]
    lr: f32,
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// Steps when neither --steps nor --minutes is given.
const DEFAULT_STEPS: u64 = 3000;
/// Seconds of audio per training window.
const WINDOW_SECONDS: f64 = 1.0;

fn preset(name: &str) -> Result<Config, Failure> {
    match name {
        "default" => Ok(Config::default()),
        "tiny" => Ok(Config {
            harmonics: 16,
            noise_bands: 16,
            hidden: 32,
            ..Config::default()
        }),
        other => Err(Failure(format!("unknown --preset {other} (default, tiny)"))),
    }
}

pub fn run(cmd: TimbreCommand) -> Result<(), Failure> {
    match cmd {
        TimbreCommand::Learn(a) => learn(a),
        TimbreCommand::Resynth { timbre, clip, output } => resynth(&timbre, &clip, &output),
    }
}

fn learn(a: LearnArgs) -> Result<(), Failure> {
    let steps = crate::training::check_options(a.batch, 256, a.lr, a.steps, a.minutes, DEFAULT_STEPS)?;
    let config = preset(&a.preset)?;
    let stop = crate::training::stop_on_ctrl_c();
    let bar = crate::training::progress_bar(steps);
    let window = (WINDOW_SECONDS * config.sample_rate as f64) as usize;
    let opts = Options {
        data: a.data,
        out: a.out.clone(),
        config,
        steps,
        minutes: a.minutes,
        batch: a.batch,
        window,
        learning_rate: a.lr,
        seed: a.seed,
        resume: a.resume,
        checkpoint_every: Duration::from_secs(60),
    };
    let summary = session::run(opts, &stop, |e| match e {
        Event::Data(c) => {
            if c.used_seconds < 0.95 * c.seconds {
                bar.suspend(|| {
                    eprintln!(
                        "training on {:.1} s of {:.1} s ({:.0} %): the rest has no confident single pitch",
                        c.used_seconds,
                        c.seconds,
                        100.0 * c.used_seconds / c.seconds
                    )
                });
            }
        }
        Event::Step {
            metrics, first_step, ..
        } => crate::training::advance(
            &bar,
            first_step,
            metrics.step,
            format!("loss {:.3}", metrics.loss),
        ),
    })
    .map_err(|e| Failure(e.to_string()));
    bar.finish_and_clear();
    let summary = summary?;
    let how = if summary.interrupted {
        "interrupted; checkpoint written"
    } else {
        "done"
    };
    let loss = summary
        .last
        .map_or(String::new(), |m| format!(", loss {:.3}", m.loss));
    eprintln!(
        "{how}: step {}{loss}, trained on {:.1} s of audio → {}",
        summary.steps,
        summary.clip.used_seconds,
        a.out.display()
    );
    Ok(())
}

fn resynth(
    timbre: &std::path::Path,
    clip: &std::path::Path,
    output: &std::path::Path,
) -> Result<(), Failure> {
    crate::check_writable(output)?;
    let model = checkpoint::load(timbre)
        .map_err(|e| Failure(e.to_string()))?
        .model;
    let c = &model.config;
    let (x, rate) = photophone_wavenet::audio::decode_mono(clip).map_err(|e| Failure(e.to_string()))?;
    let x = photophone_wavenet::audio::resample(&x, rate, c.sample_rate);
    if x.len() < 2 * c.hop {
        return Err(Failure::file(clip, "too short to re-synthesise"));
    }
    let cond = conditioning::analyse(&x, c.sample_rate, c.hop);
    let synth = Synth::new(c.sample_rate, c.hop, c.noise_bands);
    let mut y = render::render(&model, &synth, &cond.features, 0);
    y.resize(x.len(), 0.0);
    let bytes = photophone::synth::wav::encode_wav_mono(&y, c.sample_rate);
    crate::write(output, &bytes)
}

/// Loads a timbre for `render --timbre` / `analyze --timbre`.
pub fn load(dir: &std::path::Path) -> Result<photophone::Timbre, Failure> {
    photophone::Timbre::load(dir).map_err(|e| Failure(e.to_string()))
}
