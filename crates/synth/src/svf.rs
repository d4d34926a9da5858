//! State-variable filters as block nodes, with fundsp's filter arithmetic.
//!
//! - [`stereo_lowpass`]: fundsp's `lowpass_hz(cutoff, q) | lowpass_hz(cutoff, q)`, both
//!   channels in one loop. A state-variable filter is a recursion: each sample waits for the
//!   previous one, ~18 cycles of dependent multiplies and adds, so one channel leaves most of
//!   the core idle. fundsp runs the two channels of a stack one after the other; here they
//!   advance together, which lets the core overlap the two chains (a layer's low-pass took
//!   12.5 ms of CPU per 30 s, now ~6). Bit-identical to fundsp's (a test compares them).
//! - [`swept_bandpass`]: fundsp's `bandpass()` (centre and Q as inputs), but the coefficients
//!   follow the centre once per block instead of every sample: fundsp recomputes them, a
//!   tangent and a division, at every sample of a moving centre, which was most of the noise
//!   texture's cost. Blocks are 1.5 ms, finer than the 2-ms steps of the `lfo` that moves it.

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

/// One sample of one channel: fundsp's `FixedSvf::tick`, operation for operation; `s` holds
/// the filter's two integrator states (fundsp's `ic1eq`, `ic2eq`).
#[inline(always)]
fn tick1(c: &SvfCoefs<f32>, s: &mut [f32; 2], v0: f32) -> f32 {
    let [ic1eq, ic2eq] = *s;
    let v3 = v0 - ic2eq;
    let v1 = c.a1 * ic1eq + c.a2 * v3;
    let v2 = ic2eq + c.a2 * ic1eq + c.a3 * v3;
    *s = [2.0 * v1 - ic1eq, 2.0 * v2 - ic2eq];
    c.m0 * v0 + c.m1 * v1 + c.m2 * v2
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
        [tick1(&self.coefs, l, input[0]), tick1(&self.coefs, r, input[1])].into()
    }

    fn process(&mut self, size: usize, input: &BufferRef, output: &mut BufferMut) {
        let c = self.coefs.clone();
        let [mut l, mut r] = self.state;
        let (in_l, in_r) = (&input.channel_f32(0)[..size], &input.channel_f32(1)[..size]);
        for i in 0..size {
            let (y_l, y_r) = (tick1(&c, &mut l, in_l[i]), tick1(&c, &mut r, in_r[i]));
            output.set_f32(0, i, y_l);
            output.set_f32(1, i, y_r);
        }
        self.state = [l, r];
    }

    fn route(&mut self, input: &SignalFrame, _frequency: f64) -> SignalFrame {
        Routing::Arbitrary(0.0).route(input, self.outputs())
    }
}

/// A band-pass: input 0 audio, input 1 centre (Hz), input 2 Q; the centre and Q are read at
/// the start of each block.
#[derive(Clone)]
pub(crate) struct SweptBandpass {
    sample_rate: f32,
    /// The centre and Q the coefficients were made for.
    centre_q: [f32; 2],
    coefs: SvfCoefs<f32>,
    state: [f32; 2],
}

pub(crate) fn swept_bandpass() -> An<SweptBandpass> {
    An(SweptBandpass {
        sample_rate: DEFAULT_SR as f32,
        centre_q: [f32::NAN; 2],
        coefs: SvfCoefs::bandpass(DEFAULT_SR as f32, 1_000.0, 1.0),
        state: [0.0; 2],
    })
}

impl SweptBandpass {
    fn follow(&mut self, centre: f32, q: f32) {
        if [centre, q] != self.centre_q {
            self.centre_q = [centre, q];
            self.coefs = SvfCoefs::bandpass(self.sample_rate, centre, q);
        }
    }
}

impl AudioNode for SweptBandpass {
    const ID: u64 = 0x7068_6f74_6f62_7066;
    type Inputs = U3;
    type Outputs = U1;

    fn reset(&mut self) {
        self.state = [0.0; 2];
    }

    fn set_sample_rate(&mut self, sample_rate: f64) {
        self.sample_rate = sample_rate as f32;
        self.centre_q = [f32::NAN; 2];
    }

    fn tick(&mut self, input: &Frame<f32, U3>) -> Frame<f32, U1> {
        self.follow(input[1], input[2]);
        [tick1(&self.coefs, &mut self.state, input[0])].into()
    }

    fn process(&mut self, size: usize, input: &BufferRef, output: &mut BufferMut) {
        if size == 0 {
            return;
        }
        self.follow(input.at_f32(1, 0), input.at_f32(2, 0));
        let c = self.coefs.clone();
        let mut s = self.state;
        let x = &input.channel_f32(0)[..size];
        for (i, &v0) in x.iter().enumerate() {
            output.set_f32(0, i, tick1(&c, &mut s, v0));
        }
        self.state = s;
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

    #[test]
    fn swept_bandpass_follows_fundsps_closely() {
        // Noise through a band-pass whose centre sweeps 300 Hz → 3 kHz over a second.
        let sweep = || lfo(|t: f32| 300.0 * (10f32).powf(t));
        let mut theirs = (noise().seed(3) | sweep() | dc(2.0)) >> bandpass();
        let mut ours = (noise().seed(3) | sweep() | dc(2.0)) >> swept_bandpass();
        let mut diff = 0.0;
        let mut energy = 0.0;
        let mut a = BufferVec::new(1);
        let mut b = BufferVec::new(1);
        let none = BufferVec::new(0);
        for _ in 0..44_100 / 64 {
            theirs.process(64, &none.buffer_ref(), &mut a.buffer_mut());
            ours.process(64, &none.buffer_ref(), &mut b.buffer_mut());
            for i in 0..64 {
                let (x, y) = (a.at_f32(0, i) as f64, b.at_f32(0, i) as f64);
                diff += (x - y).powi(2);
                energy += x * x;
            }
        }
        // The two differ only by the centre's steps within a block: −40 dB or less.
        let db = 10.0 * (diff / energy).log10();
        assert!(energy > 0.0 && db < -40.0, "difference {db:.1} dB");
    }
}
