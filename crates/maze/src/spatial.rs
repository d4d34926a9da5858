//! One voice placed around the listener's head: walls' low-pass, level, each ear's arrival
//! delay and each ear's head-related impulse response, all moving smoothly within a block.
//!
//! Method (chosen by measurement, see BENCHMARKS.md "Maze engine"): per-voice convolution
//! with the measured minimum-phase responses, with the interaural delay as a separate
//! fractional delay. A minimum-phase response is short (the delay is taken out of it), so a
//! voice costs two short FIRs per ear — and two only while its direction is changing, when
//! the block cross-fades from the old filters to the new ones, which is what keeps a moving
//! source free of clicks. (This is hand-written: no crate offers a block FIR with a
//! cross-fade and fractional delays over a caller's HRTF; `hrtf` 0.9 convolves a sphere and
//! clicks on fast-moving sources by its own docs.)

use crate::hrtf::Hrtf;

/// Where the voice is and how it sounds this block.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Placement {
    /// Degrees clockwise from where the listener looks.
    pub azimuth: f32,
    /// Amplitude the voice reaches the head with.
    pub gain: f32,
    /// Low-pass cutoff the walls and corners leave, Hz.
    pub cutoff_hz: f32,
}

/// Below this change of direction the filters are kept (a cross-fade costs a second FIR per
/// ear): about the smallest change of direction a listener notices straight ahead (the
/// minimum audible angle, ~1°), and a fifth of the measured set's 5° spacing.
const STILL_DEGREES: f32 = 1.0;

/// The per-voice state of the binaural renderer.
pub struct Binaural {
    taps: usize,
    sample_rate: f32,
    /// Filters in use: left then right, `taps` each; and the ones being faded to.
    filters: Vec<f32>,
    next_filters: Vec<f32>,
    azimuth: Option<f32>,
    /// Each ear's delay (samples) at the end of the last block.
    delays: [f32; 2],
    /// Recent input, for the fractional delays: the newest sample at `ring_at - 1`.
    ring: Vec<f32>,
    ring_at: usize,
    /// Each ear's delayed input: `taps - 1` samples of history, then the block.
    ears: [Vec<f32>; 2],
    gain: f32,
    /// Two one-pole low-passes in series (walls and corners).
    lowpass: [f32; 2],
    /// The block after low-pass and gain; the two filters' outputs during a cross-fade.
    scratch: Vec<f32>,
    faded: [Vec<f32>; 2],
}

/// Longest block [`Binaural::process`] takes (an AudioWorklet's is 128).
pub const MAX_BLOCK: usize = 1024;

impl Binaural {
    /// A voice's renderer for this HRTF set (its taps, delays and sample rate).
    pub fn new(hrtf: &Hrtf) -> Binaural {
        let taps = hrtf.taps();
        let max_delay = (hrtf.max_delay_s() * hrtf.sample_rate() as f32).ceil() as usize + 2;
        Binaural {
            taps,
            sample_rate: hrtf.sample_rate() as f32,
            filters: vec![0.0; 2 * taps],
            next_filters: vec![0.0; 2 * taps],
            azimuth: None,
            delays: [0.0; 2],
            // A sample is read up to `max_delay` after the block that wrote it.
            ring: vec![0.0; (MAX_BLOCK + max_delay + 2).next_power_of_two()],
            ring_at: 0,
            ears: [Vec::new(), Vec::new()],
            gain: 0.0,
            lowpass: [0.0; 2],
            scratch: Vec::new(),
            faded: [Vec::new(), Vec::new()],
        }
    }

    /// Places `input` (mono) and adds its two ears into `left` and `right`. Level, delays and
    /// the low-pass glide from the last block's values to these across the block.
    pub fn process(
        &mut self,
        hrtf: &Hrtf,
        input: &[f32],
        at: Placement,
        left: &mut [f32],
        right: &mut [f32],
    ) {
        let n = input.len();
        assert!(n <= MAX_BLOCK, "blocks of at most {MAX_BLOCK} frames");
        self.scratch.clear();
        self.scratch.extend_from_slice(input);
        self.apply_lowpass(at.cutoff_hz);
        self.apply_gain(at.gain);
        let (fade, delays) = self.choose_filters(hrtf, at.azimuth);
        self.delay_into_ears(delays, n);
        let taps = self.taps;
        for (ear, out) in [left, right].into_iter().enumerate() {
            let x = &self.ears[ear];
            let now = &self.filters[ear * taps..(ear + 1) * taps];
            if fade {
                let next = &self.next_filters[ear * taps..(ear + 1) * taps];
                convolve_fading(x, [now, next], &mut self.faded, out);
            } else {
                convolve_add(x, now, out);
            }
        }
        if fade {
            std::mem::swap(&mut self.filters, &mut self.next_filters);
        }
    }

    /// The last block as it reached the head: low-passed by the walls, at its level.
    pub fn placed_input(&self) -> &[f32] {
        &self.scratch
    }

    /// Whether the block cross-fades to new filters, and the ears' delays (samples) it
    /// glides to.
    fn choose_filters(&mut self, hrtf: &Hrtf, azimuth: f32) -> (bool, [f32; 2]) {
        let taps = self.taps;
        let moved = self
            .azimuth
            .is_none_or(|a| crate::walk::shorter_arc(a - azimuth).abs() > STILL_DEGREES);
        if !moved {
            return (false, self.delays);
        }
        let (l, r) = self.next_filters.split_at_mut(taps);
        let (dl, dr) = hrtf.filters(azimuth, l, r);
        let delays = [dl * self.sample_rate, dr * self.sample_rate];
        if self.azimuth.is_none() {
            // The first block starts where it is: nothing to fade from.
            self.filters.copy_from_slice(&self.next_filters);
            self.delays = delays;
            self.azimuth = Some(azimuth);
            return (false, delays);
        }
        self.azimuth = Some(azimuth);
        (true, delays)
    }

    fn apply_lowpass(&mut self, cutoff_hz: f32) {
        let c = (-std::f32::consts::TAU * cutoff_hz.min(0.45 * self.sample_rate) / self.sample_rate).exp();
        let [mut a, mut b] = self.lowpass;
        for x in &mut self.scratch {
            a = *x + c * (a - *x);
            b = a + c * (b - a);
            *x = b;
        }
        self.lowpass = [a, b];
    }

    fn apply_gain(&mut self, gain: f32) {
        let n = self.scratch.len() as f32;
        let (from, step) = (self.gain, (gain - self.gain) / n);
        for (i, x) in self.scratch.iter_mut().enumerate() {
            *x *= from + step * (i + 1) as f32;
        }
        self.gain = gain;
    }

    /// Writes the block into the ring and reads each ear's copy at its delay, gliding from
    /// the last block's delay (linear interpolation between samples).
    fn delay_into_ears(&mut self, delays: [f32; 2], n: usize) {
        let mask = self.ring.len() - 1;
        let start = self.ring_at;
        for (i, &x) in self.scratch.iter().enumerate() {
            self.ring[(start + i) & mask] = x;
        }
        self.ring_at = (start + n) & mask;
        let keep = self.taps - 1;
        for (ear, &delay) in delays.iter().enumerate() {
            let from = self.delays[ear];
            let step = (delay - from) / n as f32;
            // The last block's newest `keep` samples become this block's history.
            let buf = &mut self.ears[ear];
            if buf.len() < keep {
                buf.resize(keep, 0.0);
            }
            let len = buf.len();
            buf.copy_within(len - keep..len, 0);
            buf.resize(keep + n, 0.0);
            for i in 0..n {
                let d = from + step * (i + 1) as f32;
                let whole = d.floor();
                let frac = d - whole;
                let newest = start + i + self.ring.len();
                let a = self.ring[(newest - whole as usize) & mask];
                let b = self.ring[(newest - whole as usize - 1) & mask];
                buf[keep + i] = a + frac * (b - a);
            }
        }
        self.delays = delays;
    }
}

/// `out[i] += Σ_k h[k]·x[taps-1+i-k]`, with `x` holding `taps - 1` samples of history. The
/// loop over samples is innermost so it vectorises.
fn convolve_add(x: &[f32], h: &[f32], out: &mut [f32]) {
    let taps = h.len();
    for (k, &hk) in h.iter().enumerate() {
        let xs = &x[taps - 1 - k..taps - 1 - k + out.len()];
        out.iter_mut().zip(xs).for_each(|(o, &v)| *o += hk * v);
    }
}

/// The same through two filters, the first fading linearly into the second across the block
/// (`faded` holds their outputs).
fn convolve_fading(x: &[f32], filters: [&[f32]; 2], faded: &mut [Vec<f32>; 2], out: &mut [f32]) {
    let n = out.len();
    for (y, h) in faded.iter_mut().zip(filters) {
        y.clear();
        y.resize(n, 0.0);
        convolve_add(x, h, y);
    }
    let step = 1.0 / n as f32;
    for (i, o) in out.iter_mut().enumerate() {
        let w = step * (i + 1) as f32;
        *o += faded[0][i] + w * (faded[1][i] - faded[0][i]);
    }
}
