//! fundsp's `reverb_stereo` (a 32-channel feedback delay network), computed a block at a time.
//!
//! fundsp runs the network's feedback loop (`fdn`, a `Feedback` node) one sample at a time
//! through 32 boxed-up delay lines and FIR filters: that loop was half of a render's time.
//! The network's shortest delay line is far longer than a processing block (≥ 159 samples even
//! for a 1-m room, blocks are ≤ 64), so a whole block of delay outputs depends only on inputs
//! from earlier blocks: each stage can run over the block at once (the compiler vectorises it
//! across samples). Every sample goes through exactly the same floating-point operations in
//! the same order as in fundsp 0.23, so the output is bit-identical (a test checks this against
//! `fundsp::prelude32::reverb_stereo`). No library offers a block-processed FDN with fundsp's
//! exact tuning, hence this hand-written node; the parts around the loop (input split, panning
//! sum) stay fundsp's own.

// fundsp's graph notation: `*` binds tighter than `>>`, as intended (as in voices.rs).
#![allow(clippy::precedence)]

use fundsp::prelude32::*;

/// Channels of the network.
const N: usize = 32;
/// Delay line lengths for a 10-m room, from fundsp's `reverb_stereo`.
const DELAYS: [f64; N] = [
    0.073904, 0.052918, 0.066238, 0.066387, 0.037783, 0.080073, 0.050961, 0.075900, 0.043646, 0.072095,
    0.056194, 0.045961, 0.058934, 0.068016, 0.047529, 0.058156, 0.072972, 0.036084, 0.062715, 0.076377,
    0.044339, 0.076725, 0.077884, 0.046126, 0.067741, 0.049800, 0.051709, 0.082923, 0.070121, 0.079315,
    0.055039, 0.081859,
];

/// Same as `fundsp::prelude32::reverb_stereo(room_size, time, damping)`, sample for sample.
pub fn reverb_stereo(
    room_size: f32,
    time: f32,
    damping: f32,
) -> An<impl AudioNode<Inputs = U2, Outputs = U2>> {
    // fundsp's 32-bit prelude converts to f64 and calls the 64-bit one; the same here.
    let (room_size, time, damping) = (room_size as f64, time as f64, damping as f64);
    let a = pow(db_amp(-60.0), 0.03 * room_size / 10.0 / time) as f32;
    let weights = fir3(1.0 - damping as f32).weights() * Frame::splat(a);
    let times = DELAYS.map(|d| d * room_size / 10.0);
    multisplit::<U2, U16>()
        >> An(BlockFdn::new(times, [weights[0], weights[1], weights[2]]))
        >> sumf::<U32, _, _>(|x| pan(lerp(-1.0, 1.0, smooth9(x)))) * dc((1.0 / 16.0, 1.0 / 16.0))
}

/// `fdn::<U32, _>(stacki(|i| delay(times[i]) >> fir(weights)))`, processed in blocks.
#[derive(Clone)]
struct BlockFdn {
    times: [f64; N],
    weights: [f32; 3],
    sample_rate: f64,
    /// Delay of each line in samples (fundsp's `Delay` rounds to the nearest sample).
    delay: [usize; N],
    /// Past network inputs of each line (the delay line), `delay + MAX_BUFFER_SIZE + 2` long.
    lines: Vec<Vec<f32>>,
    /// Where the next input goes in each line.
    write: [usize; N],
    /// The diffused feedback that is added to the next input (fundsp's `Feedback::value`).
    value: [f32; N],
    scratch: Box<Scratch>,
}

impl BlockFdn {
    fn new(times: [f64; N], weights: [f32; 3]) -> BlockFdn {
        let mut fdn = BlockFdn {
            times,
            weights,
            sample_rate: 0.0,
            delay: [0; N],
            lines: vec![Vec::new(); N],
            write: [0; N],
            value: [0.0; N],
            scratch: Box::new(Scratch {
                y: [[0.0; MAX_BUFFER_SIZE]; N],
                h: [[0.0; MAX_BUFFER_SIZE]; N],
                d: [0.0; MAX_BUFFER_SIZE + 2],
            }),
        };
        fdn.set_sample_rate(DEFAULT_SR);
        fdn
    }

    /// Feeds `n` samples (`n` ≤ every line's delay) through the network: `input` channel `c`
    /// from `offset` in, `self.y[c][..n]` out.
    fn block(&mut self, n: usize, input: &BufferRef, offset: usize) {
        let [w0, w1, w2] = self.weights;
        let scratch = &mut *self.scratch;
        for c in 0..N {
            let line = &self.lines[c];
            let len = line.len();
            // The line's output at sample t is its input at t - delay; the FIR also needs the
            // two samples before. They were all written by earlier blocks.
            let start = (self.write[c] + len - self.delay[c] - 2) % len;
            let d: &[f32] = if start + n + 2 <= len {
                &line[start..start + n + 2]
            } else {
                let first = len - start;
                scratch.d[..first].copy_from_slice(&line[start..]);
                scratch.d[first..n + 2].copy_from_slice(&line[..n + 2 - first]);
                &scratch.d[..n + 2]
            };
            for (i, y) in scratch.y[c][..n].iter_mut().enumerate() {
                // fundsp's `Fir::tick`: a sum from 0.0 over the taps, oldest first.
                let mut acc = 0.0;
                acc += w0 * d[i];
                acc += w1 * d[i + 1];
                acc += w2 * d[i + 2];
                *y = acc;
            }
            scratch.h[c][..n].copy_from_slice(&scratch.y[c][..n]);
        }
        // Diffusion (fundsp's `FrameHadamard`), butterflies in its order, each over the block.
        let h = &mut scratch.h;
        let mut span = 1;
        while span < N {
            let mut i = 0;
            while i < N {
                for j in i..i + span {
                    let (lo, hi) = h.split_at_mut(j + span);
                    let (x, y) = (&mut lo[j][..n], &mut hi[0][..n]);
                    for (a, b) in x.iter_mut().zip(y.iter_mut()) {
                        (*a, *b) = (*a + *b, *a - *b);
                    }
                }
                i += span * 2;
            }
            span *= 2;
        }
        let scale = (1.0 / sqrt(N as f64)) as f32;
        for (c, hc) in h.iter().enumerate() {
            // The next inputs: this block's input plus the diffused output one sample back.
            let x = &input.channel_f32(c)[offset..offset + n];
            let u = &mut scratch.d[..n];
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
}

/// Per-block working memory (boxed: the node is moved around while the graph is built).
#[derive(Clone)]
struct Scratch {
    /// Line outputs through the FIR, i.e. the network's outputs.
    y: [[f32; MAX_BUFFER_SIZE]; N],
    /// The same, diffused.
    h: [[f32; MAX_BUFFER_SIZE]; N],
    d: [f32; MAX_BUFFER_SIZE + 2],
}

impl AudioNode for BlockFdn {
    const ID: u64 = 0x7068_6f74_6f66_646e;
    type Inputs = U32;
    type Outputs = U32;

    fn reset(&mut self) {
        for line in &mut self.lines {
            line.fill(0.0);
        }
        self.write = [0; N];
        self.value = [0.0; N];
    }

    fn set_sample_rate(&mut self, sample_rate: f64) {
        if self.sample_rate != sample_rate {
            self.sample_rate = sample_rate;
            for c in 0..N {
                self.delay[c] = round(self.times[c] * sample_rate) as usize;
                self.lines[c] = vec![0.0; self.delay[c] + MAX_BUFFER_SIZE + 2];
            }
            self.reset();
        }
    }

    fn tick(&mut self, input: &Frame<f32, U32>) -> Frame<f32, U32> {
        fundsp::denormal::prevent_denormals();
        let mut buffer = BufferArray::<U32>::new();
        for c in 0..N {
            buffer.set_f32(c, 0, input[c]);
        }
        let mut output = BufferArray::<U32>::new();
        self.run(1, &buffer.buffer_ref(), &mut output.buffer_mut());
        Frame::generate(|c| output.at_f32(c, 0))
    }

    fn process(&mut self, size: usize, input: &BufferRef, output: &mut BufferMut) {
        // As fundsp's `Feedback` does (it sets flush-to-zero for the thread).
        fundsp::denormal::prevent_denormals();
        self.run(size, input, output);
    }

    fn route(&mut self, input: &SignalFrame, _frequency: f64) -> SignalFrame {
        Routing::Arbitrary(0.0).route(input, self.outputs())
    }
}

impl BlockFdn {
    /// `size` ≤ `MAX_BUFFER_SIZE` samples, in sub-blocks no longer than the shortest delay.
    fn run(&mut self, size: usize, input: &BufferRef, output: &mut BufferMut) {
        if self.delay.contains(&0) {
            // A zero-length line feeds its input straight out: only sample by sample works.
            // (Rooms this small, under 6 mm, are never asked for; kept correct anyway.)
            return self.run_samplewise(size, input, output);
        }
        let step = self.delay.iter().copied().min().unwrap_or(1);
        let mut done = 0;
        while done < size {
            let n = std::cmp::min(step, size - done);
            self.block(n, input, done);
            for c in 0..N {
                output.channel_f32_mut(c)[done..done + n].copy_from_slice(&self.scratch.y[c][..n]);
            }
            done += n;
        }
    }

    fn run_samplewise(&mut self, size: usize, input: &BufferRef, output: &mut BufferMut) {
        let [w0, w1, w2] = self.weights;
        for i in 0..size {
            let mut y = [0f32; N];
            for c in 0..N {
                let line = &mut self.lines[c];
                let len = line.len();
                let at = self.write[c];
                line[at] = input.at_f32(c, i) + self.value[c];
                let tap = |back: usize| line[(at + len - self.delay[c] - back) % len];
                let mut acc = 0.0;
                acc += w0 * tap(2);
                acc += w1 * tap(1);
                acc += w2 * tap(0);
                y[c] = acc;
                output.set_f32(c, i, acc);
                self.write[c] = (at + 1) % len;
            }
            self.value = hadamard(y);
        }
    }
}

fn hadamard(mut x: [f32; N]) -> [f32; N] {
    let mut span = 1;
    while span < N {
        let mut i = 0;
        while i < N {
            for j in i..i + span {
                let (a, b) = (x[j], x[j + span]);
                x[j] = a + b;
                x[j + span] = a - b;
            }
            i += span * 2;
        }
        span *= 2;
    }
    let scale = (1.0 / sqrt(N as f64)) as f32;
    x.map(|v| v * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(unit: &mut dyn AudioUnit, input: &[f32], block: usize) -> Vec<f32> {
        let mut out = vec![0f32; input.len()];
        let mut i_buf = BufferVec::new(2);
        let mut o_buf = BufferVec::new(2);
        let frames = input.len() / 2;
        let mut at = 0;
        while at < frames {
            let n = std::cmp::min(block, frames - at);
            for i in 0..n {
                i_buf.set_f32(0, i, input[2 * (at + i)]);
                i_buf.set_f32(1, i, input[2 * (at + i) + 1]);
            }
            unit.process(n, &i_buf.buffer_ref(), &mut o_buf.buffer_mut());
            for i in 0..n {
                out[2 * (at + i)] = o_buf.at_f32(0, i);
                out[2 * (at + i) + 1] = o_buf.at_f32(1, i);
            }
            at += n;
        }
        out
    }

    #[test]
    fn bit_identical_to_fundsp() {
        let mut state = 1u32;
        let mut noise = || {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        };
        // Bursts with silence between them, so the tails (and tiny values) are compared too.
        let frames = 3 * 48_000;
        let input: Vec<f32> = (0..frames * 2)
            .map(|i| if (i / 2) % 40_000 < 6_000 { noise() } else { 0.0 })
            .collect();
        for (room, time, rate, block) in [
            (15.0, 3.5, 44_100.0, 64),
            (30.0, 1.2, 48_000.0, 37),
            (1.0, 0.3, 44_100.0, 64),
            (22.5, 8.0, 22_050.0, 1),
            (0.001, 0.5, 44_100.0, 64), // zero-length lines: the sample-by-sample path
        ] {
            let mut theirs: Box<dyn AudioUnit> = Box::new(fundsp::prelude32::reverb_stereo(room, time, 0.6));
            let mut ours: Box<dyn AudioUnit> = Box::new(reverb_stereo(room, time, 0.6));
            for u in [&mut theirs, &mut ours] {
                u.set_sample_rate(rate);
                u.allocate();
            }
            let a = run(theirs.as_mut(), &input, block);
            let b = run(ours.as_mut(), &input, block);
            assert!(a.iter().any(|&x| x != 0.0));
            let same = a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits());
            assert!(same, "room {room} m, {time} s, {rate} Hz, blocks of {block}");
        }
    }
}
