//! Coarse scene regions on a grid: sky, water, vegetation, ground. Plain colour/position/texture
//! rules, not a trained segmenter: enough to tell a grey stormy sky from a sunny one and a
//! rippled lake from a wall.

use palette::Oklab;
use serde::{Deserialize, Serialize};

pub const GRID_COLS: u32 = 12;
pub const GRID_ROWS: u32 = 8;

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RegionKind {
    Sky,
    Water,
    Vegetation,
    Ground,
}

impl RegionKind {
    fn letter(self) -> char {
        match self {
            RegionKind::Sky => 'S',
            RegionKind::Water => 'W',
            RegionKind::Vegetation => 'V',
            RegionKind::Ground => 'G',
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Regions {
    /// Share of grid cells of each kind (they sum to 1).
    pub sky: f32,
    pub water: f32,
    pub vegetation: f32,
    pub ground: f32,
    /// Mean relative luminance of the sky cells (0 when there is no sky).
    pub sky_luminance: f32,
    /// 0..1: how much of the picture is dark, grey, heavy sky.
    pub heavy_sky: f32,
    /// 0..1: how much of the picture is textured blue or green (water, foliage, grass).
    pub textured_blue_green: f32,
    /// The grid, one string per row from the top: S sky, W water, V vegetation, G ground.
    pub grid: Vec<String>,
}

pub(crate) struct PixelStats<'a> {
    pub width: u32,
    pub height: u32,
    pub labs: &'a [Oklab],
    pub luminance: &'a [f32],
    pub edge_magnitude: &'a [f32],
}

#[derive(Default, Clone, Copy)]
struct Cell {
    l: f32,
    a: f32,
    b: f32,
    y: f32,
    edge: f32,
    n: f32,
}

pub(crate) fn classify(s: &PixelStats) -> Regions {
    let mut cells = vec![Cell::default(); (GRID_COLS * GRID_ROWS) as usize];
    for py in 0..s.height {
        let row = (py * GRID_ROWS / s.height) as usize;
        for px in 0..s.width {
            let col = (px * GRID_COLS / s.width) as usize;
            let i = (py * s.width + px) as usize;
            let c = &mut cells[row * GRID_COLS as usize + col];
            c.l += s.labs[i].l;
            c.a += s.labs[i].a;
            c.b += s.labs[i].b;
            c.y += s.luminance[i];
            c.edge += s.edge_magnitude[i];
            c.n += 1.0;
        }
    }
    let mut kinds = Vec::with_capacity(cells.len());
    let (mut sky_y, mut heavy, mut textured) = (0f32, 0f32, 0f32);
    for (k, c) in cells.iter().enumerate() {
        let n = c.n.max(1.0);
        let (l, a, b, y, edge) = (c.l / n, c.a / n, c.b / n, c.y / n, c.edge / n);
        let row = k as u32 / GRID_COLS;
        let upper = (row as f32 + 0.5) / GRID_ROWS as f32;
        let chroma = (a * a + b * b).sqrt();
        let hue = b.atan2(a).to_degrees().rem_euclid(360.0);
        let blueish = chroma > 0.025 && (190.0..290.0).contains(&hue);
        let greenish = chroma > 0.035 && (105.0..190.0).contains(&hue);
        let smooth = edge < 60.0;
        let kind = if upper < 0.55 && smooth && (blueish || (chroma < 0.04 && l > 0.35)) {
            RegionKind::Sky
        } else if upper > 0.4 && blueish {
            RegionKind::Water
        } else if greenish {
            RegionKind::Vegetation
        } else {
            RegionKind::Ground
        };
        if kind == RegionKind::Sky {
            sky_y += y;
            // Heavy: dark and grey.
            heavy += ((0.75 - l) / 0.35).clamp(0.0, 1.0) * ((0.06 - chroma) / 0.06).clamp(0.0, 1.0);
        }
        if (blueish || greenish) && edge > 25.0 {
            textured += (edge / 120.0).min(1.0);
        }
        kinds.push(kind);
    }
    let total = kinds.len() as f32;
    let count = |k: RegionKind| kinds.iter().filter(|&&x| x == k).count() as f32;
    let sky_cells = count(RegionKind::Sky);
    let grid = kinds
        .chunks(GRID_COLS as usize)
        .map(|row| row.iter().map(|k| k.letter()).collect())
        .collect();
    Regions {
        sky: sky_cells / total,
        water: count(RegionKind::Water) / total,
        vegetation: count(RegionKind::Vegetation) / total,
        ground: count(RegionKind::Ground) / total,
        sky_luminance: if sky_cells > 0.0 { sky_y / sky_cells } else { 0.0 },
        heavy_sky: (heavy / total * 2.0).clamp(0.0, 1.0),
        textured_blue_green: (textured / total).clamp(0.0, 1.0),
        grid,
    }
}
