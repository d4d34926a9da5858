//! A fixed bank of band-limited noises: band `b` of a seeded white noise, cut out in the
//! frequency domain so the bank loops without a seam. Filtered noise is then a per-sample
//! weighted sum of these bands, linear in the band magnitudes, so its gradient is exact and
//! cheap (DDSP filters fresh noise per frame with an FIR designed from the magnitudes; a
//! fixed bank gives the same spectral envelope control without a convolution per frame).

use realfft::{num_complex::Complex32, RealFftPlanner};

/// Samples in the bank's loop (4.1 s at 16 kHz: no audible repetition in a held note).
pub const LENGTH: usize = 1 << 16;
const SEED: u64 = 0x7469_6d62_7265;

/// `LENGTH × bands` samples, sample-major: `data[t * bands + b]`.
pub struct Bank {
    pub bands: usize,
    pub data: Vec<f32>,
}

impl Bank {
    /// Bands equally wide from 0 Hz to Nyquist; together they sum to unit-variance white noise.
    pub fn new(bands: usize) -> Bank {
        let mut planner = RealFftPlanner::<f32>::new();
        let fwd = planner.plan_fft_forward(LENGTH);
        let inv = planner.plan_fft_inverse(LENGTH);
        let mut rng = SEED;
        let mut white: Vec<f32> = (0..LENGTH)
            .map(|_| photophone_wavenet::train::gaussian(&mut rng))
            .collect();
        let mut spec = fwd.make_output_vec();
        fwd.process(&mut white, &mut spec).expect("fft sizes");
        let bins = spec.len();
        let mut data = vec![0f32; LENGTH * bands];
        let mut band_spec = vec![Complex32::new(0.0, 0.0); bins];
        let mut out = inv.make_output_vec();
        for b in 0..bands {
            let lo = b * bins / bands;
            let hi = (b + 1) * bins / bands;
            band_spec.fill(Complex32::new(0.0, 0.0));
            band_spec[lo..hi].copy_from_slice(&spec[lo..hi]);
            band_spec[0].im = 0.0;
            band_spec[bins - 1].im = 0.0;
            inv.process(&mut band_spec, &mut out).expect("fft sizes");
            for (t, v) in out.iter().enumerate() {
                data[t * bands + b] = v / LENGTH as f32;
            }
        }
        Bank { bands, data }
    }

    /// The bands at sample `t` of the loop.
    #[inline]
    pub fn at(&self, t: usize) -> &[f32] {
        let i = t % LENGTH;
        &self.data[i * self.bands..(i + 1) * self.bands]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_sum_to_white_noise_and_split_its_power() {
        let bank = Bank::new(16);
        let total: Vec<f32> = (0..LENGTH).map(|t| bank.at(t).iter().sum()).collect();
        let var = total.iter().map(|v| v * v).sum::<f32>() / LENGTH as f32;
        assert!((var - 1.0).abs() < 0.05, "{var}");
        for b in 0..16 {
            let p = (0..LENGTH).map(|t| bank.at(t)[b].powi(2)).sum::<f32>() / LENGTH as f32;
            assert!((p * 16.0 - 1.0).abs() < 0.15, "band {b}: {p}");
        }
    }
}
