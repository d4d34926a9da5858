//! The mix bus every dry sample passes through: the reverb send (ambient) and DC blocking.
//!
//! It was a fundsp graph, `(multipass() & wet * reverb_stereo(..)) >> (dcblock_hz(12.0) |
//! dcblock_hz(12.0))`, run in 64-sample blocks. Here the same operations run over whole
//! chunks (see [`crate::reverb`] for why that is faster), sample for sample the same: a test
//! compares the two bit for bit.

use crate::reverb::Reverb;
use fundsp::prelude32::{dcblock_hz, An, DCBlock, Frame};

/// Frames processed at once (a stack buffer per side).
const SPAN: usize = 1024;

/// Stereo in, stereo out, in place: the reverb send (ambient scores) and DC blocking.
pub struct Bus {
    /// The reverb and its wet gain (ambient scores only).
    reverb: Option<(Reverb, f32)>,
    dc_block: [An<DCBlock<f32>>; 2],
}

impl Bus {
    /// DC blocking only.
    pub(crate) fn dry(sample_rate: f64) -> Bus {
        let mut dc_block = [dcblock_hz(12.0), dcblock_hz(12.0)];
        dc_block.iter_mut().for_each(|d| d.set_sample_rate(sample_rate));
        Bus {
            reverb: None,
            dc_block,
        }
    }

    /// The dry signal plus `wet` × fundsp's `reverb_stereo(room_m, time_s, damping)`.
    pub(crate) fn with_reverb(room_m: f32, time_s: f32, damping: f32, wet: f32, sample_rate: f64) -> Bus {
        let mut bus = Bus::dry(sample_rate);
        bus.reverb = Some((Reverb::new(room_m, time_s, damping, sample_rate), wet));
        bus
    }

    /// Processes interleaved stereo in place.
    pub fn process(&mut self, io: &mut [f32]) {
        let mut dry = [[0f32; SPAN]; 2];
        let mut wet = [[0f32; SPAN]; 2];
        for chunk in io.chunks_mut(2 * SPAN) {
            let n = chunk.len() / 2;
            for (i, frame) in chunk.chunks_exact(2).enumerate() {
                dry[0][i] = frame[0];
                dry[1][i] = frame[1];
            }
            if let Some((reverb, gain)) = &mut self.reverb {
                let [wet_l, wet_r] = &mut wet;
                reverb.process([&dry[0][..n], &dry[1][..n]], [&mut wet_l[..n], &mut wet_r[..n]]);
                for (d, w) in dry.iter_mut().zip(&wet) {
                    d[..n].iter_mut().zip(&w[..n]).for_each(|(d, w)| *d += w * *gain);
                }
            }
            for (i, frame) in chunk.chunks_exact_mut(2).enumerate() {
                for (side, x) in frame.iter_mut().enumerate() {
                    *x = self.dc_block[side].tick(&Frame::from([dry[side][i]]))[0];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Bus;
    use crate::reverb::tests::{bursts, run_fundsp};
    use fundsp::prelude32::{dcblock_hz, multipass, reverb_stereo, AudioUnit, U2};

    #[test]
    fn bit_identical_to_the_fundsp_graph() {
        let input = bursts(2 * 44_100);
        for (wet, chunk) in [(Some(0.3), 8192), (Some(0.47), 100), (None, 8192), (None, 3)] {
            let (mut theirs, mut ours): (Box<dyn AudioUnit>, Bus) = match wet {
                Some(wet) => (
                    Box::new(
                        (multipass::<U2>() & (wet * reverb_stereo(20.0, 4.0, 0.6)))
                            >> (dcblock_hz(12.0) | dcblock_hz(12.0)),
                    ),
                    Bus::with_reverb(20.0, 4.0, 0.6, wet, 44_100.0),
                ),
                None => (Box::new(dcblock_hz(12.0) | dcblock_hz(12.0)), Bus::dry(44_100.0)),
            };
            theirs.set_sample_rate(44_100.0);
            theirs.allocate();
            let expected = run_fundsp(theirs.as_mut(), &input);
            let mut got = input.clone();
            got.chunks_mut(2 * chunk).for_each(|c| ours.process(c));
            let same = expected.iter().zip(&got).all(|(e, g)| e.to_bits() == g.to_bits());
            assert!(same, "wet {wet:?}, chunks of {chunk}");
        }
    }
}
