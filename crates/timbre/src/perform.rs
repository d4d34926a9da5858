//! Playing a score in a learnt timbre: notes → f0 and loudness curves, shaped by the
//! articulation measured on the training clip (attack time, decay rate, vibrato depth and
//! rate, playing levels), then through the model.

use crate::conditioning::Conditioning;
use serde::{Deserialize, Serialize};

/// How the training clip's player shapes a note, measured from its conditioning.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Articulation {
    /// Median seconds from a note's start to its loudest frame.
    pub attack_s: f32,
    /// Median loudness slope after the peak (dB per second; 0 for a sustained instrument).
    pub decay_db_per_s: f32,
    /// Median standard deviation of f0 around each note's own pitch (cents), and the rate of
    /// that wobble (Hz).
    pub vibrato_cents: f32,
    pub vibrato_hz: f32,
    /// Loudness (dB) of quiet, typical and loud notes: 10th, 50th, 95th percentile peaks.
    pub level_db: [f32; 3],
    /// Loudness of rests.
    pub rest_db: f32,
}

impl Default for Articulation {
    fn default() -> Articulation {
        Articulation {
            attack_s: 0.03,
            decay_db_per_s: 0.0,
            vibrato_cents: 0.0,
            vibrato_hz: 5.5,
            level_db: [-30.0, -22.0, -15.0],
            rest_db: -80.0,
        }
    }
}

/// A note to play: seconds, MIDI pitch, velocity 0..1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Note {
    pub start: f64,
    pub duration: f64,
    pub midi: u8,
    pub velocity: f32,
}

/// Runs of voiced frames on one pitch (split where f0 moves by more than a semitone from the
/// run's start), at least `min` frames long.
fn notes_of(c: &Conditioning, min: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    let n = c.voiced.len();
    while i < n {
        if !c.voiced[i] {
            i += 1;
            continue;
        }
        let start = i;
        let f = c.features.f0[i];
        while i < n && c.voiced[i] && crate::pitch::cents(c.features.f0[i], f).abs() < 100.0 {
            i += 1;
        }
        if i - start >= min {
            out.push((start, i));
        }
    }
    out
}

fn median(mut v: Vec<f32>) -> Option<f32> {
    v.sort_by(f32::total_cmp);
    v.get(v.len() / 2).copied()
}

fn percentile(mut v: Vec<f32>, p: usize) -> Option<f32> {
    v.sort_by(f32::total_cmp);
    v.get(v.len().saturating_sub(1) * p / 100).copied()
}

/// Measures the articulation of a clip's notes (frames every `hop` samples at `rate`).
pub fn articulation(c: &Conditioning, rate: u32, hop: usize) -> Articulation {
    let fps = rate as f32 / hop as f32;
    let notes = notes_of(c, (0.1 * fps) as usize);
    let mut d = Articulation::default();
    if notes.is_empty() {
        return d;
    }
    let loud = &c.features.loudness;
    let (mut attacks, mut decays, mut peaks, mut depths, mut rates) =
        (vec![], vec![], vec![], vec![], vec![]);
    for &(s, e) in &notes {
        let first = s..(s + (0.3 * fps) as usize).min(e);
        let top = first.clone().map(|i| loud[i]).fold(f32::MIN, f32::max);
        // The attack ends at the first frame within 1 dB of the note's peak: on a held note
        // the exact loudest frame can fall anywhere on the plateau.
        let peak = first.clone().find(|&i| loud[i] >= top - 1.0).unwrap_or(s);
        attacks.push((peak - s) as f32 / fps);
        peaks.push(top);
        // Least-squares slope of loudness from the peak over the note's first 70 %: the last
        // part holds the release into the next note or rest, which a sustained instrument
        // (a flute) has too, so it says nothing about how the note decays while held.
        let held_end = peak + (e - peak) * 7 / 10;
        let tail: Vec<(f32, f32)> = (peak..held_end)
            .map(|i| ((i - peak) as f32 / fps, loud[i]))
            .collect();
        if tail.len() as f32 >= 0.1 * fps {
            let n = tail.len() as f32;
            let (mx, my) = (
                tail.iter().map(|p| p.0).sum::<f32>() / n,
                tail.iter().map(|p| p.1).sum::<f32>() / n,
            );
            let sxy: f32 = tail.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
            let sxx: f32 = tail.iter().map(|p| (p.0 - mx).powi(2)).sum();
            decays.push(sxy / sxx.max(1e-9));
        }
        // Vibrato over the note's settled middle: deviation in cents from its median pitch.
        let (a, b) = (s + (e - s) / 5, e - (e - s) / 5);
        if (b - a) as f32 >= 0.25 * fps {
            let centre = median(c.features.f0[a..b].to_vec()).unwrap_or(1.0);
            let dev: Vec<f32> = c.features.f0[a..b]
                .iter()
                .map(|&f| crate::pitch::cents(f, centre))
                .collect();
            let mean = dev.iter().sum::<f32>() / dev.len() as f32;
            depths.push((dev.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / dev.len() as f32).sqrt());
            let crossings = dev
                .windows(2)
                .filter(|w| (w[0] - mean) * (w[1] - mean) < 0.0)
                .count();
            rates.push(crossings as f32 / 2.0 / ((b - a) as f32 / fps));
        }
    }
    d.attack_s = median(attacks).unwrap_or(d.attack_s);
    d.decay_db_per_s = median(decays).unwrap_or(0.0).min(0.0);
    d.vibrato_cents = median(depths).unwrap_or(0.0);
    d.vibrato_hz = median(rates).unwrap_or(d.vibrato_hz).clamp(3.0, 9.0);
    d.level_db = [
        percentile(peaks.clone(), 10).unwrap_or(d.level_db[0]),
        percentile(peaks.clone(), 50).unwrap_or(d.level_db[1]),
        percentile(peaks, 95).unwrap_or(d.level_db[2]),
    ];
    let rests: Vec<f32> = (0..loud.len())
        .filter(|&i| !c.usable[i] || !c.voiced[i])
        .map(|i| loud[i])
        .collect();
    d.rest_db = percentile(rests, 10)
        .unwrap_or(d.rest_db)
        .min(d.level_db[0] - 20.0);
    d
}

/// Glide between consecutive notes' pitches (s).
const GLIDE_S: f32 = 0.03;
/// Release after a note's end (s): loudness falls to the rest level.
const RELEASE_S: f32 = 0.08;
/// Vibrato fades in over this long (s) after the attack.
const VIBRATO_ONSET_S: f32 = 0.2;

/// f0 (Hz) and loudness (dB) curves for `notes` over `seconds`, one frame every `hop` samples.
/// Deterministic; the last note that has started holds each frame.
pub fn curves(notes: &[Note], a: &Articulation, seconds: f64, rate: u32, hop: usize) -> crate::Features {
    let fps = rate as f64 / hop as f64;
    let frames = (seconds * fps).ceil() as usize + 1;
    let mut sorted: Vec<Note> = notes.iter().copied().filter(|n| n.duration > 0.0).collect();
    sorted.sort_by(|x, y| x.start.total_cmp(&y.start));
    let hz = |m: u8| 440.0 * 2f32.powf((m as f32 - 69.0) / 12.0);
    let mut f0 = vec![sorted.first().map_or(220.0, |n| hz(n.midi)); frames];
    let mut loud = vec![a.rest_db; frames];
    let mut k = 0;
    for (i, (f, l)) in f0.iter_mut().zip(loud.iter_mut()).enumerate() {
        let t = i as f64 / fps;
        while k + 1 < sorted.len() && sorted[k + 1].start <= t {
            k += 1;
        }
        let Some(n) = sorted.get(k) else { continue };
        if t < n.start {
            continue;
        }
        let since = (t - n.start) as f32;
        let target = hz(n.midi);
        // Glide from the previous note's pitch.
        let from = if k > 0 { hz(sorted[k - 1].midi) } else { target };
        let g = (since / GLIDE_S).min(1.0);
        let mut cents = 1200.0 * (from / target).log2() * (1.0 - g);
        let settled = ((since - a.attack_s) / VIBRATO_ONSET_S).clamp(0.0, 1.0);
        cents += settled
            * a.vibrato_cents
            * std::f32::consts::SQRT_2
            * (std::f32::consts::TAU * a.vibrato_hz * since).sin();
        *f = target * 2f32.powf(cents / 1200.0);
        let [lo, _, hi] = a.level_db;
        let peak = lo + (hi - lo) * n.velocity.clamp(0.0, 1.0);
        let dur = n.duration as f32;
        let envelope = if since < a.attack_s {
            a.rest_db + (peak - a.rest_db) * since / a.attack_s.max(1e-3)
        } else {
            (peak + a.decay_db_per_s * (since.min(dur) - a.attack_s)).max(a.rest_db)
        };
        *l = if since <= dur {
            envelope
        } else if since < dur + RELEASE_S {
            envelope + (a.rest_db - envelope) * (since - dur) / RELEASE_S
        } else {
            a.rest_db
        };
    }
    crate::Features { f0, loudness: loud }
}

/// `notes` played in the timbre of `model` for `seconds`, at the model's rate, as line
/// `voice` of the piece (each line draws its own noise).
pub fn play(
    model: &crate::Model,
    synth: &crate::synth::Synth,
    notes: &[Note],
    a: &Articulation,
    seconds: f64,
    voice: usize,
) -> Vec<f32> {
    let c = &model.config;
    let features = curves(notes, a, seconds, c.sample_rate, c.hop);
    let mut y = crate::render::render(model, synth, &features, voice);
    y.truncate((seconds * c.sample_rate as f64) as usize);
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curves_follow_the_notes_with_the_measured_articulation() {
        let a = Articulation {
            attack_s: 0.05,
            decay_db_per_s: -10.0,
            vibrato_cents: 10.0,
            vibrato_hz: 5.0,
            level_db: [-40.0, -30.0, -20.0],
            rest_db: -80.0,
        };
        let notes = [
            Note {
                start: 0.5,
                duration: 1.0,
                midi: 69,
                velocity: 1.0,
            },
            Note {
                start: 2.0,
                duration: 0.5,
                midi: 72,
                velocity: 0.5,
            },
        ];
        let f = curves(&notes, &a, 3.0, 16_000, 64);
        let at = |t: f64| (t * 250.0) as usize;
        assert_eq!(f.len(), 751);
        assert_eq!(f.loudness[at(0.2)], -80.0);
        assert!(
            (f.loudness[at(0.6)] - -20.5).abs() < 0.5,
            "{}",
            f.loudness[at(0.6)]
        );
        assert!(
            (f.loudness[at(1.45)] - -29.0).abs() < 0.5,
            "{}",
            f.loudness[at(1.45)]
        );
        assert_eq!(f.loudness[at(1.8)], -80.0);
        assert!(crate::pitch::cents(f.f0[at(1.0)], 440.0).abs() < 20.0);
        assert!(crate::pitch::cents(f.f0[at(2.3)], 523.25).abs() < 20.0);
        assert_eq!(f, curves(&notes, &a, 3.0, 16_000, 64), "deterministic");
    }

    #[test]
    fn articulation_is_measured_from_a_clip() {
        // Notes of 0.8 s with 0.2 s gaps: 40 ms attack, then −20 dB/s, 6 Hz vibrato of ±30 cents.
        let rate = 16_000;
        let mut x = Vec::new();
        let mut phase = 0f32;
        for n in 0..12 {
            let f = [220.0, 330.0, 262.0][n % 3];
            for t in 0..rate {
                let time = t as f32 / rate as f32;
                let env = if time < 0.04 {
                    time / 0.04
                } else if time < 0.8 {
                    10f32.powf(-20.0 * (time - 0.04) / 20.0)
                } else {
                    0.0
                };
                let inst = f * 2f32.powf(30.0 / 1200.0 * (std::f32::consts::TAU * 6.0 * time).sin());
                phase += std::f32::consts::TAU * inst / rate as f32;
                x.push(0.3 * env * (phase.sin() + 0.3 * (2.0 * phase).sin()));
            }
        }
        let c = crate::conditioning::analyse(&x, rate as u32, 64);
        let a = articulation(&c, rate as u32, 64);
        assert!((0.01..0.1).contains(&a.attack_s), "{a:?}");
        assert!((-26.0..-14.0).contains(&a.decay_db_per_s), "{a:?}");
        assert!((15.0..28.0).contains(&a.vibrato_cents), "{a:?}");
        assert!((5.0..7.0).contains(&a.vibrato_hz), "{a:?}");
    }

    #[test]
    fn a_held_note_that_fades_at_its_end_does_not_count_as_decaying() {
        // A flute-like clip: 0.9-s notes held level, each fading out over its last 0.2 s.
        let rate = 16_000;
        let mut x = Vec::new();
        for n in 0..12 {
            let f = [440.0, 554.4, 659.3][n % 3];
            for t in 0..rate {
                let time = t as f32 / rate as f32;
                let env = if time < 0.03 {
                    time / 0.03
                } else if time < 0.7 {
                    1.0
                } else {
                    ((0.9 - time) / 0.2).max(0.0)
                };
                let phase = std::f32::consts::TAU * f * time;
                x.push(0.3 * env * (phase.sin() + 0.2 * (2.0 * phase).sin()));
            }
        }
        let c = crate::conditioning::analyse(&x, rate as u32, 64);
        let a = articulation(&c, rate as u32, 64);
        assert!(a.decay_db_per_s > -3.0, "{a:?}");
        assert!(a.attack_s < 0.1, "{a:?}");
    }
}
