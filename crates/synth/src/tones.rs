//! The pad's chords and the lead's notes as hand-written block nodes.
//!
//! As fundsp graphs (`poly_saw_hz(f) * level >> pan(p)` summed per chord tone;
//! `(sine_hz(f) * a + poly_saw_hz(f) * b) * envelope(..) >> pan(p)` per note), each oscillator,
//! gain and panner was a node of its own, and each saw was a chain of dependent steps, one
//! sample after the other (phase, wrap, next phase…). A render has 100–200 voice-seconds of
//! each layer; the two were over half of the dry voices' CPU. Here a chord or a note is one
//! node, and every sample of a block is computed from the block's start, so nothing waits
//! for the sample before and the loops vectorise. The sounds are the same (fundsp's PolyBLEP
//! saw formula, its SIMD sine, its equal-power pan weights, the same exponential decay;
//! tests compare levels with the fundsp graphs), for less than half the CPU.

use fundsp::prelude32::{
    pan, An, AudioNode, BufferArray, BufferMut, BufferRef, F32x, Frame, Routing, SignalFrame, U0, U2,
};
use fundsp::MAX_BUFFER_SIZE as N;

/// Phases over a block: `out[i]` is the fractional part of `start + i·delta`; returns the
/// next block's start.
fn phases(start: f32, delta: f32, out: &mut [f32]) -> f32 {
    for (p, i) in out.iter_mut().zip(RAMP) {
        *p = frac(start + i * delta);
    }
    frac(start + out.len() as f32 * delta)
}

/// 0, 1, 2, … as floats, so that a block's phases are computed without converting indices.
const RAMP: [f32; N] = {
    let mut ramp = [0.0; N];
    let mut i = 0;
    while i < N {
        ramp[i] = i as f32;
        i += 1;
    }
    ramp
};

/// The fractional part of `0 ≤ x < 2²²`, in a form that vectorises: adding and removing
/// 2²³ rounds to the nearest integer (`floor` is a library call on baseline x86-64, and
/// `as i32` checks for overflow one value at a time).
#[inline(always)]
fn frac(x: f32) -> f32 {
    const ROUND: f32 = 8_388_608.0;
    let f = x - ((x + ROUND) - ROUND);
    if f < 0.0 {
        f + 1.0
    } else {
        f
    }
}

/// fundsp's PolyBLEP sawtooth (`PolySaw`) at phase `t` with phase step `dt`: a ramp from −1
/// to 1 whose jump is smoothed by a polynomial over the samples next to it. Written with
/// selects so that a block of them vectorises; the branches are fundsp's, in its order (which
/// matters only above half the sample rate, where both hold).
#[inline(always)]
fn saw(t: f32, dt: f32, inv_dt: f32) -> f32 {
    let after_jump = t < dt;
    let before_jump = t > 1.0 - dt;
    let z = if after_jump { t } else { t - 1.0 } * inv_dt;
    let blep = if after_jump {
        z + z - z * z - 1.0
    } else if before_jump {
        z + z + z * z + 1.0
    } else {
        0.0
    };
    2.0 * t - 1.0 - blep
}

/// 1/dt for [`saw`]; a step of zero (a 0-Hz tone) gives 0, so the saw stays finite.
fn inverse(dt: f32) -> f32 {
    if dt > 0.0 {
        1.0 / dt
    } else {
        0.0
    }
}

/// Left and right gains of fundsp's equal-power `pan(value)`, read from the panner itself.
fn pan_gains(value: f32) -> [f32; 2] {
    let out = pan(value).tick(&Frame::from([1.0]));
    [out[0], out[1]]
}

/// Copies a block computed on the stack into a fundsp output buffer.
fn write(out: &[[f32; N]; 2], size: usize, output: &mut BufferMut) {
    for (channel, samples) in out.iter().enumerate() {
        output.channel_f32_mut(channel)[..size].copy_from_slice(&samples[..size]);
    }
}

/// One saw of a chord.
#[derive(Clone)]
struct Tone {
    hz: f32,
    /// The phase the saw starts at, and where it is now.
    start: f32,
    phase: f32,
    delta: f32,
    /// Left and right gain: level × pan.
    gains: [f32; 2],
}

/// A chord: saws at fixed levels, each at its own place in the stereo field.
#[derive(Clone)]
pub(crate) struct Chord {
    tones: Vec<Tone>,
}

/// A chord of `tones` (frequency in Hz, level, pan in −1…1). `seed` picks each saw's starting
/// phase, so the tones of a chord do not all jump at the same instant.
pub(crate) fn chord(tones: &[(f32, f32, f32)], seed: u64) -> An<Chord> {
    let tones = tones
        .iter()
        .enumerate()
        .map(|(i, &(hz, level, place))| {
            let bits = photophone_rng::counter_hash(seed.wrapping_add(i as u64)) >> 40;
            let [l, r] = pan_gains(place);
            let start = bits as f32 / (1u64 << 24) as f32;
            Tone {
                hz,
                start,
                phase: start,
                delta: 0.0,
                gains: [level * l, level * r],
            }
        })
        .collect();
    let mut chord = Chord { tones };
    chord.set_sample_rate(fundsp::DEFAULT_SR);
    An(chord)
}

impl AudioNode for Chord {
    const ID: u64 = 0x7068_6f74_6f63_6864;
    type Inputs = U0;
    type Outputs = U2;

    fn reset(&mut self) {
        self.tones.iter_mut().for_each(|tone| tone.phase = tone.start);
    }

    fn set_sample_rate(&mut self, sample_rate: f64) {
        for tone in &mut self.tones {
            tone.delta = (tone.hz as f64 / sample_rate) as f32;
        }
    }

    fn tick(&mut self, _input: &Frame<f32, U0>) -> Frame<f32, U2> {
        tick_by_process(self)
    }

    fn process(&mut self, size: usize, _input: &BufferRef, output: &mut BufferMut) {
        let mut out = [[0f32; N]; 2];
        let mut t = [0f32; N];
        for tone in &mut self.tones {
            tone.phase = phases(tone.phase, tone.delta, &mut t[..size]);
            let (dt, inv_dt) = (tone.delta, inverse(tone.delta));
            let [l, r] = tone.gains;
            for i in 0..size {
                let x = saw(t[i], dt, inv_dt);
                out[0][i] += x * l;
                out[1][i] += x * r;
            }
        }
        write(&out, size, output);
    }

    fn route(&mut self, input: &SignalFrame, _frequency: f64) -> SignalFrame {
        Routing::Arbitrary(0.0).route(input, self.outputs())
    }
}

/// Where a note's saw is in its cycle relative to the sine: half a cycle on, a saw's
/// fundamental is in phase with the sine, so the blend adds harmonics to the sine instead of
/// cancelling part of it (the fundsp graph's oscillators happened to be aligned this way too).
const SAW_OFFSET: f32 = 0.5;

/// A struck note that decays: a sine blended with a saw, panned.
#[derive(Clone)]
pub(crate) struct LeadNote {
    hz: f32,
    /// The sine's phase in 0…1 at the next block, and its step per sample.
    phase: f32,
    delta: f32,
    /// Weights of the sine and the saw in the blend.
    mix: [f32; 2],
    /// Level at the strike and decay rate (per second).
    level: f32,
    decay: f32,
    sample_rate: f64,
    /// The decay over `i` samples, e^(−decay·i/rate), for a block's samples.
    fall: [f32; N],
    /// Samples since the strike.
    elapsed: u64,
    gains: [f32; 2],
}

/// A note at `hz` struck at `level` that decays as e^(−decay·t); `brightness` (0…1) blends in
/// a saw (below 0.05 the note is a pure sine).
pub(crate) fn lead_note(hz: f32, level: f32, decay: f32, brightness: f32, place: f32) -> An<LeadNote> {
    let mix = if brightness < 0.05 {
        [1.0, 0.0]
    } else {
        [1.0 - brightness, 0.35 * brightness]
    };
    let mut note = LeadNote {
        hz,
        phase: 0.0,
        delta: 0.0,
        mix,
        level,
        decay,
        sample_rate: 0.0,
        fall: [1.0; N],
        elapsed: 0,
        gains: pan_gains(place),
    };
    note.set_sample_rate(fundsp::DEFAULT_SR);
    An(note)
}

impl AudioNode for LeadNote {
    const ID: u64 = 0x7068_6f74_6f6c_6e74;
    type Inputs = U0;
    type Outputs = U2;

    fn reset(&mut self) {
        self.phase = 0.0;
        self.elapsed = 0;
    }

    fn set_sample_rate(&mut self, sample_rate: f64) {
        self.sample_rate = sample_rate;
        self.delta = (self.hz as f64 / sample_rate) as f32;
        for (i, f) in self.fall.iter_mut().enumerate() {
            *f = (-self.decay as f64 * i as f64 / sample_rate).exp() as f32;
        }
    }

    fn tick(&mut self, _input: &Frame<f32, U0>) -> Frame<f32, U2> {
        tick_by_process(self)
    }

    fn process(&mut self, size: usize, _input: &BufferRef, output: &mut BufferMut) {
        // The sine's phases, then fundsp's SIMD sine over them, eight at a time.
        let mut t = [0f32; N];
        self.phase = phases(self.phase, self.delta, &mut t[..size]);
        let mut sine = [0f32; N];
        for (s, t) in sine
            .chunks_exact_mut(8)
            .zip(t.chunks_exact(8))
            .take(size.div_ceil(8))
        {
            let x = (F32x::new(t.try_into().expect("eight lanes")) * std::f32::consts::TAU).sin();
            s.copy_from_slice(&x.to_array());
        }
        // The blend: a pure sine (dark photos) needs no saw.
        let [a, b] = self.mix;
        let blend = &mut sine[..size];
        if b == 0.0 {
            blend.iter_mut().for_each(|s| *s *= a);
        } else {
            let (dt, inv_dt) = (self.delta, inverse(self.delta));
            for (s, &t) in blend.iter_mut().zip(&t[..size]) {
                let saw_phase = t + SAW_OFFSET;
                let saw_phase = saw_phase - if saw_phase >= 1.0 { 1.0 } else { 0.0 };
                *s = *s * a + saw(saw_phase, dt, inv_dt) * b;
            }
        }
        // The envelope is exact at the block's start, then follows the decay table.
        let start = self.level * (-self.decay as f64 * self.elapsed as f64 / self.sample_rate).exp() as f32;
        let [l, r] = self.gains;
        let mut out = [[0f32; N]; 2];
        for (i, &x) in blend.iter().enumerate() {
            let x = x * (start * self.fall[i]);
            out[0][i] = x * l;
            out[1][i] = x * r;
        }
        write(&out, size, output);
        self.elapsed += size as u64;
    }

    fn route(&mut self, input: &SignalFrame, _frequency: f64) -> SignalFrame {
        Routing::Arbitrary(0.0).route(input, self.outputs())
    }
}

/// One sample of a generator, computed as a block of one.
fn tick_by_process(node: &mut impl AudioNode<Inputs = U0, Outputs = U2>) -> Frame<f32, U2> {
    let mut buffer = BufferArray::<U2>::new();
    node.process(
        1,
        &BufferArray::<U0>::new().buffer_ref(),
        &mut buffer.buffer_mut(),
    );
    [buffer.at_f32(0, 0), buffer.at_f32(1, 0)].into()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::precedence)]
    use super::*;
    use fundsp::prelude32::*;

    /// One second of a stereo unit with no inputs.
    fn second(mut unit: Box<dyn AudioUnit>) -> Vec<f32> {
        unit.set_sample_rate(44_100.0);
        unit.allocate();
        let mut out = vec![0f32; 2 * 44_100];
        crate::fill(unit.as_mut(), &mut out);
        out
    }

    fn rms_db(x: &[f32]) -> f64 {
        10.0 * (x.iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / x.len() as f64).log10()
    }

    #[test]
    fn phases_are_the_fractional_parts() {
        for (start, delta) in [
            (0.0, 0.01),
            (0.999_999_9, 0.5),
            (0.25, 0.25),
            (0.7, 0.123_456_7),
            (0.0, 0.0),
        ] {
            let mut out = [0f32; N];
            let next = phases(start, delta, &mut out);
            for (i, &p) in out.iter().chain([&next]).enumerate() {
                let exact = (start as f64 + (i as f32 * delta) as f64).fract();
                let diff = (p as f64 - exact).abs();
                // Equal, or the same point on the circle (0 and 1).
                assert!(
                    (0.0..1.0).contains(&p) && diff.min(1.0 - diff) < 1e-5,
                    "{start} + {i}·{delta}: {p}"
                );
            }
        }
    }

    #[test]
    fn saw_is_fundsps_polyblep_saw() {
        let mut theirs = poly_saw_hz(331.0);
        theirs.set_sample_rate(44_100.0);
        // fundsp starts at a pseudo-random phase; read it from its first sample (2t − 1 there).
        let first = theirs.tick(&Frame::default())[0];
        let dt = 331.0 / 44_100.0;
        let mut t = (first + 1.0) / 2.0;
        for _ in 0..5_000 {
            let expected = theirs.tick(&Frame::default())[0];
            t = frac(t + dt);
            assert!((super::saw(t, dt, 1.0 / dt) - expected).abs() < 1e-3, "phase {t}");
        }
        // Above half the sample rate both corrections apply; fundsp takes the first.
        let dt = 0.6;
        for t in [0.05, 0.3, 0.45, 0.55] {
            let z = t / dt;
            let expected = 2.0 * t - 1.0 - (z + z - z * z - 1.0);
            assert!((super::saw(t, dt, 1.0 / dt) - expected).abs() < 1e-6, "phase {t}");
        }
    }

    #[test]
    fn lead_note_sounds_like_the_fundsp_graph() {
        for (hz, brightness) in [
            (440.0, 0.0),
            (261.6, 0.0),
            (440.0, 0.6),
            (261.6, 0.6),
            (880.0, 0.3),
        ] {
            let (level, decay) = (0.2, 3.0);
            let env = envelope(move |t: f32| level * exp(-decay * t));
            let theirs = second(Box::new(
                (sine_hz(hz) * (1.0 - brightness) + poly_saw_hz(hz) * (0.35 * brightness)) * env >> pan(0.3),
            ));
            let ours = second(Box::new(lead_note(hz, level, decay, brightness, 0.3)));
            let (a, b) = (rms_db(&theirs), rms_db(&ours));
            assert!(
                (a - b).abs() < 0.1,
                "{hz} Hz, brightness {brightness}: {a:.2} vs {b:.2} dB"
            );
        }
    }

    #[test]
    fn chord_sounds_like_the_fundsp_graph() {
        // An A minor triad and a wide open fifth, spread across the field as the pad does.
        for tones in [
            vec![(110.0, 0.05, -0.6), (130.8, 0.05, 0.0), (164.8, 0.05, 0.6)],
            vec![(73.4, 0.08, -0.6), (110.0, 0.08, 0.6)],
        ] {
            let mut theirs: Box<dyn AudioUnit> = Box::new(zero() >> split::<U2>());
            for &(hz, level, place) in &tones {
                theirs = Box::new(unit::<U0, U2>(theirs) + (poly_saw_hz(hz) * level >> pan(place)));
            }
            let theirs = second(theirs);
            let ours = second(Box::new(chord(&tones, 7)));
            for side in 0..2 {
                let channel = |x: &[f32]| x.iter().skip(side).step_by(2).copied().collect::<Vec<f32>>();
                let (a, b) = (rms_db(&channel(&theirs)), rms_db(&channel(&ours)));
                assert!(
                    (a - b).abs() < 0.3,
                    "{tones:?}, channel {side}: {a:.2} vs {b:.2} dB"
                );
            }
        }
    }
}
