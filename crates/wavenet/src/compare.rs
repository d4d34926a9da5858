//! How close generated audio is to a reference clip: the figures the 8-second experiment
//! reports (`bench/reproduce_clip.sh`, `examples/clip_report.rs`).
//!
//! Distances are mean absolute differences of log-mel spectra in dB over frames aligned by
//! index (both signals start at the same sample), 64 bands by default.

use crate::features::{frame_sizes, log_mel};

/// Natural-log power → dB.
const LN_TO_DB: f32 = 10.0 / std::f32::consts::LN_10;

/// Mean absolute log-mel difference in dB between `a` and `b` over their common length.
pub fn mel_distance_db(a: &[f32], b: &[f32], sample_rate: u32, bands: usize) -> f32 {
    let n = a.len().min(b.len());
    let (fa, _) = log_mel(&a[..n], sample_rate, bands);
    let (fb, _) = log_mel(&b[..n], sample_rate, bands);
    let sum: f64 = fa
        .iter()
        .zip(&fb)
        .map(|(x, y)| ((x - y).abs() * LN_TO_DB) as f64)
        .sum();
    (sum / fa.len().max(1) as f64) as f32
}

/// [`mel_distance_db`] band by band (low to high): where a distance comes from.
pub fn mel_distance_per_band_db(a: &[f32], b: &[f32], sample_rate: u32, bands: usize) -> Vec<f32> {
    let n = a.len().min(b.len());
    let (fa, _) = log_mel(&a[..n], sample_rate, bands);
    let (fb, _) = log_mel(&b[..n], sample_rate, bands);
    let frames = (fa.len() / bands).max(1);
    let mut sums = vec![0f64; bands];
    for (row_a, row_b) in fa.chunks_exact(bands).zip(fb.chunks_exact(bands)) {
        for ((sum, x), y) in sums.iter_mut().zip(row_a).zip(row_b) {
            *sum += ((x - y).abs() * LN_TO_DB) as f64;
        }
    }
    sums.into_iter().map(|s| (s / frames as f64) as f32).collect()
}

pub fn rms(x: &[f32]) -> f32 {
    (x.iter().map(|v| (v * v) as f64).sum::<f64>() / x.len().max(1) as f64).sqrt() as f32
}

/// Gaussian white noise with the same RMS as `like` (deterministic per seed).
pub fn loudness_matched_noise(like: &[f32], seed: u64) -> Vec<f32> {
    let target = rms(like);
    let mut state = seed;
    (0..like.len())
        .map(|_| photophone_rng::gaussian(&mut state) * target)
        .collect()
}

/// Spectral flatness (geometric over arithmetic mean of the power spectrum), averaged over
/// the analysis frames of `x`: ~0.5 or more for white noise, ≪ 0.1 for pitched sound.
pub fn spectral_flatness(x: &[f32], sample_rate: u32) -> f32 {
    use rustfft::{num_complex::Complex32, FftPlanner};
    let (n_fft, hop) = frame_sizes(sample_rate);
    if x.len() < n_fft {
        return 0.0;
    }
    let fft = FftPlanner::<f32>::new().plan_fft_forward(n_fft);
    let window = crate::features::hann(n_fft);
    let mut buf = vec![Complex32::new(0.0, 0.0); n_fft];
    let (mut total, mut frames) = (0.0f64, 0usize);
    for start in (0..=x.len() - n_fft).step_by(hop) {
        for (i, c) in buf.iter_mut().enumerate() {
            *c = Complex32::new(x[start + i] * window[i], 0.0);
        }
        fft.process(&mut buf);
        let power: Vec<f64> = buf[1..n_fft / 2]
            .iter()
            .map(|c| c.norm_sqr() as f64 + 1e-12)
            .collect();
        let geo = (power.iter().map(|p| p.ln()).sum::<f64>() / power.len() as f64).exp();
        let arith = power.iter().sum::<f64>() / power.len() as f64;
        total += geo / arith;
        frames += 1;
    }
    (total / frames as f64) as f32
}

/// One window of generated audio next to the same window of the reference.
#[derive(Clone, Debug)]
pub struct Window {
    pub start_s: f32,
    /// Generated RMS over reference RMS, in dB.
    pub level_db: f32,
    pub flatness: f32,
    pub distance_db: f32,
    /// The same distance for loudness-matched white noise in place of the generation.
    pub noise_distance_db: f32,
}

impl Window {
    /// Generation fell silent where the reference sounds (≥ 30 dB quieter).
    pub fn is_silent(&self) -> bool {
        self.level_db < -30.0
    }
    /// Generation blew up: much louder than the reference, or as flat as white noise.
    pub fn is_blow_up(&self) -> bool {
        !self.is_silent() && (self.level_db > 12.0 || self.flatness > 0.3)
    }
    /// Generation lost the reference: hardly closer to it than white noise is (80 % of the
    /// noise's distance or more).
    pub fn is_lost(&self) -> bool {
        self.distance_db >= 0.8 * self.noise_distance_db
    }
}

/// Splits the common length of `generated` and `reference` into windows of `seconds`.
pub fn windows(
    generated: &[f32],
    reference: &[f32],
    sample_rate: u32,
    bands: usize,
    seconds: f32,
) -> Vec<Window> {
    let n = generated.len().min(reference.len());
    let w = (seconds * sample_rate as f32) as usize;
    (0..n / w)
        .map(|k| {
            let (g, r) = (&generated[k * w..(k + 1) * w], &reference[k * w..(k + 1) * w]);
            Window {
                start_s: (k * w) as f32 / sample_rate as f32,
                level_db: 20.0 * ((rms(g) + 1e-9) / (rms(r) + 1e-9)).log10(),
                flatness: spectral_flatness(g, sample_rate),
                distance_db: mel_distance_db(g, r, sample_rate, bands),
                noise_distance_db: mel_distance_db(
                    &loudness_matched_noise(r, k as u64 + 1),
                    r,
                    sample_rate,
                    bands,
                ),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(f: f32, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| 0.3 * (2.0 * std::f32::consts::PI * f * i as f32 / 16_000.0).sin())
            .collect()
    }

    #[test]
    fn distance_is_zero_for_itself_and_large_for_noise() {
        let x = tone(440.0, 16_000);
        assert_eq!(mel_distance_db(&x, &x, 16_000, 64), 0.0);
        let noise = loudness_matched_noise(&x, 7);
        assert!((rms(&noise) / rms(&x) - 1.0).abs() < 0.02, "rms {}", rms(&noise));
        let d = mel_distance_db(&x, &noise, 16_000, 64);
        assert!(d > 10.0, "noise distance {d}");
        // A slightly detuned tone is far closer than noise.
        let near = mel_distance_db(&x, &tone(445.0, 16_000), 16_000, 64);
        assert!(near < d / 4.0, "{near} vs {d}");
    }

    #[test]
    fn per_band_distances_average_to_the_distance_and_locate_the_difference() {
        let (x, y) = (tone(440.0, 16_000), tone(2_000.0, 16_000));
        let per_band = mel_distance_per_band_db(&x, &y, 16_000, 64);
        assert_eq!(per_band.len(), 64);
        let mean = per_band.iter().sum::<f32>() / 64.0;
        let whole = mel_distance_db(&x, &y, 16_000, 64);
        assert!((mean - whole).abs() < 1e-3 * whole, "{mean} vs {whole}");
        // The bands holding either tone differ most; the top band holds neither.
        let loudest = per_band.iter().cloned().fold(0f32, f32::max);
        assert!(per_band[63] < loudest / 4.0, "{} vs {loudest}", per_band[63]);
    }

    #[test]
    fn flatness_tells_noise_from_tone_and_windows_flag_failures() {
        let x = tone(330.0, 16_000);
        let noise = loudness_matched_noise(&x, 3);
        assert!(spectral_flatness(&x, 16_000) < 0.05);
        assert!(spectral_flatness(&noise, 16_000) > 0.4);
        let silent = vec![0.0; 16_000];
        let w = windows(&silent, &x, 16_000, 64, 0.5);
        assert_eq!(w.len(), 2);
        assert!(w.iter().all(|w| w.is_silent() && !w.is_blow_up()));
        let w = windows(&noise, &x, 16_000, 64, 0.5);
        assert!(w.iter().all(|w| w.is_blow_up() && !w.is_silent() && w.is_lost()));
        let w = windows(&x, &x, 16_000, 64, 0.5);
        assert!(w
            .iter()
            .all(|w| !w.is_blow_up() && !w.is_silent() && !w.is_lost()));
    }
}
