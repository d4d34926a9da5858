//! `photophone generate`: raw audio from a trained WaveNet with fast (queued) generation.

use crate::Failure;
use indicatif::{ProgressBar, ProgressStyle};
use photophone::synth;
use photophone_wavenet::conditioning::ConditioningMismatch;
use photophone_wavenet::{audio, checkpoint, generate, mulaw};
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args)]
pub struct GenerateArgs {
    /// A model folder written by `photophone train`.
    model: PathBuf,
    /// Output WAV (with --count K: OUT-1.wav … OUT-K.wav).
    #[arg(short, long, default_value = "generated.wav")]
    output: PathBuf,
    /// Seconds to generate (default 4; with --condition-from, the clip's length).
    #[arg(long)]
    seconds: Option<f64>,
    /// Sampling temperature (0 = always the most likely sample).
    #[arg(long, default_value_t = 1.0)]
    temperature: f32,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Prime the model with the start of this clip (resampled to the model rate).
    #[arg(long)]
    prime: Option<PathBuf>,
    /// Seconds of the prime clip to feed.
    #[arg(long, default_value_t = 0.5)]
    prime_seconds: f64,
    /// Variations, generated together as one batch.
    #[arg(long, default_value_t = 1)]
    count: usize,
    /// Re-synthesise this clip from its log-mel frames (models trained with --condition mel);
    /// the output is as long as the clip, or --seconds if shorter.
    #[arg(long)]
    condition_from: Option<PathBuf>,
    /// Output sample rate (default: the model's).
    #[arg(long)]
    rate: Option<u32>,
}

pub fn generate(a: GenerateArgs) -> Result<(), Failure> {
    let seconds = a.seconds.unwrap_or(4.0);
    if !a.temperature.is_finite() || a.temperature < 0.0 {
        return Err(Failure(format!(
            "--temperature must be a finite number ≥ 0, got {}",
            a.temperature
        )));
    }
    if !seconds.is_finite() || seconds <= 0.0 || seconds > 3600.0 {
        return Err(Failure(format!("--seconds must be in (0, 3600], got {seconds}")));
    }
    if a.count == 0 || a.count > 256 {
        return Err(Failure(format!("--count must be in 1..=256, got {}", a.count)));
    }
    if let Some(r) = a.rate {
        if !(8_000..=192_000).contains(&r) {
            return Err(Failure(format!(
                "--rate must be between 8000 and 192000 Hz, got {r}"
            )));
        }
    }
    let outputs: Vec<PathBuf> = if a.count == 1 {
        vec![a.output.clone()]
    } else {
        let stem = a
            .output
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "generated".into());
        (1..=a.count)
            .map(|k| a.output.with_file_name(format!("{stem}-{k}.wav")))
            .collect()
    };
    for o in &outputs {
        crate::check_writable(o)?;
    }
    let model = checkpoint::load(&a.model)
        .map_err(|e| Failure(e.to_string()))?
        .model;
    let rate = model.config.sample_rate;
    let q = model.config.quantization_channels;
    let prime: Vec<u32> = match &a.prime {
        None => Vec::new(),
        Some(p) => {
            let clips = audio::load_clips(p, rate).map_err(|e| Failure(e.to_string()))?;
            let need = (a.prime_seconds.max(0.0) * rate as f64).round() as usize;
            let clip = &clips[0];
            if clip.len() < need {
                return Err(Failure(format!(
                    "{}: {:.2} s of audio after trimming silence, shorter than --prime-seconds {}",
                    p.display(),
                    clip.len() as f64 / rate as f64,
                    a.prime_seconds
                )));
            }
            clip[..need].iter().map(|&x| mulaw::encode(x, q)).collect()
        }
    };
    if let Err(e) = model
        .config
        .check_generation_conditioning(a.condition_from.is_some())
    {
        let what = match e {
            ConditioningMismatch::NotConditioned => {
                "this model was trained without conditioning; --condition-from needs one trained with --condition mel"
            }
            ConditioningMismatch::Required => {
                "this model is conditioned on log-mel frames: give --condition-from CLIP (or train with --condition-dropout to generate without)"
            }
        };
        return Err(Failure(format!("{}: {what}", a.model.display())));
    }
    // Without --condition-from, a model trained with conditioning dropout runs unconditioned.
    let local: Option<Vec<f32>> = match &a.condition_from {
        Some(p) => {
            let clips = audio::load_clips(p, rate).map_err(|e| Failure(e.to_string()))?;
            Some(photophone_wavenet::features::mel_conditioning(
                &clips[0],
                rate,
                model.config.local_condition_channels,
            ))
        }
        None => None,
    };
    let mut samples = (seconds * rate as f64).round() as usize;
    if let Some(l) = &local {
        let clip_len = l.len() / model.config.local_condition_channels;
        if a.seconds.is_some() {
            samples = samples.min(clip_len);
        } else {
            samples = clip_len;
        }
    }
    let bar = ProgressBar::new(samples as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} samples  {msg}  ETA {eta}").expect("template"),
    );
    let started = Instant::now();
    let request = generate::Request {
        samples,
        temperature: a.temperature,
        seed: a.seed,
        count: a.count,
        prime: &prime,
        local: local.as_deref(),
    };
    let streams = generate::generate(&model, &request, |done| {
        bar.set_position(done as u64);
        let per_s = done as f64 * a.count as f64 / started.elapsed().as_secs_f64().max(1e-9);
        bar.set_message(format!(
            "{per_s:.0} samples/s, {:.2}× real time",
            per_s / rate as f64
        ));
    });
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    let out_rate = a.rate.unwrap_or(rate);
    for (stream, path) in streams.iter().zip(&outputs) {
        let audio: Vec<f32> = stream.iter().map(|&c| mulaw::decode(c, q)).collect();
        let audio = audio::resample(&audio, rate, out_rate);
        synth::wav::write_atomically(path, &synth::wav::encode_wav_mono(&audio, out_rate))
            .map_err(|e| Failure(e.to_string()))?;
    }
    let per_s = (samples * a.count) as f64 / elapsed;
    eprintln!(
        "{} × {:.1} s at {} Hz in {:.1} s: {:.0} samples/s, {:.2}× real time → {}",
        a.count,
        samples as f64 / rate as f64,
        out_rate,
        elapsed,
        per_s,
        per_s / rate as f64,
        outputs[0].display()
    );
    Ok(())
}
