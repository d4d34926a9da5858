//! A clip's conditioning and how much of it is usable: f0 where the tracker is confident,
//! loudness everywhere, and the frames a model may train on.

use crate::loudness::loudness;
use crate::model::Features;
use crate::pitch::{fill_unvoiced, track};

/// Frames quieter than this under the clip's loud level (its 95th percentile) are rests.
const REST_BELOW_DB: f32 = 45.0;
/// And anything under this is a rest whatever the clip's level.
const QUIET_DB: f32 = -70.0;

pub struct Conditioning {
    pub features: Features,
    /// Confidently pitched.
    pub voiced: Vec<bool>,
    /// Voiced, or a rest: what a monophonic instrument's model can learn from.
    pub usable: Vec<bool>,
    /// Frames that are not rests.
    pub sounding: usize,
    /// Of those, confidently pitched.
    pub voiced_sounding: usize,
}

impl Conditioning {
    /// Share of sounding frames with a confident single pitch.
    pub fn confident_share(&self) -> f32 {
        self.voiced_sounding as f32 / self.sounding.max(1) as f32
    }
}

pub fn analyse(x: &[f32], rate: u32, hop: usize) -> Conditioning {
    let t = track(x, rate, hop);
    let loud = loudness(x, rate, hop);
    let mut sorted = loud.clone();
    sorted.sort_by(f32::total_cmp);
    let level = sorted.get(sorted.len() * 95 / 100).copied().unwrap_or(QUIET_DB);
    let rest_below = (level - REST_BELOW_DB).max(QUIET_DB);
    let n = t.f0.len().min(loud.len());
    let voiced: Vec<bool> = (0..n).map(|i| t.voiced(i) && loud[i] > rest_below).collect();
    let rest: Vec<bool> = (0..n).map(|i| loud[i] <= rest_below).collect();
    let usable: Vec<bool> = (0..n).map(|i| voiced[i] || rest[i]).collect();
    let sounding = rest.iter().filter(|r| !**r).count();
    let voiced_sounding = voiced.iter().filter(|v| **v).count();
    Conditioning {
        features: Features {
            f0: fill_unvoiced(&t.f0[..n], &voiced),
            loudness: loud[..n].to_vec(),
        },
        voiced,
        usable,
        sounding,
        voiced_sounding,
    }
}
