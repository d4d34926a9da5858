//! Streaming: render block by block into the caller's buffer, and switch to another score
//! with an equal-power cross-fade. This is what a real-time host (a browser AudioWorklet, a
//! game, `photophone play`) drives.

use crate::master::apply_edge_fades;
use crate::voices::{build, Voices};
use crate::{fill, filter};
use fundsp::prelude32::{limiter_stereo, An, Limiter, U2};
use photophone_compose::{Score, Style};

/// Gain that brings a typical raw render near −16 LUFS (calibrated on the test photos; the
/// offline renderer measures and normalises exactly, a stream cannot look ahead).
fn nominal_gain(style: Style) -> f32 {
    match style {
        Style::Ambient => 2.0,
        Style::Classic => 0.55,
    }
}

/// fundsp's control-rate parts (envelopes) are evaluated per processing block, so the graph
/// always runs in blocks of this many frames; callers' block sizes then cannot change a
/// single sample.
const BLOCK: usize = 64;

struct Player {
    score: Score,
    voices: Voices,
    sample_rate: u32,
    pos: usize,
    frames: usize,
    gain: f32,
    /// Rendered frames not yet handed out (interleaved), and how many of them are used.
    pending: [f32; 2 * BLOCK],
    pending_used: usize,
    pending_len: usize,
}

impl Player {
    fn new(score: Score, sample_rate: u32) -> Player {
        let voices = build(&score, sample_rate as f64);
        let frames = (score.seconds * sample_rate as f64).round() as usize;
        let gain = nominal_gain(score.style());
        Player {
            score,
            voices,
            sample_rate,
            pos: 0,
            frames,
            gain,
            pending: [0.0; 2 * BLOCK],
            pending_used: 0,
            pending_len: 0,
        }
    }

    /// Renders the next block of up to [`BLOCK`] frames into `pending`; at the end of the
    /// score it starts again (the score fades in and out at its ends, so the loop is smooth).
    fn refill(&mut self) {
        if self.pos >= self.frames {
            if self.frames == 0 {
                self.pending.fill(0.0);
                self.pending_len = 2 * BLOCK;
                self.pending_used = 0;
                return;
            }
            self.voices = build(&self.score, self.sample_rate as f64);
            self.pos = 0;
        }
        let n = BLOCK.min(self.frames - self.pos);
        let block = &mut self.pending[..2 * n];
        fill(self.voices.dry.as_mut(), block);
        self.voices.bus.process(block);
        apply_edge_fades(block, self.pos, self.frames, self.sample_rate);
        block.iter_mut().for_each(|x| *x *= self.gain);
        self.pos += n;
        self.pending_len = 2 * n;
        self.pending_used = 0;
    }

    fn render(&mut self, out: &mut [f32]) {
        let mut done = 0;
        while done < out.len() {
            if self.pending_used == self.pending_len {
                self.refill();
            }
            let n = (out.len() - done).min(self.pending_len - self.pending_used);
            out[done..done + n].copy_from_slice(&self.pending[self.pending_used..self.pending_used + n]);
            self.pending_used += n;
            done += n;
        }
    }
}

/// A real-time renderer for one score at a time.
pub struct Stream {
    sample_rate: u32,
    current: Player,
    incoming: Option<(Player, usize, usize)>,
    scratch: Vec<f32>,
    limiter: An<Limiter<U2>>,
}

impl Stream {
    pub fn new(score: Score, sample_rate: u32) -> Stream {
        let mut limiter = limiter_stereo(0.003, 0.3);
        limiter.set_sample_rate(sample_rate as f64);
        Stream {
            sample_rate,
            current: Player::new(score, sample_rate),
            incoming: None,
            scratch: Vec::new(),
            limiter,
        }
    }

    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// The score playing now (the incoming one once a cross-fade has begun).
    pub fn score(&self) -> &Score {
        match &self.incoming {
            Some((p, _, _)) => &p.score,
            None => &self.current.score,
        }
    }

    /// Cross-fades to another score over `seconds` (equal power). A switch during a
    /// cross-fade completes the first one at once and starts the new one.
    pub fn switch_to(&mut self, score: Score, seconds: f64) {
        if let Some((p, _, _)) = self.incoming.take() {
            self.current = p;
        }
        let frames = ((seconds * self.sample_rate as f64) as usize).max(1);
        self.incoming = Some((Player::new(score, self.sample_rate), 0, frames));
    }

    /// Fills `out` (interleaved stereo, even length) with the next frames.
    pub fn render(&mut self, out: &mut [f32]) {
        assert!(
            out.len().is_multiple_of(2),
            "interleaved stereo needs an even buffer length"
        );
        self.current.render(out);
        if let Some((next, pos, total)) = &mut self.incoming {
            self.scratch.resize(out.len(), 0.0);
            next.render(&mut self.scratch);
            for (i, (o, n)) in out
                .chunks_exact_mut(2)
                .zip(self.scratch.chunks_exact(2))
                .enumerate()
            {
                let x = ((*pos + i) as f32 / *total as f32).min(1.0);
                let (go, gn) = (
                    (x * std::f32::consts::FRAC_PI_2).cos(),
                    (x * std::f32::consts::FRAC_PI_2).sin(),
                );
                o[0] = o[0] * go + n[0] * gn;
                o[1] = o[1] * go + n[1] * gn;
            }
            *pos += out.len() / 2;
            if *pos >= *total {
                let (p, _, _) = self.incoming.take().expect("incoming present");
                self.current = p;
            }
        }
        filter(&mut self.limiter, out);
    }
}
