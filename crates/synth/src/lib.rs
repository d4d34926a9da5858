//! Synthesis: renders a [`Score`] to stereo audio with fundsp. Where fundsp's per-sample nodes
//! were most of a render's time, block nodes of our own do the same work: the mix bus and
//! reverb network (`bus`, `reverb`), the filters (`svf`), the pad's chords and the lead's notes
//! (`tones`); each says what it replaces and how it is checked against fundsp.
//!
//! - [`render`]: the whole piece, mastered to −16 LUFS integrated with peaks ≤ −1 dBFS
//!   (the dry voices and the reverb bus run on two threads as a pipeline).
//! - [`Stream`]: block-by-block rendering into the caller's buffer, with click-free
//!   cross-fades to another score — for browsers, games and `photophone play`.
//! - [`wav`]: 16-bit WAV encoding and atomic file writing.
#![forbid(unsafe_code)]

mod bus;
mod master;
mod reverb;
mod stream;
mod svf;
mod tones;
mod voices;
pub mod wav;

pub use bus::Bus;
pub use master::{loudness_lufs, master, Mastered, TARGET_LUFS, TARGET_PEAK_DBFS};
pub use reverb::Reverb;
pub use stream::Stream;
pub use voices::{build, build_dry, Voices};

use fundsp::prelude32::{AudioUnit, BufferArray, MAX_BUFFER_SIZE, U0, U2};
use photophone_compose::Score;
use std::sync::mpsc;

pub const DEFAULT_SAMPLE_RATE: u32 = 44_100;
/// Frames per pipeline chunk in the offline renderer.
const CHUNK: usize = 8192;

/// Stereo audio, interleaved L R L R.
#[derive(Clone, Debug, PartialEq)]
pub struct Audio {
    pub sample_rate: u32,
    pub samples: Vec<f32>,
}

impl Audio {
    pub fn frames(&self) -> usize {
        self.samples.len() / 2
    }
}

/// Fills `out` (interleaved stereo) from a stereo unit with no inputs.
pub(crate) fn fill(unit: &mut dyn AudioUnit, out: &mut [f32]) {
    let mut buf = BufferArray::<U2>::new();
    let input = BufferArray::<U0>::new();
    for block in out.chunks_mut(2 * MAX_BUFFER_SIZE) {
        let n = block.len() / 2;
        unit.process(n, &input.buffer_ref(), &mut buf.buffer_mut());
        for (i, frame) in block.chunks_exact_mut(2).enumerate() {
            frame[0] = buf.at_f32(0, i);
            frame[1] = buf.at_f32(1, i);
        }
    }
}

/// Passes interleaved stereo through a stereo-in, stereo-out unit in place.
pub(crate) fn filter(unit: &mut dyn AudioUnit, io: &mut [f32]) {
    let mut input = BufferArray::<U2>::new();
    let mut output = BufferArray::<U2>::new();
    for block in io.chunks_mut(2 * MAX_BUFFER_SIZE) {
        let n = block.len() / 2;
        for (i, frame) in block.chunks_exact(2).enumerate() {
            input.set_f32(0, i, frame[0]);
            input.set_f32(1, i, frame[1]);
        }
        unit.process(n, &input.buffer_ref(), &mut output.buffer_mut());
        for (i, frame) in block.chunks_exact_mut(2).enumerate() {
            frame[0] = output.at_f32(0, i);
            frame[1] = output.at_f32(1, i);
        }
    }
}

/// Renders the score with its edge fades but before loudness normalisation, and measures
/// its integrated loudness on the way. The dry parts (ambient: bed, pad, lead) run on threads
/// of their own as a pipeline, chunk by chunk: the first renders its part, each next one adds
/// its part to the chunk, and a last thread runs the bus (reverb), the fades and the loudness
/// meter. The sums are taken in the same order as in the one-graph [`Voices::dry`], so the
/// samples are identical to rendering it serially, as [`Stream`] does.
pub fn render_raw(score: &Score, sample_rate: u32) -> (Audio, f64) {
    let frames = (score.seconds * sample_rate as f64).round() as usize;
    let voices::Parts { dry, mut bus } = voices::build_parts(score, sample_rate as f64);
    let mut dry = dry.into_iter();
    let mut first = dry.next().expect("at least one dry part");
    std::thread::scope(|scope| {
        let (to_next, mut from_prev) = mpsc::sync_channel::<Vec<f32>>(4);
        for mut part in dry {
            let (to, from) = mpsc::sync_channel::<Vec<f32>>(4);
            let input = std::mem::replace(&mut from_prev, from);
            scope.spawn(move || {
                let mut own = Vec::new();
                for mut chunk in input {
                    own.resize(chunk.len(), 0.0);
                    fill(part.as_mut(), &mut own);
                    chunk.iter_mut().zip(&own).for_each(|(sum, x)| *sum += x);
                    if to.send(chunk).is_err() {
                        break;
                    }
                }
            });
        }
        let bus_thread = scope.spawn(move || {
            let mut out = Vec::with_capacity(frames * 2);
            let mut meter = master::Meter::new(sample_rate);
            for mut chunk in from_prev {
                bus.process(&mut chunk);
                master::apply_edge_fades(&mut chunk, out.len() / 2, frames, sample_rate);
                meter.add(&chunk);
                out.extend_from_slice(&chunk);
            }
            (out, meter.loudness())
        });
        let mut done = 0;
        while done < frames {
            let n = CHUNK.min(frames - done);
            let mut chunk = vec![0f32; n * 2];
            fill(first.as_mut(), &mut chunk);
            if to_next.send(chunk).is_err() {
                break;
            }
            done += n;
        }
        drop(to_next);
        let (samples, loudness) = bus_thread.join().expect("bus thread");
        (Audio { sample_rate, samples }, loudness)
    })
}

/// Renders and masters the whole score.
pub fn render(score: &Score, sample_rate: u32) -> Mastered {
    let (audio, loudness) = render_raw(score, sample_rate);
    master::master(audio, loudness)
}

#[doc(hidden)]
pub fn fill_for_profiling(unit: &mut dyn AudioUnit, out: &mut [f32]) {
    fill(unit, out)
}
/// The dry parts that [`render_raw`] runs on threads of their own, for timing them apart.
#[doc(hidden)]
pub fn dry_parts_for_profiling(score: &Score, sample_rate: u32) -> Vec<Box<dyn AudioUnit>> {
    voices::build_parts(score, sample_rate as f64).dry
}
