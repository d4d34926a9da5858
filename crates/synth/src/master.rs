//! Mastering: fades at the ends, loudness normalisation to EBU R128 −16 LUFS integrated
//! (the `ebur128` crate), and a look-ahead limiter (fundsp's) only when peaks would pass
//! −1 dBFS.

use crate::{filter, Audio};
use ebur128::{EbuR128, Mode};
use fundsp::prelude32::{limiter_stereo, smooth5};

pub const TARGET_LUFS: f64 = -16.0;
pub const TARGET_PEAK_DBFS: f64 = -1.0;
/// Fade-in and fade-out lengths at the very start and end of a render.
const EDGE_FADE_IN_S: f64 = 0.05;
const EDGE_FADE_OUT_S: f64 = 1.5;

/// A mastered render and what it measured.
#[derive(Clone, Debug)]
pub struct Mastered {
    pub audio: Audio,
    /// Integrated loudness after mastering (−inf for silence).
    pub loudness_lufs: f64,
    /// Sample peak after mastering.
    pub peak_dbfs: f64,
    /// Whether the limiter had to act.
    pub limited: bool,
}

/// Integrated loudness (EBU R128) of interleaved stereo.
pub fn loudness_lufs(samples: &[f32], sample_rate: u32) -> f64 {
    let mut meter = Meter::new(sample_rate);
    meter.add(samples);
    meter.loudness()
}

fn peak(samples: &[f32]) -> f32 {
    samples.iter().fold(0f32, |m, x| m.max(x.abs()))
}

fn to_db(x: f64) -> f64 {
    20.0 * x.max(1e-12).log10()
}

/// Gain of the edge fades at a frame: a short fade-in against a click at the start, a longer
/// fade-out so the reverb tail does not stop dead.
pub(crate) fn edge_gain(frame: usize, total: usize, sample_rate: u32) -> f32 {
    let fin = ((EDGE_FADE_IN_S * sample_rate as f64) as usize).clamp(1, total / 4 + 1);
    let fout = ((EDGE_FADE_OUT_S * sample_rate as f64) as usize).clamp(1, total / 3 + 1);
    let mut g = 1.0;
    if frame < fin {
        g *= smooth5(frame as f32 / fin as f32);
    }
    let left = total.saturating_sub(frame + 1);
    if left < fout {
        g *= smooth5(left as f32 / fout as f32);
    }
    g
}

/// Applies the edge fades to interleaved stereo that starts at `first_frame` of `total`.
pub(crate) fn apply_edge_fades(chunk: &mut [f32], first_frame: usize, total: usize, sample_rate: u32) {
    for (i, frame) in chunk.chunks_exact_mut(2).enumerate() {
        let g = edge_gain(first_frame + i, total, sample_rate);
        frame[0] *= g;
        frame[1] *= g;
    }
}

/// Incremental EBU R128 integrated-loudness meter.
pub(crate) struct Meter(EbuR128);

impl Meter {
    pub fn new(sample_rate: u32) -> Meter {
        Meter(EbuR128::new(2, sample_rate, Mode::I).expect("valid meter settings"))
    }
    pub fn add(&mut self, interleaved: &[f32]) {
        self.0.add_frames_f32(interleaved).expect("stereo frames");
    }
    pub fn loudness(&self) -> f64 {
        self.0.loudness_global().unwrap_or(f64::NEG_INFINITY)
    }
}

/// Brings a faded raw render of known loudness to the loudness and peak targets.
pub fn master(mut audio: Audio, mut loudness: f64) -> Mastered {
    let rate = audio.sample_rate;
    if !loudness.is_finite() {
        // Silence (e.g. a classic render of a photo with no corners): nothing to normalise.
        return Mastered {
            loudness_lufs: loudness,
            peak_dbfs: to_db(peak(&audio.samples) as f64),
            audio,
            limited: false,
        };
    }
    let ceiling = 10f64.powf((TARGET_PEAK_DBFS - 0.1) / 20.0) as f32;
    let mut limited = false;
    // Gain is exact in dB; only limiting changes loudness, so only then measure again.
    for _ in 0..4 {
        let gain = 10f64.powf((TARGET_LUFS - loudness) / 20.0) as f32;
        audio.samples.iter_mut().for_each(|x| *x *= gain);
        loudness = TARGET_LUFS;
        if peak(&audio.samples) <= ceiling {
            break;
        }
        limit(&mut audio, ceiling);
        limited = true;
        loudness = loudness_lufs(&audio.samples, rate);
        if (loudness - TARGET_LUFS).abs() < 0.2 {
            break;
        }
    }
    // Whatever the loop ended on, never exceed the ceiling.
    let p = peak(&audio.samples);
    if p > ceiling {
        let g = ceiling / p;
        audio.samples.iter_mut().for_each(|x| *x *= g);
        loudness = loudness_lufs(&audio.samples, rate);
    }
    Mastered {
        loudness_lufs: loudness,
        peak_dbfs: to_db(peak(&audio.samples) as f64),
        audio,
        limited,
    }
}

/// fundsp's look-ahead limiter holds the signal under 1.0; scale so that 1.0 is `ceiling`,
/// and compensate its look-ahead delay so the audio stays aligned.
fn limit(audio: &mut Audio, ceiling: f32) {
    let attack = 0.005;
    let mut lim = limiter_stereo(attack, 0.25);
    lim.set_sample_rate(audio.sample_rate as f64);
    let delay = ((audio.sample_rate as f64 * attack as f64).round() as usize).max(1);
    let mut padded: Vec<f32> = audio.samples.iter().map(|x| x / ceiling).collect();
    padded.extend(std::iter::repeat_n(0.0, delay * 2));
    filter(&mut lim, &mut padded);
    for (dst, src) in audio.samples.iter_mut().zip(&padded[delay * 2..]) {
        *dst = src * ceiling;
    }
}
