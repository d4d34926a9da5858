//! The differentiable synthesizer: a harmonic oscillator bank whose phase is accumulated from
//! f0, plus filtered noise from the band bank. Controls are per frame (frame `i` at sample
//! `i * hop`) and interpolated linearly between frames; harmonics at or above Nyquist are
//! silent. Both parts are linear in the controls, so the backward pass is the same loops
//! with the roles of signal and gradient swapped.

use crate::noise::Bank;

/// Per-frame controls for `frames` frames.
pub struct Controls {
    pub frames: usize,
    pub harmonics: usize,
    pub bands: usize,
    /// `frames × harmonics`: each harmonic's amplitude.
    pub harmonic: Vec<f32>,
    /// `frames × bands`: each noise band's magnitude.
    pub noise: Vec<f32>,
}

impl Controls {
    pub fn zeros(frames: usize, harmonics: usize, bands: usize) -> Controls {
        Controls {
            frames,
            harmonics,
            bands,
            harmonic: vec![0.0; frames * harmonics],
            noise: vec![0.0; frames * bands],
        }
    }
}

/// Frames needed to synthesise `samples` samples.
pub fn frames_for(samples: usize, hop: usize) -> usize {
    samples.div_ceil(hop) + 1
}

/// Per-sample f0 (linear between frames) and the running phase, from `phase0`.
fn phases(f0: &[f32], hop: usize, samples: usize, rate: u32, phase0: f64) -> (Vec<f32>, Vec<f32>) {
    let mut freq = Vec::with_capacity(samples);
    let mut phase = Vec::with_capacity(samples);
    let mut p = phase0;
    let step = std::f64::consts::TAU / rate as f64;
    for t in 0..samples {
        let (i, w) = (t / hop, (t % hop) as f32 / hop as f32);
        let f = f0[i] * (1.0 - w) + f0[i + 1] * w;
        freq.push(f);
        phase.push(p as f32);
        p = (p + step * f as f64) % std::f64::consts::TAU;
    }
    (freq, phase)
}

/// The harmonics of one sample, `sin(kφ)` for k = 1.., zero from the first at or above
/// Nyquist, by the Chebyshev recurrence (one sin/cos per sample, not one per harmonic).
#[inline]
fn harmonics_at(phase: f32, freq: f32, nyquist: f32, out: &mut [f32]) {
    let (s1, c1) = phase.sin_cos();
    let two_c = 2.0 * c1;
    let (mut prev, mut cur) = (0.0f32, s1);
    let audible = ((nyquist / freq.max(1.0)).ceil() as usize).saturating_sub(1);
    for (k, o) in out.iter_mut().enumerate() {
        *o = if k < audible { cur } else { 0.0 };
        let next = two_c * cur - prev;
        prev = cur;
        cur = next;
    }
}

/// The synthesizer for one rate, hop and noise bank.
pub struct Synth {
    pub rate: u32,
    pub hop: usize,
    pub bank: Bank,
}

/// What the forward pass keeps for the backward pass.
pub struct Trace {
    freq: Vec<f32>,
    phase: Vec<f32>,
    noise_offset: usize,
}

impl Synth {
    pub fn new(rate: u32, hop: usize, bands: usize) -> Synth {
        Synth {
            rate,
            hop,
            bank: Bank::new(bands),
        }
    }

    /// Renders `samples` samples from frame-rate `f0` (Hz) and `c`; the noise starts at
    /// `noise_offset` in the bank's loop.
    pub fn forward(
        &self,
        f0: &[f32],
        c: &Controls,
        samples: usize,
        phase0: f64,
        noise_offset: usize,
    ) -> (Vec<f32>, Trace) {
        assert!(f0.len() >= frames_for(samples, self.hop) && c.frames >= frames_for(samples, self.hop));
        let (freq, phase) = phases(f0, self.hop, samples, self.rate, phase0);
        let nyquist = self.rate as f32 / 2.0;
        let (h, nb) = (c.harmonics, c.bands);
        let mut sines = vec![0f32; h];
        let mut y = vec![0f32; samples];
        for (t, out) in y.iter_mut().enumerate() {
            let (i, w) = (t / self.hop, (t % self.hop) as f32 / self.hop as f32);
            harmonics_at(phase[t], freq[t], nyquist, &mut sines);
            let a0 = &c.harmonic[i * h..(i + 1) * h];
            let a1 = &c.harmonic[(i + 1) * h..(i + 2) * h];
            let mut acc = 0f32;
            for k in 0..h {
                acc += (a0[k] + w * (a1[k] - a0[k])) * sines[k];
            }
            let m0 = &c.noise[i * nb..(i + 1) * nb];
            let m1 = &c.noise[(i + 1) * nb..(i + 2) * nb];
            let bands = self.bank.at(noise_offset + t);
            for b in 0..nb {
                acc += (m0[b] + w * (m1[b] - m0[b])) * bands[b];
            }
            *out = acc;
        }
        (
            y,
            Trace {
                freq,
                phase,
                noise_offset,
            },
        )
    }

    /// Adds the gradient of the loss w.r.t. the controls, given its gradient `g` w.r.t. the
    /// audio, into `grad` (shaped as the controls).
    pub fn backward(&self, trace: &Trace, g: &[f32], grad: &mut Controls) {
        let nyquist = self.rate as f32 / 2.0;
        let (h, nb) = (grad.harmonics, grad.bands);
        let mut sines = vec![0f32; h];
        for (t, &gt) in g.iter().enumerate() {
            let (i, w) = (t / self.hop, (t % self.hop) as f32 / self.hop as f32);
            harmonics_at(trace.phase[t], trace.freq[t], nyquist, &mut sines);
            let (g0, g1) = ((1.0 - w) * gt, w * gt);
            let (lo, hi) = grad.harmonic.split_at_mut((i + 1) * h);
            for k in 0..h {
                lo[i * h + k] += g0 * sines[k];
                hi[k] += g1 * sines[k];
            }
            let bands = self.bank.at(trace.noise_offset + t);
            let (lo, hi) = grad.noise.split_at_mut((i + 1) * nb);
            for b in 0..nb {
                lo[i * nb + b] += g0 * bands[b];
                hi[b] += g1 * bands[b];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_harmonic_is_a_sine_at_f0_and_above_nyquist_is_silent() {
        let s = Synth::new(16_000, 64, 4);
        let frames = frames_for(1600, 64);
        let mut c = Controls::zeros(frames, 3, 4);
        for i in 0..frames {
            c.harmonic[i * 3 + 1] = 0.5; // second harmonic of 3 kHz = 6 kHz
            c.harmonic[i * 3 + 2] = 1.0; // third = 9 kHz: above Nyquist
        }
        let (y, _) = s.forward(&vec![3000.0; frames], &c, 1600, 0.0, 0);
        for (t, v) in y.iter().enumerate() {
            let want = 0.5 * (std::f32::consts::TAU * 6000.0 * t as f32 / 16_000.0).sin();
            assert!((v - want).abs() < 2e-3, "{t}: {v} vs {want}");
        }
    }
}
