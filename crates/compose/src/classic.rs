//! The seed's 2014 mapping, reproduced faithfully as the baseline photophone is measured
//! against: tracking.js grayscale + FAST-9 (threshold 40), the first 200 corners, each
//! corner's mean of R, G and B mapped linearly to 20–500 Hz, one sine per corner with a
//! slow random frequency drift.

use crate::{Arrangement, Classic, ClassicOscillator, Decision, Score};
use photophone_analysis::{trackingjs, Photo};
use serde::{Deserialize, Serialize};

/// The seed kept "at most 200" feature pixels.
pub const MAX_FEATURE_PIXELS: usize = 200;

/// One classic feature pixel: where tracking.js found it, its colour, its oscillator pitch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassicFeaturePixel {
    pub x: u32,
    pub y: u32,
    pub r: u8,
    pub g: u8,
    pub b: u8,
    pub frequency_hz: f32,
}

/// The classic style's corners, in tracking.js order.
pub fn classic_feature_pixels(photo: &Photo) -> Vec<ClassicFeaturePixel> {
    let img = photo.best_pixels();
    let gray = trackingjs::grayscale(img);
    let corners = trackingjs::find_corners(
        &gray,
        img.width() as usize,
        img.height() as usize,
        trackingjs::DEFAULT_THRESHOLD,
    );
    corners
        .into_iter()
        .take(MAX_FEATURE_PIXELS)
        .map(|(x, y)| {
            let p = img.get_pixel(x, y);
            let v = (p[0] as f32 + p[1] as f32 + p[2] as f32) / 3.0;
            ClassicFeaturePixel {
                x,
                y,
                r: p[0],
                g: p[1],
                b: p[2],
                frequency_hz: 20.0 + v / 255.0 * 480.0,
            }
        })
        .collect()
}

pub(crate) fn compose(photo: &Photo, seconds: f64, seed: u64) -> Score {
    let pixels = classic_feature_pixels(photo);
    let oscillators = pixels
        .iter()
        .enumerate()
        .map(|(i, p)| ClassicOscillator {
            frequency_hz: p.frequency_hz,
            drift_seed: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(i as u64),
        })
        .collect();
    let mean = if pixels.is_empty() {
        0.0
    } else {
        pixels.iter().map(|p| p.frequency_hz).sum::<f32>() / pixels.len() as f32
    };
    Score {
        seconds,
        seed,
        arrangement: Arrangement::Classic(Classic { oscillators }),
        decisions: vec![
            Decision {
                topic: "oscillators".into(),
                value: format!("{} sine oscillators", pixels.len()),
                because: "one per tracking.js FAST corner (threshold 40, first 200 in raster order)".into(),
            },
            Decision {
                topic: "pitch".into(),
                value: format!("20–500 Hz, mean {mean:.0} Hz"),
                because: "each corner's mean of R, G, B (0–255) mapped linearly to 20–500 Hz".into(),
            },
        ],
    }
}
