//! The maze's engine for the page's AudioWorklet: [`photophone_maze::Engine`] behind numbers
//! and byte slices (an AudioWorkletGlobalScope has no TextDecoder, so no strings cross).

use photophone_compose::Score;
use photophone_maze::{Engine, Layout, Pose, Walk};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen::prelude::*;

/// Every photo of a maze, heard binaurally from where the listener stands.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen)]
pub struct MazeEngine {
    engine: Engine,
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen)]
impl MazeEngine {
    /// An engine for a layout (JSON, as `/api/maze/layout` returns it); `None` (undefined)
    /// when the bytes are not a layout.
    pub fn create(sample_rate: u32, layout_json: &[u8]) -> Option<MazeEngine> {
        let layout: Layout = serde_json::from_slice(layout_json).ok()?;
        if layout.columns == 0 || layout.rows == 0 || layout.columns * layout.rows > 1_000_000 {
            return None;
        }
        Engine::new(layout, sample_rate)
            .ok()
            .map(|engine| MazeEngine { engine })
    }

    /// Gives photo `index` its score (the `score` of `/api/analyze`); false when the bytes
    /// are not a playable score or there is no such photo.
    pub fn set_score(&mut self, index: usize, score_json: &[u8]) -> bool {
        match serde_json::from_slice::<Score>(score_json) {
            Ok(score) if score.check().is_ok() => self.engine.set_score(index, &score),
            _ => false,
        }
    }

    /// The listener's live position (metres) and heading (degrees clockwise from +y).
    pub fn set_listener(&mut self, x: f32, y: f32, heading_deg: f32) {
        if [x, y, heading_deg].iter().all(|v| v.is_finite()) {
            self.engine.set_listener(Pose {
                x,
                y,
                heading: heading_deg,
            });
        }
    }

    /// Follows a scripted walk (a walk file's JSON) from the next quantum; false when the
    /// bytes are not a valid walk.
    pub fn set_walk(&mut self, walk_json: &[u8]) -> bool {
        match Walk::from_json(walk_json) {
            Ok(walk) => {
                self.engine.set_walk(walk);
                true
            }
            Err(_) => false,
        }
    }

    pub fn set_max_voices(&mut self, n: usize) {
        self.engine.set_max_voices(n);
    }

    /// Fills the two ears (equal lengths, at most 1024 frames).
    pub fn render(&mut self, left: &mut [f32], right: &mut [f32]) {
        self.engine.render(left, right);
    }

    pub fn active_voices(&self) -> usize {
        self.engine.active_voices()
    }

    /// RMS of the last quantum at the left ear.
    pub fn meter_left(&self) -> f32 {
        self.engine.meters()[0]
    }

    /// RMS of the last quantum at the right ear.
    pub fn meter_right(&self) -> f32 {
        self.engine.meters()[1]
    }
}
