//! fundsp's `lowpass_hz(cutoff, q) | lowpass_hz(cutoff, q)`, both channels in one loop.
//!
//! A state-variable filter is a recursion: each sample waits for the previous one, ~18 cycles
//! of dependent multiplies and adds, so one channel leaves most of the core idle. fundsp runs
//! the two channels of a stack one after the other; here they advance together, which lets
//! the core overlap the two chains (a layer's low-pass took 12.5 ms of CPU per 30 s, now ~6).
//! Each channel goes through exactly fundsp's `FixedSvf::tick` operations, so the output is
//! bit-identical (a test compares them).

use fundsp::prelude32::*;

#[derive(Clone)]
pub(crate) struct StereoLowpass {
    cutoff: f32,
    q: f32,
    coefs: SvfCoefs<f32>,
    /// Per channel, the filter's two integrator states (fundsp's `ic1eq`, `ic2eq`).
    state: [[f32; 2]; 2],
}

pub(crate) fn stereo_lowpass(cutoff: f32, q: f32) -> An<StereoLowpass> {
    let mut node = StereoLowpass {
        cutoff,
        q,
        coefs: SvfCoefs::lowpass(DEFAULT_SR as f32, cutoff, q),
        state: [[0.0; 2]; 2],
    };
    node.set_sample_rate(DEFAULT_SR);
    An(node)
}

impl StereoLowpass {
    /// One sample of one channel: fundsp's `FixedSvf::tick`, operation for operation.
    #[inline(always)]
    fn tick1(c: &SvfCoefs<f32>, s: &mut [f32; 2], v0: f32) -> f32 {
        let [ic1eq, ic2eq] = *s;
        let v3 = v0 - ic2eq;
        let v1 = c.a1 * ic1eq + c.a2 * v3;
        let v2 = ic2eq + c.a2 * ic1eq + c.a3 * v3;
        *s = [2.0 * v1 - ic1eq, 2.0 * v2 - ic2eq];
        c.m0 * v0 + c.m1 * v1 + c.m2 * v2
    }
}

impl AudioNode for StereoLowpass {
    const ID: u64 = 0x7068_6f74_6f6c_7032;
    type Inputs = U2;
    type Outputs = U2;

    fn reset(&mut self) {
        self.state = [[0.0; 2]; 2];
    }

    fn set_sample_rate(&mut self, sample_rate: f64) {
        self.coefs = SvfCoefs::lowpass(sample_rate as f32, self.cutoff, self.q);
    }

    #[inline]
    fn tick(&mut self, input: &Frame<f32, U2>) -> Frame<f32, U2> {
        let [l, r] = &mut self.state;
        [
            Self::tick1(&self.coefs, l, input[0]),
            Self::tick1(&self.coefs, r, input[1]),
        ]
        .into()
    }

    fn process(&mut self, size: usize, input: &BufferRef, output: &mut BufferMut) {
        let c = self.coefs.clone();
        let [mut l, mut r] = self.state;
        let (in_l, in_r) = (&input.channel_f32(0)[..size], &input.channel_f32(1)[..size]);
        for i in 0..size {
            let (y_l, y_r) = (Self::tick1(&c, &mut l, in_l[i]), Self::tick1(&c, &mut r, in_r[i]));
            output.set_f32(0, i, y_l);
            output.set_f32(1, i, y_r);
        }
        self.state = [l, r];
    }

    fn route(&mut self, input: &SignalFrame, _frequency: f64) -> SignalFrame {
        Routing::Arbitrary(0.0).route(input, self.outputs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_identical_to_two_fundsp_lowpasses() {
        let input = crate::reverb::tests::bursts(44_100);
        for (cutoff, q, rate) in [
            (900.0, 0.7, 44_100.0),
            (2_500.0, 0.8, 48_000.0),
            (120.0, 0.6, 22_050.0),
        ] {
            let mut theirs = lowpass_hz(cutoff, q) | lowpass_hz(cutoff, q);
            let mut ours = stereo_lowpass(cutoff, q);
            theirs.set_sample_rate(rate);
            ours.set_sample_rate(rate);
            let expected = crate::reverb::tests::run_fundsp(&mut theirs, &input);
            let got = crate::reverb::tests::run_fundsp(&mut ours, &input);
            let same = expected.iter().zip(&got).all(|(e, g)| e.to_bits() == g.to_bits());
            assert!(same, "{cutoff} Hz, Q {q}, {rate} Hz");
        }
    }
}
