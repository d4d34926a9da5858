//! `photophone train`: a WaveNet on your own clips, with a progress bar, metrics and
//! resumable checkpoints.

use crate::Failure;
use photophone_wavenet::session::{self, Options};
use photophone_wavenet::Config;
use std::path::PathBuf;
use std::time::Duration;

#[derive(clap::Args)]
pub struct TrainArgs {
    /// A clip or a folder of clips (WAV, FLAC, OGG/Vorbis, MP3).
    data: PathBuf,
    /// Model preset: ibab, small, clip or tiny.
    #[arg(long, default_value = "small")]
    preset: String,
    /// A JSON model config (the fields of `config.json` in a model folder); overrides --preset.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Train until this many steps in total.
    #[arg(long, conflicts_with = "minutes")]
    steps: Option<u64>,
    /// Train for this many minutes.
    #[arg(long)]
    minutes: Option<f64>,
    #[arg(long, default_value_t = 1)]
    batch: usize,
    #[arg(long, default_value_t = 1e-3)]
    lr: f32,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output folder for checkpoints and metrics.jsonl.
    #[arg(long)]
    out: PathBuf,
    /// Continue the checkpoint in --out exactly where it stopped.
    #[arg(long)]
    resume: bool,
    /// Condition the model on the audio's own log-mel frames (for re-synthesis with
    /// `generate --condition-from`).
    #[arg(long, value_enum)]
    condition: Option<Condition>,
    /// Decay the learning rate (cosine, to 5 % of --lr) over --steps.
    #[arg(long, requires = "steps")]
    lr_decay: bool,
    /// Mel bands for --condition mel.
    #[arg(long, default_value_t = 40)]
    mel_bands: usize,
    /// Share of training windows without their conditioning (0 to <1): the model then also
    /// generates unconditioned (`generate MODEL_DIR` without --condition-from).
    #[arg(long, requires = "condition")]
    condition_dropout: Option<f32>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Condition {
    Mel,
}

pub fn train(a: TrainArgs) -> Result<(), Failure> {
    let steps = crate::training::check_options(a.batch, 4096, a.lr, a.steps, a.minutes, 1000)?;
    let config = match &a.config {
        Some(path) => {
            let text = std::fs::read(path).map_err(|e| Failure(format!("{}: {e}", path.display())))?;
            let c: Config = serde_json::from_slice(&text)
                .map_err(|e| Failure(format!("{}: invalid config: {e}", path.display())))?;
            c.validate()
                .map_err(|e| Failure(format!("{}: {e}", path.display())))?;
            c
        }
        None => Config::preset(&a.preset).map_err(|e| Failure(e.to_string()))?,
    };
    let mut config = config;
    if let Some(Condition::Mel) = a.condition {
        if a.mel_bands == 0 || a.mel_bands > 256 {
            return Err(Failure(format!(
                "--mel-bands must be in 1..=256, got {}",
                a.mel_bands
            )));
        }
        config.local_condition = photophone_wavenet::LocalCondition::Mel;
        config.local_condition_channels = a.mel_bands;
        if let Some(p) = a.condition_dropout {
            if !(0.0..1.0).contains(&p) {
                return Err(Failure(format!("--condition-dropout must be in [0, 1), got {p}")));
            }
            config.local_condition_dropout = p;
        }
    }
    let stop = crate::training::stop_on_ctrl_c();
    let bar = crate::training::progress_bar(steps);
    let opts = Options {
        data: a.data,
        out: a.out.clone(),
        config,
        steps,
        minutes: a.minutes,
        batch: a.batch,
        learning_rate: a.lr,
        seed: a.seed,
        resume: a.resume,
        decay: a.lr_decay,
        checkpoint_every: Duration::from_secs(60),
    };
    let summary = session::run(opts, &stop, |p| {
        let message = format!(
            "loss {:.3}  {:.2} bits/sample  accuracy {:.1}%",
            p.metrics.loss,
            p.metrics.bits_per_sample,
            p.metrics.accuracy * 100.0
        );
        crate::training::advance(&bar, p.first_step, p.metrics.step, message);
    })
    .map_err(|e| Failure(e.to_string()));
    bar.finish_and_clear();
    let summary = summary?;
    let how = if summary.interrupted {
        "interrupted; checkpoint written"
    } else {
        "done"
    };
    match summary.last {
        Some(m) => eprintln!(
            "{how}: step {}, loss {:.3}, {:.2} bits/sample, accuracy {:.1}% → {}",
            summary.steps,
            m.loss,
            m.bits_per_sample,
            m.accuracy * 100.0,
            a.out.display()
        ),
        None => eprintln!("{how}: step {} → {}", summary.steps, a.out.display()),
    }
    Ok(())
}
