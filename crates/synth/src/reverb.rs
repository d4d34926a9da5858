//! fundsp's `reverb_stereo` (a 32-channel feedback delay network), computed a block at a time.
//!
//! fundsp runs the network's feedback loop (`fdn`, a `Feedback` node) one sample at a time
//! through 32 boxed-up delay lines and FIR filters, and the input split and panned output sum
//! around it as graph nodes in 64-sample blocks: that was the heaviest thread of a render.
//! The network's shortest delay line is far longer than a block (≥ 159 samples even for a 1-m
//! room at 44.1 kHz), so a whole block of delay outputs depends only on inputs from earlier
//! blocks: each stage runs over the block at once (the compiler vectorises it across samples),
//! in blocks of up to [`BLOCK`] samples rather than fundsp's 64. Every sample goes through
//! exactly the same floating-point operations in the same order as in fundsp 0.23, so the
//! output is bit-identical (a test checks this against `fundsp::prelude32::reverb_stereo`).
//! No library offers a block-processed FDN with fundsp's exact tuning, hence this file.

use fundsp::prelude32::*;

/// Channels of the network.
const N: usize = 32;
/// Longest block the network is run over at once (it is also cut at the shortest delay).
const BLOCK: usize = 512;
/// Delay line lengths for a 10-m room, from fundsp's `reverb_stereo`.
const DELAYS: [f64; N] = [
    0.073904, 0.052918, 0.066238, 0.066387, 0.037783, 0.080073, 0.050961, 0.075900, 0.043646, 0.072095,
    0.056194, 0.045961, 0.058934, 0.068016, 0.047529, 0.058156, 0.072972, 0.036084, 0.062715, 0.076377,
    0.044339, 0.076725, 0.077884, 0.046126, 0.067741, 0.049800, 0.051709, 0.082923, 0.070121, 0.079315,
    0.055039, 0.081859,
];

/// Stereo in, stereo wet out: `fundsp::prelude32::reverb_stereo(room_size, time, damping)`,
/// sample for sample. Channel `c` of the network is fed input channel `c % 2` (fundsp's
/// `multisplit`), and its output is panned (its `pan` weights) into the stereo sum.
pub struct Reverb {
    /// The damping FIR's three taps, oldest first.
    weights: [f32; 3],
    /// Delay of each line in samples (fundsp's `Delay` rounds to the nearest sample).
    delay: [usize; N],
    /// Samples per block: the shortest delay, at most [`BLOCK`].
    step: usize,
    /// Past network inputs of each line (the delay line), `delay + step + 2` long.
    lines: Vec<Vec<f32>>,
    /// Where the next input goes in each line.
    write: [usize; N],
    /// The diffused feedback that is added to the next input (fundsp's `Feedback::value`).
    value: [f32; N],
    /// Left and right equal-power weights of each channel's output (fundsp's S-shaped spread).
    pan: [[f32; 2]; N],
    /// Line outputs through the FIR (the network's outputs), `N` rows of `step`.
    y: Vec<f32>,
    /// The same, diffused.
    h: Vec<f32>,
    /// A line's window when it wraps around, then the next inputs of a line.
    d: Vec<f32>,
}

impl Reverb {
    pub fn new(room_size: f32, time: f32, damping: f32, sample_rate: f64) -> Reverb {
        // fundsp's 32-bit prelude converts to f64 and calls the 64-bit one; the same here.
        let (room_size, time, damping) = (room_size as f64, time as f64, damping as f64);
        let a = pow(db_amp(-60.0), 0.03 * room_size / 10.0 / time) as f32;
        let w = fir3(1.0 - damping as f32).weights() * Frame::splat(a);
        // A line under one sample would feed its input straight out, which blocks cannot do;
        // that takes a room under ~6 mm, and scores are bounded to rooms of at least 1 m.
        let delay = DELAYS.map(|d| std::cmp::max(round(d * room_size / 10.0 * sample_rate) as usize, 1));
        let step = std::cmp::min(delay.iter().copied().min().unwrap_or(1), BLOCK);
        // fundsp's `sumf` spreads channel i at x = i / 31 (as f32); its panner's weights are
        // read back by panning a unit sample, so they are exactly fundsp's.
        let pan = std::array::from_fn(|i| {
            let x = (i as f64 / (N - 1) as f64) as f32;
            let out = pan(lerp(-1.0, 1.0, smooth9(x))).tick(&Frame::from([1.0]));
            [out[0], out[1]]
        });
        Reverb {
            weights: [w[0], w[1], w[2]],
            delay,
            step,
            lines: delay.iter().map(|&d| vec![0.0; d + step + 2]).collect(),
            write: [0; N],
            value: [0.0; N],
            pan,
            y: vec![0.0; N * step],
            h: vec![0.0; N * step],
            d: vec![0.0; step + 2],
        }
    }

    /// Writes the wet signal for `input` (left, right) into `output`; all four the same length.
    pub fn process(&mut self, input: [&[f32]; 2], output: [&mut [f32]; 2]) {
        // As fundsp's `Feedback` does (flush-to-zero for the thread): the same results on tiny values.
        fundsp::denormal::prevent_denormals();
        let [out_l, out_r] = output;
        let mut done = 0;
        while done < input[0].len() {
            let n = std::cmp::min(self.step, input[0].len() - done);
            let span = done..done + n;
            self.block([&input[0][span.clone()], &input[1][span.clone()]]);
            self.mix_down([&mut out_l[span.clone()], &mut out_r[span]]);
            done += n;
        }
    }

    /// Feeds one block (no longer than the shortest delay) through the network; its outputs
    /// are left in `self.y`.
    fn block(&mut self, input: [&[f32]; 2]) {
        let n = input[0].len();
        self.line_outputs(n);
        self.diffuse(n);
        self.feed_back(input);
    }

    /// Each line's output over the block: its input `delay` samples back, through the FIR.
    fn line_outputs(&mut self, n: usize) {
        let [w0, w1, w2] = self.weights;
        let step = self.step;
        for c in 0..N {
            let line = &self.lines[c];
            let len = line.len();
            // The FIR also needs the two samples before; all were written by earlier blocks.
            let start = (self.write[c] + len - self.delay[c] - 2) % len;
            let d: &[f32] = if start + n + 2 <= len {
                &line[start..start + n + 2]
            } else {
                let first = len - start;
                self.d[..first].copy_from_slice(&line[start..]);
                self.d[first..n + 2].copy_from_slice(&line[..n + 2 - first]);
                &self.d[..n + 2]
            };
            for (i, y) in self.y[c * step..c * step + n].iter_mut().enumerate() {
                // fundsp's `Fir::tick`: a sum from 0.0 over the taps, oldest first.
                let mut acc = 0.0;
                acc += w0 * d[i];
                acc += w1 * d[i + 1];
                acc += w2 * d[i + 2];
                *y = acc;
            }
        }
        // Only the block's part of each row (a stream's blocks are far shorter than a row).
        for (h, y) in self.h.chunks_exact_mut(step).zip(self.y.chunks_exact(step)) {
            h[..n].copy_from_slice(&y[..n]);
        }
    }

    /// fundsp's `FrameHadamard` over the block: butterflies in its order, each over the block.
    fn diffuse(&mut self, n: usize) {
        let step = self.step;
        let mut span = 1;
        while span < N {
            let mut i = 0;
            while i < N {
                for j in i..i + span {
                    let (lo, hi) = self.h.split_at_mut((j + span) * step);
                    butterfly(&mut lo[j * step..j * step + n], &mut hi[..n]);
                }
                i += span * 2;
            }
            span *= 2;
        }
    }

    /// Writes each line's next inputs: the block's input plus the diffused output one sample
    /// back, scaled (fundsp's `Feedback`).
    fn feed_back(&mut self, input: [&[f32]; 2]) {
        let n = input[0].len();
        let step = self.step;
        let scale = (1.0 / sqrt(N as f64)) as f32;
        for c in 0..N {
            let x = input[c % 2];
            let hc = &self.h[c * step..c * step + n];
            let u = &mut self.d[..n];
            u[0] = x[0] + self.value[c];
            for k in 1..n {
                u[k] = x[k] + hc[k - 1] * scale;
            }
            self.value[c] = hc[n - 1] * scale;
            let line = &mut self.lines[c];
            let len = line.len();
            let at = self.write[c];
            let first = std::cmp::min(len - at, n);
            line[at..at + first].copy_from_slice(&u[..first]);
            line[..n - first].copy_from_slice(&u[first..]);
            self.write[c] = (at + n) % len;
        }
    }

    /// The panned sum of the outputs in `self.y`, channel by channel from the first (as
    /// fundsp's `Reduce` adds them), then scaled by 1/16.
    fn mix_down(&self, output: [&mut [f32]; 2]) {
        let step = self.step;
        for (side, out) in output.into_iter().enumerate() {
            let n = out.len();
            for c in 0..N {
                let w = self.pan[c][side];
                let y = &self.y[c * step..c * step + n];
                if c == 0 {
                    out.iter_mut().zip(y).for_each(|(o, &y)| *o = y * w);
                } else {
                    out.iter_mut().zip(y).for_each(|(o, &y)| *o += y * w);
                }
            }
            out.iter_mut().for_each(|o| *o *= 1.0 / 16.0);
        }
    }
}

/// One butterfly of the Hadamard transform over a block: (a, b) ← (a + b, a − b). (A function
/// of its own so that the compiler sees two separate slices and vectorises it.)
fn butterfly(a: &mut [f32], b: &mut [f32]) {
    let mut a8 = a.chunks_exact_mut(8);
    let mut b8 = b.chunks_exact_mut(8);
    for (a, b) in (&mut a8).zip(&mut b8) {
        for k in 0..8 {
            let (x, y) = (a[k], b[k]);
            a[k] = x + y;
            b[k] = x - y;
        }
    }
    for (a, b) in a8.into_remainder().iter_mut().zip(b8.into_remainder()) {
        (*a, *b) = (*a + *b, *a - *b);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Bursts of noise with silence between them, so tails (and tiny values) are compared too.
    pub(crate) fn bursts(frames: usize) -> Vec<f32> {
        let mut state = 1u32;
        let mut noise = || {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        };
        (0..frames * 2)
            .map(|i| if (i / 2) % 40_000 < 6_000 { noise() } else { 0.0 })
            .collect()
    }

    /// Runs a fundsp stereo unit over interleaved input in fundsp-sized blocks.
    pub(crate) fn run_fundsp(unit: &mut dyn AudioUnit, input: &[f32]) -> Vec<f32> {
        let mut io = input.to_vec();
        crate::filter(unit, &mut io);
        io
    }

    #[test]
    fn bit_identical_to_fundsp() {
        let input = bursts(3 * 48_000);
        let (left, right): (Vec<f32>, Vec<f32>) = input.chunks_exact(2).map(|f| (f[0], f[1])).unzip();
        for (room, time, rate, chunk) in [
            (15.0, 3.5, 44_100.0, 8192),
            (30.0, 1.2, 48_000.0, 37),
            (1.0, 0.3, 44_100.0, 64),
            (22.5, 8.0, 22_050.0, 1),
        ] {
            let mut theirs = fundsp::prelude32::reverb_stereo(room, time, 0.6);
            theirs.set_sample_rate(rate);
            theirs.allocate();
            let expected = run_fundsp(&mut theirs, &input);
            let mut ours = Reverb::new(room, time, 0.6, rate);
            let (mut out_l, mut out_r) = (vec![0f32; left.len()], vec![0f32; left.len()]);
            for start in (0..left.len()).step_by(chunk) {
                let span = start..std::cmp::min(start + chunk, left.len());
                ours.process(
                    [&left[span.clone()], &right[span.clone()]],
                    [&mut out_l[span.clone()], &mut out_r[span]],
                );
            }
            assert!(expected.iter().any(|&x| x != 0.0));
            let same = expected
                .chunks_exact(2)
                .zip(out_l.iter().zip(&out_r))
                .all(|(e, (l, r))| e[0].to_bits() == l.to_bits() && e[1].to_bits() == r.to_bits());
            assert!(same, "room {room} m, {time} s, {rate} Hz, chunks of {chunk}");
        }
    }
}
