//! Fundamental frequency per frame: YIN (de Cheveigné & Kawahara, JASA 2002) with the
//! difference function computed through an FFT, parabolic interpolation of the dip, and the
//! dip's depth as a voicing confidence.
//!
//! Own implementation rather than the `pyin` crate: YIN is a page of code, and the pYIN
//! port's HMM over 2,000 pitch states costs more than the whole timbre model's training step.

use realfft::RealFftPlanner;

/// Samples of the integration window (32 ms at 16 kHz).
pub const WINDOW: usize = 512;
/// The lowest and highest pitch tracked.
pub const FMIN: f32 = 50.0;
pub const FMAX: f32 = 2000.0;
/// YIN's absolute threshold on the cumulative-mean-normalised difference.
const THRESHOLD: f32 = 0.1;
/// Frames whose best dip is deeper than this (normalised difference below it) are voiced.
pub const VOICED: f32 = 0.75;

/// A pitch track: one value per hop, frame `i` centred on sample `i * hop`.
#[derive(Clone, Debug, PartialEq)]
pub struct Track {
    /// Estimated f0 in Hz (the best dip even where unvoiced).
    pub f0: Vec<f32>,
    /// 1 − the normalised difference at the chosen lag: near 1 for a clean periodic frame.
    pub confidence: Vec<f32>,
}

impl Track {
    pub fn voiced(&self, i: usize) -> bool {
        self.confidence[i] >= VOICED
    }
}

/// Tracks `x` (at `rate` Hz) with one frame every `hop` samples.
pub fn track(x: &[f32], rate: u32, hop: usize) -> Track {
    let tau_max = (rate as f32 / FMIN).ceil() as usize;
    let tau_min = ((rate as f32 / FMAX).floor() as usize).max(2);
    let span = WINDOW + tau_max + 1;
    let n_fft = span.next_power_of_two();
    let mut planner = RealFftPlanner::<f32>::new();
    let fwd = planner.plan_fft_forward(n_fft);
    let inv = planner.plan_fft_inverse(n_fft);
    let frames = x.len() / hop + 1;
    let mut out = Track {
        f0: Vec::with_capacity(frames),
        confidence: Vec::with_capacity(frames),
    };
    let mut frame = vec![0f32; span];
    let mut a = fwd.make_input_vec();
    let mut b = fwd.make_input_vec();
    let mut sa = fwd.make_output_vec();
    let mut sb = fwd.make_output_vec();
    let mut corr = inv.make_output_vec();
    let mut d = vec![0f32; tau_max + 2];
    let mut squares = vec![0f64; span + 1];
    for i in 0..frames {
        let start = (i * hop) as isize - (span / 2) as isize;
        for (j, f) in frame.iter_mut().enumerate() {
            let t = start + j as isize;
            *f = if t >= 0 && (t as usize) < x.len() {
                x[t as usize]
            } else {
                0.0
            };
        }
        // Cross term Σ_j x_j x_{j+τ} by one correlation through the FFT (no wrap-around:
        // n_fft ≥ WINDOW + tau_max).
        a.fill(0.0);
        a[..WINDOW].copy_from_slice(&frame[..WINDOW]);
        b.fill(0.0);
        b[..span].copy_from_slice(&frame);
        fwd.process(&mut a, &mut sa).expect("fft sizes");
        fwd.process(&mut b, &mut sb).expect("fft sizes");
        for (p, q) in sa.iter_mut().zip(&sb) {
            *p = p.conj() * q;
        }
        sa[0].im = 0.0;
        let last = sa.len() - 1;
        sa[last].im = 0.0;
        inv.process(&mut sa, &mut corr).expect("fft sizes");
        squares[0] = 0.0;
        for j in 0..span {
            squares[j + 1] = squares[j] + (frame[j] as f64) * (frame[j] as f64);
        }
        let e0 = squares[WINDOW];
        let scale = 1.0 / n_fft as f64;
        for (tau, dv) in d.iter_mut().enumerate().take(tau_max + 1) {
            let et = squares[tau + WINDOW] - squares[tau];
            *dv = (e0 + et - 2.0 * corr[tau] as f64 * scale).max(0.0) as f32;
        }
        let (f0, conf) = pick(&mut d[..=tau_max], tau_min, rate);
        out.f0.push(f0);
        out.confidence.push(conf);
    }
    out
}

/// Turns the difference function into YIN's normalised form in place and picks the lag.
fn pick(d: &mut [f32], tau_min: usize, rate: u32) -> (f32, f32) {
    let tau_max = d.len() - 1;
    let mut running = 0f64;
    d[0] = 1.0;
    for (tau, v) in d.iter_mut().enumerate().skip(1) {
        running += *v as f64;
        *v = if running > 0.0 {
            (*v as f64 * tau as f64 / running) as f32
        } else {
            1.0
        };
    }
    // The first dip under the threshold, followed down to its minimum: the smallest lag that
    // repeats well, which keeps YIN off sub-octaves.
    let mut best = None;
    let mut tau = tau_min;
    while tau < tau_max {
        if d[tau] < THRESHOLD {
            while tau + 1 < tau_max && d[tau + 1] < d[tau] {
                tau += 1;
            }
            best = Some(tau);
            break;
        }
        tau += 1;
    }
    let tau = best.unwrap_or_else(|| {
        (tau_min..tau_max)
            .min_by(|&p, &q| d[p].total_cmp(&d[q]))
            .unwrap_or(tau_min)
    });
    let refined = parabolic(d, tau);
    let f0 = (rate as f32 / refined).clamp(FMIN, FMAX);
    (f0, (1.0 - d[tau]).clamp(0.0, 1.0))
}

/// The vertex of the parabola through the dip and its two neighbours.
fn parabolic(d: &[f32], tau: usize) -> f32 {
    if tau == 0 || tau + 1 >= d.len() {
        return tau as f32;
    }
    let (l, c, r) = (d[tau - 1], d[tau], d[tau + 1]);
    let den = l - 2.0 * c + r;
    if den.abs() < 1e-12 {
        return tau as f32;
    }
    tau as f32 + (0.5 * (l - r) / den).clamp(-1.0, 1.0)
}

/// Fills unvoiced frames' f0 by linear interpolation between voiced neighbours (held at the
/// ends), so the oscillators glide through rests instead of jumping to the tracker's guess.
pub fn fill_unvoiced(f0: &[f32], voiced: &[bool]) -> Vec<f32> {
    let known: Vec<usize> = (0..f0.len()).filter(|&i| voiced[i]).collect();
    if known.is_empty() {
        return vec![220.0; f0.len()];
    }
    let mut out = f0.to_vec();
    for (i, o) in out.iter_mut().enumerate() {
        if voiced[i] {
            continue;
        }
        let next = known.partition_point(|&k| k < i);
        *o = match (next.checked_sub(1).map(|p| known[p]), known.get(next)) {
            (Some(p), Some(&n)) => {
                let w = (i - p) as f32 / (n - p) as f32;
                // Geometric: a glide in pitch, not in Hz.
                (f0[p].ln() * (1.0 - w) + f0[n].ln() * w).exp()
            }
            (Some(p), None) => f0[p],
            (None, Some(&n)) => f0[n],
            (None, None) => 220.0,
        };
    }
    out
}

/// Cents between two frequencies.
pub fn cents(a: f32, b: f32) -> f32 {
    1200.0 * (a / b).log2()
}

#[cfg(test)]
mod tests {
    use super::*;
    const RATE: u32 = 16_000;

    /// Share of frames within 50 cents of `truth`, over frames `skip..len-skip`.
    fn accuracy(x: &[f32], truth: impl Fn(usize) -> f32, skip: usize) -> f32 {
        let t = track(x, RATE, 64);
        let n = t.f0.len() - 2 * skip;
        let good = (skip..t.f0.len() - skip)
            .filter(|&i| t.voiced(i) && cents(t.f0[i], truth(i * 64)).abs() < 50.0)
            .count();
        good as f32 / n as f32
    }

    fn saw(f: f32, n: usize, decay: f32) -> Vec<f32> {
        // Band-limited sawtooth: every harmonic below Nyquist, 1/k.
        let kmax = (RATE as f32 / 2.0 / f) as usize;
        (0..n)
            .map(|i| {
                let t = i as f32 / RATE as f32;
                let s: f32 = (1..=kmax)
                    .map(|k| (std::f32::consts::TAU * f * k as f32 * t).sin() / k as f32)
                    .sum();
                0.3 * s * (-decay * t).exp()
            })
            .collect()
    }

    #[test]
    fn sines_and_harmonic_rich_tones_across_the_range() {
        for &f in &[55.0, 82.4, 110.0, 196.0, 261.6, 440.0, 880.0, 1318.5] {
            let sine: Vec<f32> = (0..16_000)
                .map(|i| 0.5 * (std::f32::consts::TAU * f * i as f32 / RATE as f32).sin())
                .collect();
            let a = accuracy(&sine, |_| f, 8);
            assert!(a >= 0.99, "sine {f} Hz: {a}");
            let b = accuracy(&saw(f, 16_000, 0.0), |_| f, 8);
            assert!(b >= 0.99, "sawtooth {f} Hz: {b}");
            eprintln!(
                "{f} Hz: sine {:.1} %, sawtooth {:.1} % of frames within 50 cents",
                a * 100.0,
                b * 100.0
            );
        }
    }

    #[test]
    fn decaying_plucks_stay_on_pitch_while_audible() {
        // 40 dB of decay over the second: confidence may drop at the tail, the pitch must not
        // jump octaves while it is voiced.
        for &f in &[98.0, 220.0, 659.3] {
            let x = saw(f, 16_000, 4.6);
            let t = track(&x, RATE, 64);
            let voiced: Vec<usize> = (8..t.f0.len() - 8).filter(|&i| t.voiced(i)).collect();
            assert!(
                voiced.len() as f32 > 0.9 * (t.f0.len() - 16) as f32,
                "{f}: {}",
                voiced.len()
            );
            let good = voiced.iter().filter(|&&i| cents(t.f0[i], f).abs() < 50.0).count();
            assert!(
                good as f32 >= 0.99 * voiced.len() as f32,
                "{f}: {good}/{}",
                voiced.len()
            );
            eprintln!(
                "decaying {f} Hz: {} of {} frames voiced, {good} of them within 50 cents",
                voiced.len(),
                t.f0.len() - 16
            );
        }
    }

    #[test]
    fn vibrato_is_followed() {
        // 5.5 Hz vibrato of ±40 cents around A4.
        let mut phase = 0f32;
        let inst = |i: usize| {
            440.0 * 2f32.powf(40.0 / 1200.0 * (std::f32::consts::TAU * 5.5 * i as f32 / RATE as f32).sin())
        };
        let x: Vec<f32> = (0..32_000)
            .map(|i| {
                phase += std::f32::consts::TAU * inst(i) / RATE as f32;
                0.3 * (phase.sin() + 0.5 * (2.0 * phase).sin() + 0.25 * (3.0 * phase).sin())
            })
            .collect();
        let t = track(&x, RATE, 64);
        let within = (8..t.f0.len() - 8)
            .filter(|&i| cents(t.f0[i], inst(i * 64)).abs() < 15.0)
            .count();
        assert!(
            within as f32 >= 0.95 * (t.f0.len() - 16) as f32,
            "{within}/{}",
            t.f0.len()
        );
    }

    #[test]
    fn noise_and_silence_are_unvoiced() {
        let mut s = 7u64;
        let noise: Vec<f32> = (0..16_000)
            .map(|_| photophone_wavenet::train::gaussian(&mut s) * 0.3)
            .collect();
        let t = track(&noise, RATE, 64);
        let voiced = (0..t.f0.len()).filter(|&i| t.voiced(i)).count();
        assert!(
            voiced * 10 < t.f0.len(),
            "noise voiced in {voiced} of {} frames",
            t.f0.len()
        );
        let t = track(&vec![0.0; 8000], RATE, 64);
        assert!((0..t.f0.len()).all(|i| !t.voiced(i)));
    }

    #[test]
    fn unvoiced_gaps_glide() {
        let f = fill_unvoiced(&[100.0, 0.0, 0.0, 400.0, 0.0], &[true, false, false, true, false]);
        assert!(
            (f[1] - 158.74).abs() < 0.1 && (f[2] - 251.98).abs() < 0.1 && f[4] == 400.0,
            "{f:?}"
        );
    }
}
