//! The maze's one audio engine, the same in the page's AudioWorklet (WebAssembly) and in
//! `photophone walk`: every photo with a score is a voice; each block it
//! 1. moves the listener (a scripted walk by the engine's own sample clock, or the live pose),
//! 2. every [`UPDATE_FRAMES`] recomputes what the listener hears of each photo through the
//!    maze ([`crate::acoustics`]) and keeps the most audible [`Engine::set_max_voices`] playing
//!    (the rest fade out and stop costing anything),
//! 3. renders each playing voice and places it binaurally ([`crate::spatial`]), sending a
//!    little of it to one shared room reverb,
//! 4. holds the overall loudness steady (a gliding gain that compresses the voices' summed
//!    power, so five photos coming into range at once do not jump out) and limits peaks.

use crate::acoustics::{Heard, Paths};
use crate::grid::Grid;
use crate::hrtf::{Hrtf, HrtfError};
use crate::layout::Layout;
use crate::spatial::{Binaural, Placement};
use crate::voice::PhotoVoice;
use crate::walk::{Pose, Walk};
use fundsp::prelude32::{limiter_stereo, An, Frame, Limiter, U2};
use photophone_compose::Score;
use photophone_synth::Reverb;

/// Frames between recomputations of the paths and the voice budget (21 ms at 48 kHz).
pub const UPDATE_FRAMES: u64 = 1024;
/// Voices playing at once unless told otherwise.
pub const DEFAULT_MAX_VOICES: usize = 12;
/// Below this gain (−40 dB re the reference distance) a photo is not worth a voice.
const AUDIBLE: f32 = 0.01;
/// Seconds for a voice to fade in or out of the budget.
const BUDGET_FADE_S: f32 = 0.5;
/// Seconds over which the heard position, level and colour follow a recomputation.
const GLIDE_S: f32 = 0.06;
/// The room: one reverb for the whole maze, fed by every voice.
const ROOM_SEND: f32 = 0.25;
const ROOM_WET: f32 = 1.0;
/// The loudness hold: what the other voices add to the loudest one is compressed 4:1 (five
/// photos around you are a little louder than one, not 7 dB louder), while the loudest voice
/// keeps its own level, so walking up to a photo still sounds like walking up to it; it
/// reacts within a voice's glide and recovers slowly.
const HOLD_RATIO: f32 = 4.0;
const HOLD_ATTACK_S: f32 = 0.08;
const HOLD_RELEASE_S: f32 = 2.0;

/// Why an engine cannot be made.
// Each variant's `#[error]` message is its documentation.
#[allow(missing_docs)]
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("the maze's layout: {0}")]
    Layout(String),
    #[error(transparent)]
    Hrtf(#[from] HrtfError),
}

/// What the engine was given for one hung photo.
struct Slot {
    score: Option<Score>,
    /// What the listener hears of it, as of the last recomputation.
    heard: Heard,
    voice: Option<Voice>,
}

/// A playing voice.
struct Voice {
    synth: PhotoVoice,
    binaural: Binaural,
    /// 0..1: fading in (`leaving` false) or out of the budget.
    fade: f32,
    leaving: bool,
    /// Playing a score that has since been replaced: it only leaves.
    stale: bool,
    /// The heard source as it glides towards the latest [`Slot::heard`].
    x: f32,
    y: f32,
    gain: f32,
    log_cutoff: f32,
}

/// Where the listener's pose comes from.
enum Listener {
    Live(Pose),
    Scripted { walk: Walk, from_frame: u64 },
}

/// The binaural maze renderer.
pub struct Engine {
    sample_rate: u32,
    hrtf: Hrtf,
    layout: Layout,
    grid: Grid,
    slots: Vec<Slot>,
    listener: Listener,
    pose: Pose,
    now: u64,
    next_update: u64,
    max_voices: usize,
    room: Reverb,
    hold: f32,
    limiter: An<Limiter<U2>>,
    meters: [f32; 2],
    mono: Vec<f32>,
    send: Vec<f32>,
    wet: [Vec<f32>; 2],
}

impl Engine {
    /// An engine for a maze at a sample rate; silent until scores are given.
    pub fn new(layout: Layout, sample_rate: u32) -> Result<Engine, EngineError> {
        layout.check().map_err(EngineError::Layout)?;
        let layout = layout.with_cells();
        let hrtf = Hrtf::kemar(sample_rate)?;
        let start = Pose {
            x: layout.start.x,
            y: layout.start.y,
            heading: layout.start.heading,
        };
        let mut limiter = limiter_stereo(0.003, 0.3);
        limiter.set_sample_rate(sample_rate as f64);
        let slots = layout
            .photos
            .iter()
            .map(|_| Slot {
                score: None,
                heard: Heard::SILENT,
                voice: None,
            })
            .collect();
        Ok(Engine {
            sample_rate,
            grid: Grid::for_seed(layout.seed),
            hrtf,
            slots,
            listener: Listener::Live(start),
            pose: start,
            now: 0,
            next_update: 0,
            max_voices: DEFAULT_MAX_VOICES,
            room: Reverb::new(18.0, 2.2, 0.6, sample_rate as f64),
            hold: 1.0,
            limiter,
            meters: [0.0; 2],
            mono: Vec::new(),
            send: Vec::new(),
            wet: [Vec::new(), Vec::new()],
            layout,
        })
    }

    /// The maze it plays.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Frames per second it renders.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// The maze's shared key centre and beat.
    pub fn grid(&self) -> Grid {
        self.grid
    }

    /// Gives photo `index` (in the layout's order) its score; it is fitted to the maze's
    /// grid. False when there is no such photo.
    pub fn set_score(&mut self, index: usize, score: &Score) -> bool {
        let Some(slot) = self.slots.get_mut(index) else {
            return false;
        };
        slot.score = Some(self.grid.fit(score));
        // A voice playing the old score leaves; the new one comes in with the next update.
        if let Some(v) = &mut slot.voice {
            v.leaving = true;
            v.stale = true;
        }
        self.next_update = self.now;
        true
    }

    /// The listener's live pose (a scripted walk stops).
    pub fn set_listener(&mut self, pose: Pose) {
        self.listener = Listener::Live(pose);
    }

    /// Follows a scripted walk from now on (its t = 0 is the next block).
    pub fn set_walk(&mut self, walk: Walk) {
        self.listener = Listener::Scripted {
            walk,
            from_frame: self.now,
        };
    }

    /// Voices playing at most (the most audible).
    pub fn set_max_voices(&mut self, n: usize) {
        self.max_voices = n;
        self.next_update = self.now;
    }

    /// Voices playing now (fading ones included).
    pub fn active_voices(&self) -> usize {
        self.slots.iter().filter(|s| s.voice.is_some()).count()
    }

    /// RMS of the last block at the left and right ear.
    pub fn meters(&self) -> [f32; 2] {
        self.meters
    }

    /// The listener's pose at the start of the last block.
    pub fn pose(&self) -> Pose {
        self.pose
    }

    /// Renders the next block (at most [`crate::spatial::MAX_BLOCK`] frames) into the two
    /// ears. The page calls this once per 128-frame render quantum; so does `walk`.
    pub fn render(&mut self, left: &mut [f32], right: &mut [f32]) {
        let n = left.len().min(right.len());
        let (left, right) = (&mut left[..n], &mut right[..n]);
        left.fill(0.0);
        right.fill(0.0);
        self.pose = self.pose_now();
        if self.now >= self.next_update {
            self.update_budget();
            self.next_update = self.now + UPDATE_FRAMES;
        }
        self.send.clear();
        self.send.resize(n, 0.0);
        let (power, loudest) = self.render_voices(left, right);
        self.add_room(left, right);
        self.hold_loudness(power, loudest, left, right);
        self.limit(left, right);
        self.meters = [rms(left), rms(right)];
        self.now += n as u64;
    }

    fn pose_now(&self) -> Pose {
        match &self.listener {
            Listener::Live(p) => *p,
            Listener::Scripted { walk, from_frame } => {
                walk.at((self.now - from_frame) as f64 / self.sample_rate as f64)
            }
        }
    }

    /// Recomputes what is heard of every photo and which photos have voices.
    fn update_budget(&mut self) {
        let paths = Paths::from(&self.layout, &self.pose);
        for (slot, photo) in self.slots.iter_mut().zip(&self.layout.photos) {
            slot.heard = if slot.score.is_some() {
                paths.hear(&self.layout, &self.pose, photo.x, photo.y)
            } else {
                Heard::SILENT
            };
        }
        let mut ranked: Vec<usize> = (0..self.slots.len())
            .filter(|&i| self.slots[i].heard.gain >= AUDIBLE)
            .collect();
        ranked.sort_by(|&a, &b| {
            self.slots[b]
                .heard
                .gain
                .total_cmp(&self.slots[a].heard.gain)
                .then(a.cmp(&b))
        });
        ranked.truncate(self.max_voices);
        let mut wanted = vec![false; self.slots.len()];
        ranked.iter().for_each(|&i| wanted[i] = true);
        let mut built_one = false;
        for (i, slot) in self.slots.iter_mut().enumerate() {
            match (&mut slot.voice, wanted[i]) {
                (Some(v), false) => v.leaving = true,
                (Some(v), true) if !v.stale => v.leaving = false,
                (None, true) if !built_one => {
                    // One new graph per update: building is the costly step (see voice.rs).
                    built_one = true;
                    slot.voice = Some(Self::start_voice(
                        slot,
                        &self.hrtf,
                        &self.grid,
                        self.now,
                        self.sample_rate,
                    ));
                }
                _ => {}
            }
        }
        if ranked.iter().any(|&i| self.slots[i].voice.is_none()) {
            // More voices to start: come back next block rather than in 21 ms.
            self.next_update = self.now;
        }
    }

    fn start_voice(slot: &Slot, hrtf: &Hrtf, grid: &Grid, now: u64, sample_rate: u32) -> Voice {
        let score = slot.score.clone().expect("only photos with scores are heard");
        let beat = grid.beat_s() * sample_rate as f64;
        // Start on the maze's next beat, so every photo's notes share its grid.
        let start = ((now as f64 / beat).ceil() * beat).round() as u64;
        let mut synth = PhotoVoice::new(score, sample_rate, start, 4.0 * grid.beat_s());
        synth.build();
        Voice {
            synth,
            binaural: Binaural::new(hrtf),
            fade: 0.0,
            leaving: false,
            stale: false,
            x: slot.heard.x,
            y: slot.heard.y,
            gain: slot.heard.gain,
            log_cutoff: slot.heard.cutoff_hz.log2(),
        }
    }

    /// Renders and places every voice; returns their summed power and the loudest one's (for
    /// the loudness hold).
    fn render_voices(&mut self, left: &mut [f32], right: &mut [f32]) -> (f32, f32) {
        let n = left.len();
        let sr = self.sample_rate as f32;
        let glide = 1.0 - (-(n as f32) / (GLIDE_S * sr)).exp();
        let fade_step = n as f32 / (BUDGET_FADE_S * sr);
        let (mut power, mut loudest) = (0.0f32, 0.0f32);
        let mut prebuilt = false;
        self.mono.resize(n, 0.0);
        for slot in &mut self.slots {
            let Some(v) = &mut slot.voice else { continue };
            v.fade = if v.leaving {
                v.fade - fade_step
            } else {
                v.fade + fade_step
            }
            .clamp(0.0, 1.0);
            if v.leaving && v.fade == 0.0 {
                slot.voice = None;
                continue;
            }
            let h = &slot.heard;
            v.x += glide * (h.x - v.x);
            v.y += glide * (h.y - v.y);
            v.gain += glide * (h.gain - v.gain);
            v.log_cutoff += glide * (h.cutoff_hz.log2() - v.log_cutoff);
            if !prebuilt && v.synth.wants_build(self.now) {
                prebuilt = true;
                v.synth.build();
            }
            v.synth.render(self.now, &mut self.mono);
            let gain = v.gain * v.fade;
            power += gain * gain;
            loudest = loudest.max(gain * gain);
            let heard = Heard { x: v.x, y: v.y, ..*h };
            let at = Placement {
                azimuth: heard.azimuth(&self.pose),
                gain,
                cutoff_hz: v.log_cutoff.exp2(),
            };
            v.binaural.process(&self.hrtf, &self.mono, at, left, right);
            // The room hears the voice as it arrives (muffled by the walls too), falling off
            // more slowly with distance than the direct sound (as a room's reverberation does).
            let send = ROOM_SEND / gain.sqrt().max(1e-3);
            let placed = v.binaural.placed_input();
            self.send.iter_mut().zip(placed).for_each(|(s, x)| *s += send * x);
        }
        (power, loudest)
    }

    fn add_room(&mut self, left: &mut [f32], right: &mut [f32]) {
        let n = left.len();
        let [wl, wr] = &mut self.wet;
        wl.resize(n, 0.0);
        wr.resize(n, 0.0);
        self.room
            .process([&self.send, &self.send], [&mut wl[..], &mut wr[..]]);
        left.iter_mut()
            .zip(wl.iter())
            .for_each(|(o, w)| *o += ROOM_WET * w);
        right
            .iter_mut()
            .zip(wr.iter())
            .for_each(|(o, w)| *o += ROOM_WET * w);
    }

    /// Compresses what the other voices add to the loudest one ([`HOLD_RATIO`]), gliding
    /// (quickly down, slowly up) so there is no jump.
    fn hold_loudness(&mut self, power: f32, loudest: f32, left: &mut [f32], right: &mut [f32]) {
        let n = left.len();
        let over = if loudest > 0.0 {
            (power / loudest).max(1.0)
        } else {
            1.0
        };
        // Output power loudest · over^(1/ratio): an amplitude gain of over^(−(1 − 1/ratio)/2).
        let target = over.powf(-0.5 * (1.0 - 1.0 / HOLD_RATIO));
        let seconds = if target < self.hold {
            HOLD_ATTACK_S
        } else {
            HOLD_RELEASE_S
        };
        let k = 1.0 - (-(n as f32) / (seconds * self.sample_rate as f32)).exp();
        let from = self.hold;
        self.hold += k * (target - self.hold);
        let step = (self.hold - from) / n as f32;
        for i in 0..n {
            let g = from + step * (i + 1) as f32;
            left[i] *= g;
            right[i] *= g;
        }
    }

    fn limit(&mut self, left: &mut [f32], right: &mut [f32]) {
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            let out = self.limiter.tick(&Frame::from([*l, *r]));
            *l = out[0];
            *r = out[1];
        }
    }
}

fn rms(x: &[f32]) -> f32 {
    (x.iter().map(|v| v * v).sum::<f32>() / x.len().max(1) as f32).sqrt()
}
