//! The browser side of `photophone serve`: the same [`photophone_synth::Stream`] the CLI's
//! `play` drives, compiled to WebAssembly and called from an AudioWorklet once per
//! 128-frame render quantum, so playback needs no server round trip per block.
//!
//! The server composes (it has the photo decoder); the page hands the score to the worklet
//! as JSON bytes. Only numbers and byte/float slices cross the boundary: an
//! AudioWorkletGlobalScope has no TextDecoder, so no strings are passed.

// wasm-bindgen's generated glue uses unsafe on the WebAssembly target; our own code uses none.
#![cfg_attr(not(target_arch = "wasm32"), forbid(unsafe_code))]

mod maze;
pub use maze::MazeEngine;

use photophone_compose::Score;
use photophone_synth::Stream;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen::prelude::*;

/// One real-time stream; starts silent until a score is given.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen)]
pub struct Engine {
    sample_rate: u32,
    stream: Option<Stream>,
    interleaved: Vec<f32>,
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen)]
impl Engine {
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen(constructor))]
    pub fn new(sample_rate: u32) -> Engine {
        Engine {
            sample_rate,
            stream: None,
            interleaved: Vec::new(),
        }
    }

    /// Plays a score (`Score` as JSON, as `/api/analyze` returns it), cross-fading from the
    /// one playing over `fade_seconds`. Returns false (and keeps playing what it was) when
    /// the bytes are not a score, or not one the synthesizer can play ([`Score::check`]).
    pub fn play(&mut self, score_json: &[u8], fade_seconds: f64) -> bool {
        let Ok(score) = serde_json::from_slice::<Score>(score_json) else {
            return false;
        };
        if score.check().is_err() {
            return false;
        }
        match &mut self.stream {
            Some(stream) => stream.switch_to(score, fade_seconds.max(0.0)),
            None => self.stream = Some(Stream::new(score, self.sample_rate)),
        }
        true
    }

    /// Whether a score has been given.
    pub fn is_playing(&self) -> bool {
        self.stream.is_some()
    }

    /// Fills the two channel buffers (equal lengths) with the next frames; silence before
    /// the first score.
    pub fn render(&mut self, left: &mut [f32], right: &mut [f32]) {
        let frames = left.len().min(right.len());
        let Some(stream) = &mut self.stream else {
            left.fill(0.0);
            right.fill(0.0);
            return;
        };
        self.interleaved.resize(2 * frames, 0.0);
        stream.render(&mut self.interleaved);
        for (i, frame) in self.interleaved.chunks_exact(2).enumerate() {
            left[i] = frame[0];
            right[i] = frame[1];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(seed: u64) -> Score {
        let options = photophone::Options {
            seconds: 10.0,
            seed,
            ..Default::default()
        };
        photophone::compose_photo(&photophone::default_photo(), &options).1
    }

    #[test]
    fn silent_until_a_score_then_the_streams_own_samples() {
        let mut engine = Engine::new(48_000);
        let (mut l, mut r) = (vec![1.0; 128], vec![1.0; 128]);
        engine.render(&mut l, &mut r);
        assert!(l.iter().chain(&r).all(|&v| v == 0.0));
        assert!(!engine.play(b"{not a score", 1.0), "garbage must be refused");
        assert!(!engine.is_playing());

        let s = score(3);
        assert!(engine.play(&serde_json::to_vec(&s).unwrap(), 1.0));
        let mut reference = Stream::new(s, 48_000);
        let mut expected = vec![0.0; 256];
        let mut energy = 0.0;
        // Two seconds in 128-frame quanta, as an AudioWorklet calls it.
        for _ in 0..750 {
            engine.render(&mut l, &mut r);
            reference.render(&mut expected);
            for i in 0..128 {
                assert_eq!((l[i], r[i]), (expected[2 * i], expected[2 * i + 1]));
                energy += l[i] * l[i];
            }
        }
        assert!(energy > 1.0, "the engine plays sound: energy {energy}");
    }

    #[test]
    fn a_second_score_cross_fades_like_the_stream() {
        let (a, b) = (score(1), score(2));
        let mut engine = Engine::new(44_100);
        engine.play(&serde_json::to_vec(&a).unwrap(), 0.5);
        engine.play(&serde_json::to_vec(&b).unwrap(), 0.5);
        let mut reference = Stream::new(a, 44_100);
        reference.switch_to(b, 0.5);
        let (mut l, mut r, mut expected) = (vec![0.0; 128], vec![0.0; 128], vec![0.0; 256]);
        for _ in 0..400 {
            engine.render(&mut l, &mut r);
            reference.render(&mut expected);
            assert!((0..128).all(|i| l[i] == expected[2 * i] && r[i] == expected[2 * i + 1]));
        }
    }
}
