//! Log-mel features for local conditioning: frames of the audio the model re-synthesises,
//! repeated to one row per sample (the upsampling to the sample rate).

use rustfft::{num_complex::Complex32, FftPlanner};

/// FFT size and hop for a sample rate: ~32 ms windows, 75 % overlap.
pub fn frame_sizes(sample_rate: u32) -> (usize, usize) {
    let n_fft = ((sample_rate as f64 * 0.032) as usize).next_power_of_two();
    (n_fft, n_fft / 4)
}

/// Periodic Hann window of `n` samples (the analysis window of every frame here).
pub fn hann(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / n as f32).cos())
        .collect()
}

fn hz_to_mel(f: f32) -> f32 {
    2595.0 * (1.0 + f / 700.0).log10()
}

fn mel_to_hz(m: f32) -> f32 {
    700.0 * (10f32.powf(m / 2595.0) - 1.0)
}

/// Triangular mel filters (HTK scale) from 0 Hz to Nyquist: `bands × (n_fft / 2 + 1)`.
pub fn mel_filterbank(sample_rate: u32, n_fft: usize, bands: usize) -> Vec<Vec<f32>> {
    let bins = n_fft / 2 + 1;
    let top = hz_to_mel(sample_rate as f32 / 2.0);
    let edges: Vec<f32> = (0..bands + 2)
        .map(|i| mel_to_hz(top * i as f32 / (bands + 1) as f32))
        .collect();
    let bin_hz = sample_rate as f32 / n_fft as f32;
    (0..bands)
        .map(|b| {
            let (lo, mid, hi) = (edges[b], edges[b + 1], edges[b + 2]);
            (0..bins)
                .map(|k| {
                    let f = k as f32 * bin_hz;
                    if f <= lo || f >= hi {
                        0.0
                    } else if f <= mid {
                        (f - lo) / (mid - lo)
                    } else {
                        (hi - f) / (hi - mid)
                    }
                })
                .collect()
        })
        .collect()
}

/// Log-mel frames (natural log of power, floored at 1e-5): `frames × bands`, frame `j`
/// centred on sample `j · hop`.
pub fn log_mel(x: &[f32], sample_rate: u32, bands: usize) -> (Vec<f32>, usize) {
    let (n_fft, hop) = frame_sizes(sample_rate);
    let bank = mel_filterbank(sample_rate, n_fft, bands);
    let fft = FftPlanner::<f32>::new().plan_fft_forward(n_fft);
    let window = hann(n_fft);
    let frames = x.len() / hop + 1;
    let mut out = Vec::with_capacity(frames * bands);
    let mut buf = vec![Complex32::new(0.0, 0.0); n_fft];
    for j in 0..frames {
        let start = (j * hop) as isize - (n_fft / 2) as isize;
        for (i, c) in buf.iter_mut().enumerate() {
            let t = start + i as isize;
            let v = if t >= 0 && (t as usize) < x.len() {
                x[t as usize]
            } else {
                0.0
            };
            *c = Complex32::new(v * window[i], 0.0);
        }
        fft.process(&mut buf);
        let power: Vec<f32> = buf[..n_fft / 2 + 1].iter().map(|c| c.norm_sqr()).collect();
        for filter in &bank {
            let e: f32 = filter.iter().zip(&power).map(|(w, p)| w * p).sum();
            out.push(e.max(1e-5).ln());
        }
    }
    (out, hop)
}

/// Conditioning rows at the sample rate for a clip: the log-mel frame nearest each sample,
/// scaled to roughly unit range.
pub fn mel_conditioning(x: &[f32], sample_rate: u32, bands: usize) -> Vec<f32> {
    let (frames, hop) = log_mel(x, sample_rate, bands);
    let mut rows = Vec::with_capacity(x.len() * bands);
    for t in 0..x.len() {
        let j = ((t + hop / 2) / hop).min(frames.len() / bands - 1);
        rows.extend(frames[j * bands..(j + 1) * bands].iter().map(|v| (v + 5.0) / 5.0));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn a_tone_lights_up_its_band() {
        let sr = 16_000;
        let x: Vec<f32> = (0..sr)
            .map(|i| (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / sr as f32).sin())
            .collect();
        let (frames, _) = log_mel(&x, sr as u32, 40);
        let mid = &frames[40 * 60..40 * 61];
        let loudest = mid
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap()
            .0;
        // 1 kHz on a 40-band HTK scale up to 8 kHz sits in band ~13.
        assert!((11..=15).contains(&loudest), "band {loudest}");
        assert_eq!(mel_conditioning(&x, sr as u32, 40).len(), x.len() * 40);
    }
}
