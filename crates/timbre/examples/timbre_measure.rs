//! Measures for bench/timbre.sh (issue 13, measures 2 and 4): a re-synthesis of held-back
//! audio against the audio itself, and against two plain baselines driven by the same clip.
//!
//! Usage: timbre_measure REF.wav RESYNTH.wav ONSETS.txt
//!        timbre_measure play TIMBRE TRAIN.wav NOTES.txt SECONDS OUT.wav
//!        timbre_measure identity TRAIN_A.wav TRAIN_B.wav RENDERS_A_DIR RENDERS_B_DIR
//! (`identity`: measure 3 — nearest centroid on MFCC means and variances, centroids fitted on
//! 10-s segments of the two training clips, dimensions scaled by the segments' spread.)
//! (`play`: measures 5 and 6 — the score's notes played in the timbre with the training clip's
//! articulation; share of voiced frames within 50 cents of the score, and render speed.)
//! Prints one JSON object:
//! - log-mel distance (64 mel bands, 1024-point frames every 256 samples at 16 kHz, dB floored
//!   80 dB under the reference's loudest band, mean absolute difference, frames aligned) of the
//!   re-synthesis, of a band-limited sawtooth at the clip's f0 through a fixed 2-pole low-pass
//!   at 2 kHz with the clip's loudness curve, and of stationary noise with the clip's
//!   long-term spectrum and level;
//! - onset F1 (±50 ms) against the score's onsets, for the re-synthesis and (the detector's
//!   ceiling) for the reference;
//! - pitch: share of the reference's voiced frames where the re-synthesis is within 50 cents.

use photophone_timbre::conditioning::analyse;
use photophone_timbre::loudness::loudness;
use photophone_timbre::pitch::{cents, track};
use photophone_timbre::synth::{frames_for, Controls, Synth};
use realfft::RealFftPlanner;

const RATE: u32 = 16_000;
const HOP: usize = 64;

fn load(path: &str) -> Vec<f32> {
    let (x, rate) = photophone_wavenet::audio::decode_mono(std::path::Path::new(path)).expect("audio");
    photophone_wavenet::audio::resample(&x, rate, RATE)
}

fn mel(f: f32) -> f32 {
    2595.0 * (1.0 + f / 700.0).log10()
}

/// Log-mel spectrogram (dB), frames × 64.
fn log_mel(x: &[f32]) -> Vec<[f32; 64]> {
    let (n, hop) = (1024, 256);
    let mut planner = RealFftPlanner::<f32>::new();
    let fft = planner.plan_fft_forward(n);
    let window: Vec<f32> = (0..n)
        .map(|i| 0.5 - 0.5 * (std::f32::consts::TAU * i as f32 / n as f32).cos())
        .collect();
    let top = mel(RATE as f32 / 2.0);
    let edges: Vec<f32> = (0..66)
        .map(|i| 700.0 * (10f32.powf(top * i as f32 / 65.0 / 2595.0) - 1.0))
        .collect();
    let mut input = fft.make_input_vec();
    let mut spec = fft.make_output_vec();
    let mut out = Vec::new();
    let mut start = 0;
    while start + n <= x.len() {
        for (j, v) in input.iter_mut().enumerate() {
            *v = x[start + j] * window[j];
        }
        fft.process(&mut input, &mut spec).unwrap();
        let mut bands = [0f32; 64];
        for (k, c) in spec.iter().enumerate() {
            let f = k as f32 * RATE as f32 / n as f32;
            for (b, band) in bands.iter_mut().enumerate() {
                let (lo, mid, hi) = (edges[b], edges[b + 1], edges[b + 2]);
                let w = if f > lo && f <= mid {
                    (f - lo) / (mid - lo)
                } else if f > mid && f < hi {
                    (hi - f) / (hi - mid)
                } else {
                    0.0
                };
                *band += w * c.norm_sqr();
            }
        }
        out.push(bands.map(|p| 10.0 * (p + 1e-10).log10()));
        start += hop;
    }
    out
}

fn log_mel_distance(reference: &[[f32; 64]], other: &[[f32; 64]]) -> f32 {
    let floor = reference.iter().flatten().fold(f32::MIN, |m, v| m.max(*v)) - 80.0;
    let n = reference.len().min(other.len());
    let mut sum = 0f64;
    for i in 0..n {
        for b in 0..64 {
            sum += (reference[i][b].max(floor) - other[i][b].max(floor)).abs() as f64;
        }
    }
    (sum / (n * 64) as f64) as f32
}

/// Band-limited sawtooth at the clip's f0, 2-pole Butterworth low-pass at 2 kHz, gain per
/// frame so its A-weighted loudness follows the clip's.
fn sawtooth_baseline(x: &[f32]) -> Vec<f32> {
    let cond = analyse(x, RATE, HOP);
    let frames = frames_for(x.len(), HOP);
    let f0: Vec<f32> = (0..frames)
        .map(|i| cond.features.f0[i.min(cond.features.len() - 1)])
        .collect();
    let h = 120;
    let mut c = Controls::zeros(frames, h, 1);
    for i in 0..frames {
        for k in 0..h {
            c.harmonic[i * h + k] = 0.3 / (k + 1) as f32;
        }
    }
    let synth = Synth::new(RATE, HOP, 1);
    let (mut y, _) = synth.forward(&f0, &c, x.len(), 0.0, 0);
    // RBJ low-pass biquad, Q = 1/√2.
    let w0 = std::f32::consts::TAU * 2000.0 / RATE as f32;
    let alpha = w0.sin() / std::f32::consts::SQRT_2;
    let (b0, b1, b2) = ((1.0 - w0.cos()) / 2.0, 1.0 - w0.cos(), (1.0 - w0.cos()) / 2.0);
    let (a0, a1, a2) = (1.0 + alpha, -2.0 * w0.cos(), 1.0 - alpha);
    let (mut x1, mut x2, mut y1, mut y2) = (0f32, 0f32, 0f32, 0f32);
    for v in y.iter_mut() {
        let out = (b0 * *v + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2) / a0;
        (x2, x1, y2, y1) = (x1, *v, y1, out);
        *v = out;
    }
    let have = loudness(&y, RATE, HOP);
    let gain: Vec<f32> = (0..frames)
        .map(|i| {
            let j = i.min(have.len() - 1).min(cond.features.len() - 1);
            10f32.powf((cond.features.loudness[j] - have[j]) / 20.0)
        })
        .collect();
    for (t, v) in y.iter_mut().enumerate() {
        let (i, w) = (t / HOP, (t % HOP) as f32 / HOP as f32);
        *v *= gain[i] * (1.0 - w) + gain[i + 1] * w;
    }
    y
}

/// Stationary noise with the clip's long-term power spectrum and RMS.
fn noise_baseline(x: &[f32]) -> Vec<f32> {
    let n = x.len().next_power_of_two();
    let mut planner = RealFftPlanner::<f32>::new();
    let fft = planner.plan_fft_forward(n);
    let inv = planner.plan_fft_inverse(n);
    let mut padded = fft.make_input_vec();
    padded[..x.len()].copy_from_slice(x);
    let mut spec = fft.make_output_vec();
    fft.process(&mut padded, &mut spec).unwrap();
    // Smooth the periodogram over ±20 Hz for the long-term spectrum.
    let width = (20.0 * n as f32 / RATE as f32).max(1.0) as usize;
    let power: Vec<f32> = spec.iter().map(|c| c.norm_sqr()).collect();
    let mut prefix = vec![0f64; power.len() + 1];
    for (i, p) in power.iter().enumerate() {
        prefix[i + 1] = prefix[i] + *p as f64;
    }
    let mut s = 99u64;
    let mut noise: Vec<f32> = (0..n)
        .map(|_| photophone_wavenet::train::gaussian(&mut s))
        .collect();
    let mut nspec = fft.make_output_vec();
    fft.process(&mut noise, &mut nspec).unwrap();
    for (k, c) in nspec.iter_mut().enumerate() {
        let (lo, hi) = (k.saturating_sub(width), (k + width + 1).min(power.len()));
        let ltas = (prefix[hi] - prefix[lo]) / (hi - lo) as f64;
        *c *= (ltas.sqrt() / (n as f64).sqrt()) as f32;
    }
    let last = nspec.len() - 1;
    nspec[0].im = 0.0;
    nspec[last].im = 0.0;
    let mut y = inv.make_output_vec();
    inv.process(&mut nspec, &mut y).unwrap();
    y.truncate(x.len());
    let rms = |v: &[f32]| (v.iter().map(|a| a * a).sum::<f32>() / v.len() as f32).sqrt();
    let g = rms(x) / rms(&y).max(1e-12);
    y.iter_mut().for_each(|v| *v *= g);
    y
}

/// Onsets (s) by SuperFlux (Böck & Widmer 2013): log-magnitude increase against the frame two
/// hops back, maximum-filtered over ±2 bins so vibrato does not read as onsets; peak-picked as
/// a local maximum within ±30 ms, above the local mean (±100 ms) by a tenth of the clip's
/// largest flux, at least 50 ms apart (margin chosen on the training parts and the violin clip,
/// never on held-back audio).
fn onsets(x: &[f32]) -> Vec<f32> {
    let (n, hop, lag) = (1024, 160, 2);
    let mut planner = RealFftPlanner::<f32>::new();
    let fft = planner.plan_fft_forward(n);
    let window: Vec<f32> = (0..n)
        .map(|i| 0.5 - 0.5 * (std::f32::consts::TAU * i as f32 / n as f32).cos())
        .collect();
    let mut input = fft.make_input_vec();
    let mut spec = fft.make_output_vec();
    let mut history: Vec<Vec<f32>> = Vec::new();
    let mut flux = Vec::new();
    let mut start = 0;
    while start + n <= x.len() {
        for (j, v) in input.iter_mut().enumerate() {
            *v = x[start + j] * window[j];
        }
        fft.process(&mut input, &mut spec).unwrap();
        let cur: Vec<f32> = spec.iter().map(|c| (1.0 + 100.0 * c.norm()).ln()).collect();
        let f = match history.len().checked_sub(lag).map(|i| &history[i]) {
            Some(prev) => (0..cur.len())
                .map(|k| {
                    let m = prev[k.saturating_sub(2)..(k + 3).min(prev.len())]
                        .iter()
                        .fold(0f32, |a, v| a.max(*v));
                    (cur[k] - m).max(0.0)
                })
                .sum::<f32>(),
            None => 0.0,
        };
        flux.push(f);
        history.push(cur);
        start += hop;
    }
    let max = flux.iter().fold(0f32, |m, v| m.max(*v)).max(1e-9);
    let f: Vec<f32> = flux.iter().map(|v| v / max).collect();
    let mut out: Vec<f32> = Vec::new();
    for i in 1..f.len() {
        let near = |r: usize| i.saturating_sub(r)..(i + r + 1).min(f.len());
        let local_max = near(3).all(|j| f[j] <= f[i]);
        let mean = near(10).map(|j| f[j]).sum::<f32>() / near(10).len() as f32;
        let t = (i * hop + n / 2) as f32 / RATE as f32;
        if local_max && f[i] > mean + 0.1 && out.last().is_none_or(|&l| t - l > 0.05) {
            out.push(t);
        }
    }
    out
}

fn f1(found: &[f32], truth: &[f32], tol: f32) -> f32 {
    let mut used = vec![false; found.len()];
    let mut hits = 0;
    for &t in truth {
        if let Some(j) = (0..found.len()).find(|&j| !used[j] && (found[j] - t).abs() <= tol) {
            used[j] = true;
            hits += 1;
        }
    }
    let p = hits as f32 / found.len().max(1) as f32;
    let r = hits as f32 / truth.len().max(1) as f32;
    if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    }
}

/// Median signed offset (s) of the nearest detection within 150 ms of each true onset: a
/// detector latency, as opposed to misses.
fn median_offset(found: &[f32], truth: &[f32]) -> f32 {
    let mut d: Vec<f32> = truth
        .iter()
        .filter_map(|&t| {
            found
                .iter()
                .map(|&f| f - t)
                .filter(|o| o.abs() < 0.15)
                .min_by(|a, b| a.abs().total_cmp(&b.abs()))
        })
        .collect();
    d.sort_by(f32::total_cmp);
    d.get(d.len() / 2).copied().unwrap_or(f32::NAN)
}

/// Measures 5 and 6: a score played in a timbre.
fn play(args: &[String]) {
    use photophone_timbre::perform::{articulation, play, Note};
    let model = photophone_timbre::checkpoint::load(std::path::Path::new(&args[0]))
        .expect("timbre")
        .model;
    let c = &model.config;
    let art = articulation(&analyse(&load(&args[1]), RATE, c.hop), RATE, c.hop);
    let seconds: f64 = args[3].parse().expect("seconds");
    let notes: Vec<Note> = std::fs::read_to_string(&args[2])
        .expect("notes")
        .lines()
        .filter_map(|l| {
            let v: Vec<f64> = l.split_whitespace().filter_map(|x| x.parse().ok()).collect();
            (v.len() == 4).then(|| Note {
                start: v[0],
                duration: v[1],
                midi: v[2] as u8,
                velocity: v[3] as f32,
            })
        })
        .filter(|n| n.start < seconds)
        .collect();
    let synth = Synth::new(c.sample_rate, c.hop, c.noise_bands);
    let started = std::time::Instant::now();
    let y = play(&model, &synth, &notes, &art, seconds, 0);
    let render_s = started.elapsed().as_secs_f64();
    std::fs::write(&args[4], photophone_synth_wav(&y)).expect("write");
    // Score pitch per frame, from 50 ms after a note starts to its end.
    let t = track(&y, RATE, HOP);
    let (mut voiced, mut within, mut scored) = (0, 0, 0);
    for (i, (&f, &conf)) in t.f0.iter().zip(&t.confidence).enumerate() {
        let time = (i * HOP) as f64 / RATE as f64;
        let Some(n) = notes
            .iter()
            .rev()
            .find(|n| n.start + 0.05 <= time && time < n.start + n.duration)
        else {
            continue;
        };
        scored += 1;
        if conf >= photophone_timbre::pitch::VOICED {
            voiced += 1;
            let want = 440.0 * 2f32.powf((n.midi as f32 - 69.0) / 12.0);
            within += usize::from(cents(f, want).abs() < 50.0);
        }
    }
    let report = serde_json::json!({
        "seconds": seconds,
        "notes": notes.len(),
        "articulation": art,
        "note_frames": scored,
        "voiced_share_of_note_frames": voiced as f32 / scored.max(1) as f32,
        "pitch_within_50_cents_of_score": within as f32 / voiced.max(1) as f32,
        "render_seconds": render_s,
        "times_real_time": seconds / render_s,
    });
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
}

/// 16-bit mono WAV bytes.
fn photophone_synth_wav(y: &[f32]) -> Vec<u8> {
    let mut out = Vec::new();
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::new(std::io::Cursor::new(&mut out), spec).unwrap();
    for &v in y {
        w.write_sample((v.clamp(-1.0, 1.0) * 32767.0) as i16).unwrap();
    }
    w.finalize().unwrap();
    out
}

/// 13 MFCCs (DCT-II of the 64-band log-mel) per frame → their means and variances.
fn mfcc_stats(x: &[f32]) -> Vec<f32> {
    let mel = log_mel(x);
    let coeffs: Vec<[f32; 13]> = mel
        .iter()
        .map(|frame| {
            std::array::from_fn(|c| {
                frame
                    .iter()
                    .enumerate()
                    .map(|(b, v)| v * (std::f32::consts::PI * c as f32 * (b as f32 + 0.5) / 64.0).cos())
                    .sum::<f32>()
                    / 64.0
            })
        })
        .collect();
    let n = coeffs.len().max(1) as f32;
    let mean: Vec<f32> = (0..13)
        .map(|c| coeffs.iter().map(|f| f[c]).sum::<f32>() / n)
        .collect();
    let var: Vec<f32> = (0..13)
        .map(|c| coeffs.iter().map(|f| (f[c] - mean[c]).powi(2)).sum::<f32>() / n)
        .collect();
    mean.into_iter().chain(var).collect()
}

/// Nearest centroid over MFCC statistics (each dimension scaled by its spread over the
/// training segments): the share of `renders` (label, statistics) assigned to their timbre.
/// `with_level` keeps c0's mean, the recording's level — renders are mastered to −16 LUFS and
/// the clips are not, so with it the classifier partly hears volume rather than timbre.
fn classify(
    a: &[Vec<f32>],
    b: &[Vec<f32>],
    renders: &[(&str, Vec<f32>)],
    with_level: bool,
) -> Vec<&'static str> {
    let dims: Vec<usize> = (usize::from(!with_level)..a[0].len()).collect();
    let centroid = |s: &[Vec<f32>]| -> Vec<f32> {
        dims.iter()
            .map(|&d| s.iter().map(|v| v[d]).sum::<f32>() / s.len() as f32)
            .collect()
    };
    let (ca, cb) = (centroid(a), centroid(b));
    let all: Vec<&Vec<f32>> = a.iter().chain(b).collect();
    let spread: Vec<f32> = dims
        .iter()
        .map(|&d| {
            let m = all.iter().map(|v| v[d]).sum::<f32>() / all.len() as f32;
            (all.iter().map(|v| (v[d] - m).powi(2)).sum::<f32>() / all.len() as f32)
                .sqrt()
                .max(1e-6)
        })
        .collect();
    let dist = |v: &[f32], c: &[f32]| -> f32 {
        dims.iter()
            .zip(c)
            .zip(&spread)
            .map(|((&d, y), s)| ((v[d] - y) / s).powi(2))
            .sum()
    };
    renders
        .iter()
        .map(|(_, v)| if dist(v, &ca) <= dist(v, &cb) { "a" } else { "b" })
        .collect()
}

fn identity(args: &[String]) {
    let segments = |path: &str| -> Vec<Vec<f32>> {
        load(path)
            .chunks(10 * RATE as usize)
            .filter(|c| c.len() > RATE as usize * 5)
            .map(mfcc_stats)
            .collect()
    };
    let (a, b) = (segments(&args[0]), segments(&args[1]));
    let mut renders = Vec::new();
    for (dir, label) in [(&args[2], "a"), (&args[3], "b")] {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .expect("renders")
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            renders.push((label, name, mfcc_stats(&load(f.to_str().unwrap()))));
        }
    }
    let stats: Vec<(&str, Vec<f32>)> = renders.iter().map(|(l, _, v)| (*l, v.clone())).collect();
    let accuracy = |guesses: &[&str]| {
        let right = guesses.iter().zip(&stats).filter(|(g, (l, _))| *g == l).count();
        right as f32 / stats.len().max(1) as f32
    };
    let guesses = classify(&a, &b, &stats, false);
    let with_level = classify(&a, &b, &stats, true);
    let rows: Vec<_> = renders
        .iter()
        .zip(&guesses)
        .map(|((label, file, _), g)| serde_json::json!({"file": file, "timbre": label, "assigned": g}))
        .collect();
    let report = serde_json::json!({
        "accuracy": accuracy(&guesses),
        "accuracy_with_level": accuracy(&with_level),
        "renders": stats.len(),
        "assignments": rows,
    });
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 6 && args[1] == "identity" {
        return identity(&args[2..]);
    }
    if args.len() == 7 && args[1] == "play" {
        return play(&args[2..]);
    }
    if args.len() != 4 {
        eprintln!("usage: timbre_measure REF.wav RESYNTH.wav ONSETS.txt");
        std::process::exit(2);
    }
    let reference = load(&args[1]);
    let mut resynth = load(&args[2]);
    resynth.resize(reference.len(), 0.0);
    let truth: Vec<f32> = std::fs::read_to_string(&args[3])
        .expect("onsets")
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .filter(|&t: &f32| t * (RATE as f32) < reference.len() as f32 - 1024.0)
        .collect();
    let mel_ref = log_mel(&reference);
    let d_resynth = log_mel_distance(&mel_ref, &log_mel(&resynth));
    let d_saw = log_mel_distance(&mel_ref, &log_mel(&sawtooth_baseline(&reference)));
    let d_noise = log_mel_distance(&mel_ref, &log_mel(&noise_baseline(&reference)));
    let (tr, ty) = (track(&reference, RATE, HOP), track(&resynth, RATE, HOP));
    let cond = analyse(&reference, RATE, HOP);
    let voiced: Vec<usize> = (0..cond.voiced.len()).filter(|&i| cond.voiced[i]).collect();
    let on_pitch = voiced
        .iter()
        .filter(|&&i| cents(ty.f0[i], tr.f0[i]).abs() < 50.0)
        .count();
    let report = serde_json::json!({
        "seconds": reference.len() as f64 / RATE as f64,
        "logmel_db": {"resynth": d_resynth, "sawtooth_lowpass": d_saw, "stationary_noise": d_noise},
        "ratio_to_sawtooth": d_resynth / d_saw,
        "ratio_to_noise": d_resynth / d_noise,
        "onset_f1": {"resynth": f1(&onsets(&resynth), &truth, 0.05), "reference": f1(&onsets(&reference), &truth, 0.05)},
        "onsets_in_score": truth.len(),
        "onset_median_offset_ms": {"resynth": 1000.0 * median_offset(&onsets(&resynth), &truth), "reference": 1000.0 * median_offset(&onsets(&reference), &truth)},
        "onsets_detected": {"resynth": onsets(&resynth).len(), "reference": onsets(&reference).len()},
        "pitch_within_50_cents": on_pitch as f32 / voiced.len().max(1) as f32,
    });
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
}
