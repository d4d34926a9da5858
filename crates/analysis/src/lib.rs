//! photophone's image analysis: what a photo *is* to the composer.
//!
//! The stages are deliberately plain: [`decode`] turns bytes into an upright RGB photo under
//! size limits, [`analyze`] measures light, colour, texture, features and coarse regions on an
//! area-averaged copy (every source pixel contributes), and [`trackingjs`] reproduces the seed's
//! 2014 feature detector exactly for the `classic` style.

pub mod decode;
mod measure;
pub mod overlay;
pub mod regions;
mod regions_model;
pub mod trackingjs;

pub use decode::{load_bytes, load_bytes_at, load_path, load_path_at, Photo, PhotoError, Resolution};
pub use measure::{analyze, region_features};
pub use regions::{RegionKind, Regions};

use serde::{Deserialize, Serialize};

/// Everything photophone measures in a photo. Serialised as the `analysis` object of
/// `photophone analyze --json` (documented in the README).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Analysis {
    /// Size of the (upright) photo.
    pub width: u32,
    pub height: u32,
    /// Size of the area-averaged copy the measurements ran on.
    pub analysed_width: u32,
    pub analysed_height: u32,
    pub luminance: Luminance,
    pub colour: Colour,
    pub texture: Texture,
    /// Dominant colours, heaviest first.
    pub palette: Vec<PaletteColour>,
    /// FAST-9 corners of the analysed copy with scores, strongest per neighbourhood, in
    /// full-resolution pixel coordinates, sorted left to right.
    pub features: Vec<FeaturePoint>,
    pub regions: Regions,
}

/// Relative luminance Y (linearised sRGB, Rec. 709 weights), 0..1.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Luminance {
    pub mean: f32,
    pub median: f32,
    pub p05: f32,
    pub p95: f32,
    pub std_dev: f32,
    /// Geometric mean (the photographer's "key" of the scene).
    pub log_average: f32,
    /// Mean perceptual lightness (Oklab L, 0..1): how bright the photo looks.
    pub lightness: f32,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Colour {
    /// -1 (cold: blue/cyan) .. +1 (warm: red/orange/yellow); near 0 for grey photos.
    pub warmth: f32,
    /// Mean Oklch chroma scaled so 1.0 is a very saturated photo.
    pub saturation: f32,
    /// Chroma-weighted mean hue in degrees (Oklab hue angle).
    pub mean_hue_deg: f32,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Texture {
    /// Standard deviation of Oklab lightness, scaled to 0..1.
    pub contrast: f32,
    /// Fraction of pixels on a Sobel edge.
    pub edge_density: f32,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PaletteColour {
    pub hex: String,
    pub rgb: [u8; 3],
    /// Oklab L, a, b.
    pub oklab: [f32; 3],
    /// Share of the photo's pixels in this cluster.
    pub weight: f32,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FeaturePoint {
    pub x: u32,
    pub y: u32,
    pub score: f32,
    /// Relative luminance of the photo around the point, 0..1.
    pub luminance: f32,
}
