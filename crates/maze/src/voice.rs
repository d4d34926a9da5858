//! One photo's endless stream: its score (fitted to the maze's grid) played by the existing
//! synthesis graphs, dry and summed to mono (the room adds the reverb; the head adds the
//! stereo), looping on whole bars of the maze's beat. The next loop starts while the last
//! one fades out (the score fades at both ends), so the stream never dips to silence.
//!
//! Building a score's graph is the one costly step that happens on the audio thread, so it
//! is done ahead of time and by the caller at most once per block ([`PhotoVoice::build`]).

use fundsp::prelude32::{AudioUnit, BufferArray, MAX_BUFFER_SIZE, U0, U2};
use photophone_compose::Score;

/// Level of a voice at the reference distance: the gain the synthesizer's streaming
/// player gives an ambient score (about −16 LUFS for one photo).
const VOICE_GAIN: f32 = 2.0;
/// Build the next loop's graph this long before it starts.
const PREBUILD_S: f64 = 8.0;

struct Instance {
    unit: Box<dyn AudioUnit>,
    /// Frames of this instance played.
    pos: usize,
    /// Frames of the next block before it starts.
    wait: usize,
}

/// A photo's stream, started on a beat of the maze.
pub struct PhotoVoice {
    score: Score,
    sample_rate: u32,
    /// Frames of one loop of the score, and from one loop's start to the next.
    frames: usize,
    period: usize,
    /// Global frame at which the next instance starts.
    next_start: u64,
    playing: Vec<Instance>,
    prebuilt: Option<Box<dyn AudioUnit>>,
    buffer: BufferArray<U2>,
}

impl PhotoVoice {
    /// A voice for `score` that starts at global frame `start` (a beat), looping every whole
    /// number of `bar_s` bars that fits before the score's closing fade.
    pub fn new(score: Score, sample_rate: u32, start: u64, bar_s: f64) -> PhotoVoice {
        let sr = sample_rate as f64;
        // The graph fades the whole piece in and out over this long (synth::voices).
        let fade = (score.seconds * 0.15).min(4.0);
        let bars = ((score.seconds - fade) / bar_s).floor().max(1.0);
        PhotoVoice {
            frames: (score.seconds * sr).round() as usize,
            period: ((bars * bar_s * sr).round() as usize).max(1),
            score,
            sample_rate,
            next_start: start,
            playing: Vec::new(),
            prebuilt: None,
            buffer: BufferArray::new(),
        }
    }

    /// Whether a graph should be built now (the next loop starts within [`PREBUILD_S`]).
    pub fn wants_build(&self, now: u64) -> bool {
        self.prebuilt.is_none() && self.next_start <= now + (PREBUILD_S * self.sample_rate as f64) as u64
    }

    /// Builds the next loop's graph.
    pub fn build(&mut self) {
        self.prebuilt = Some(photophone_synth::build_dry(&self.score, self.sample_rate as f64));
    }

    /// Writes the block starting at global frame `now` (mono, at [`VOICE_GAIN`]) into `out`.
    pub fn render(&mut self, now: u64, out: &mut [f32]) {
        out.fill(0.0);
        let end = now + out.len() as u64;
        if self.next_start < end {
            self.begin_loop(now);
        }
        for instance in &mut self.playing {
            add_mono(instance, &mut self.buffer, self.frames, out);
        }
        let frames = self.frames;
        self.playing.retain(|i| i.pos < frames);
    }

    /// Starts the next loop (building its graph now if it was not built in time), silent
    /// until its first frame within this block.
    fn begin_loop(&mut self, now: u64) {
        if self.prebuilt.is_none() {
            self.build();
        }
        let unit = self.prebuilt.take().expect("built above");
        let wait = self.next_start.saturating_sub(now) as usize;
        self.playing.push(Instance { unit, pos: 0, wait });
        self.next_start += self.period as u64;
    }
}

/// Adds an instance's next frames, summed to mono, into `out` (silence past its end).
fn add_mono(instance: &mut Instance, buffer: &mut BufferArray<U2>, frames: usize, out: &mut [f32]) {
    let input = BufferArray::<U0>::new();
    let mut done = std::mem::take(&mut instance.wait).min(out.len());
    while done < out.len() && instance.pos < frames {
        let n = (out.len() - done).min(MAX_BUFFER_SIZE).min(frames - instance.pos);
        instance
            .unit
            .process(n, &input.buffer_ref(), &mut buffer.buffer_mut());
        for i in 0..n {
            out[done + i] += 0.5 * VOICE_GAIN * (buffer.at_f32(0, i) + buffer.at_f32(1, i));
        }
        instance.pos += n;
        done += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score() -> Score {
        let options = photophone::Options {
            seconds: 8.0,
            ..Default::default()
        };
        photophone::compose_photo(&photophone::default_photo(), &options).1
    }

    fn render(unit: Box<dyn AudioUnit>, frames: usize) -> Vec<f32> {
        let mut instance = Instance {
            unit,
            pos: 0,
            wait: 0,
        };
        let mut out = vec![0.0; frames];
        add_mono(&mut instance, &mut BufferArray::new(), frames, &mut out);
        out
    }

    #[test]
    fn the_quickly_built_graph_plays_the_same_samples() {
        let s = score();
        let frames = 6 * 48_000;
        let quick = render(photophone_synth::build_dry(&s, 48_000.0), frames);
        let full = render(photophone_synth::build(&s, 48_000.0).dry, frames);
        assert!(quick.iter().any(|&x| x != 0.0));
        assert!(quick == full, "build_dry and build().dry differ");
    }

    #[test]
    fn a_voice_loops_on_whole_bars_and_starts_on_its_frame() {
        let s = score();
        let bar = 4.0 * 60.0 / 72.0;
        let mut v = PhotoVoice::new(s, 48_000, 1000, bar);
        assert_eq!(
            v.period,
            (2.0 * bar * 48_000.0_f64).round() as usize,
            "8 s less its 1.2-s fade holds two bars"
        );
        let mut block = vec![0.0; 128];
        v.render(896, &mut block);
        assert!(block[..104].iter().all(|&x| x == 0.0), "silent before frame 1000");
        assert_eq!(v.next_start, 1000 + v.period as u64);
    }
}
