//! Loudness per frame: A-weighted power in dB (as DDSP's conditioning), one frame per hop.

use realfft::RealFftPlanner;

/// The analysis window (64 ms at 16 kHz: resolves the A-weighting's low end).
pub const WINDOW: usize = 1024;
/// The floor: digital silence reads as this.
pub const FLOOR_DB: f32 = -100.0;

/// A-weighting as a power gain at `f` Hz (IEC 61672; 0 dB at 1 kHz).
pub fn a_weight_power(f: f32) -> f32 {
    let f2 = (f as f64) * (f as f64);
    let num = 12194f64.powi(2) * f2 * f2;
    let den = (f2 + 20.6f64.powi(2))
        * ((f2 + 107.7f64.powi(2)) * (f2 + 737.9f64.powi(2))).sqrt()
        * (f2 + 12194f64.powi(2));
    let amp = num / den * 10f64.powf(2.0 / 20.0);
    (amp * amp) as f32
}

/// A-weighted loudness in dB of each frame centred on `i * hop`: a full-scale 1 kHz sine
/// reads −3 dB (its mean square).
pub fn loudness(x: &[f32], rate: u32, hop: usize) -> Vec<f32> {
    let mut planner = RealFftPlanner::<f32>::new();
    let fft = planner.plan_fft_forward(WINDOW);
    let window: Vec<f32> = (0..WINDOW)
        .map(|n| 0.5 - 0.5 * (std::f32::consts::TAU * n as f32 / WINDOW as f32).cos())
        .collect();
    let norm = 2.0 / (WINDOW as f32 * window.iter().map(|w| w * w).sum::<f32>());
    let weights: Vec<f32> = (0..=WINDOW / 2)
        .map(|k| a_weight_power(k as f32 * rate as f32 / WINDOW as f32) * norm)
        .collect();
    let mut input = fft.make_input_vec();
    let mut spec = fft.make_output_vec();
    (0..x.len() / hop + 1)
        .map(|i| {
            let start = (i * hop) as isize - (WINDOW / 2) as isize;
            for (j, v) in input.iter_mut().enumerate() {
                let t = start + j as isize;
                *v = if t >= 0 && (t as usize) < x.len() {
                    x[t as usize] * window[j]
                } else {
                    0.0
                };
            }
            fft.process(&mut input, &mut spec).expect("fft sizes");
            let p: f32 = spec.iter().zip(&weights).map(|(c, w)| c.norm_sqr() * w).sum();
            (10.0 * (p + 1e-10).log10()).max(FLOOR_DB)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(f: f32, a: f32) -> Vec<f32> {
        (0..16_000)
            .map(|i| a * (std::f32::consts::TAU * f * i as f32 / 16_000.0).sin())
            .collect()
    }

    #[test]
    fn a_sine_reads_its_mean_square_weighted() {
        let l = loudness(&sine(1000.0, 1.0), 16_000, 64);
        assert!((l[100] + 3.0).abs() < 0.2, "{}", l[100]);
        let l = loudness(&sine(1000.0, 0.1), 16_000, 64);
        assert!((l[100] + 23.0).abs() < 0.2, "{}", l[100]);
        // A-weighting: 100 Hz is 19.1 dB down.
        let l = loudness(&sine(100.0, 1.0), 16_000, 64);
        assert!((l[100] + 3.0 + 19.1).abs() < 0.5, "{}", l[100]);
        let l = loudness(&vec![0.0; 4000], 16_000, 64);
        assert!(l.iter().all(|&v| v == FLOOR_DB));
    }
}
