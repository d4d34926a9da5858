//! Coarse scene regions on a 6×4 grid: sky, water, vegetation and ground (everything else:
//! rock, sand, buildings, people, objects).
//!
//! Each cell is described by a few measurements — its height in the photo, its Oklab colour,
//! texture, edge orientation (ripples and horizons are horizontal edges, trunks and walls
//! vertical), its light against the photo's and against the cell above it, the colour of the
//! cells above and below, how much it mirrors what lies above the horizon — and classified by
//! a softmax regression (`regions_model.rs`) trained on hand-labelled real photographs
//! (testdata/real-photos/labels.tsv) by `cargo run --release -p photophone-analysis --example
//! train_regions`. Colour alone cannot tell a dusk sky from a lake or a dark foreground from
//! water; position, texture and light relative to the rest of the photo can.

use crate::regions_model;
use palette::Oklab;
use serde::{Deserialize, Serialize};

pub const GRID_COLS: usize = 6;
pub const GRID_ROWS: usize = 4;
/// Measurements per cell (see [`cell_features`]).
pub const FEATURES: usize = 33;

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RegionKind {
    Sky,
    Water,
    Vegetation,
    Ground,
}

/// The classifier's output order.
pub const KINDS: [RegionKind; 4] = [
    RegionKind::Sky,
    RegionKind::Water,
    RegionKind::Vegetation,
    RegionKind::Ground,
];

impl RegionKind {
    pub fn letter(self) -> char {
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
    /// Expected share of the photo of each kind (mean class probability over the cells; they
    /// sum to 1).
    pub sky: f32,
    pub water: f32,
    pub vegetation: f32,
    pub ground: f32,
    /// Mean relative luminance of the sky, weighted by how sure each cell is sky (0 when none).
    pub sky_luminance: f32,
    /// 0..1: how much of the picture is dark, grey, heavy sky.
    pub heavy_sky: f32,
    /// 0..1: how much of the picture is textured water or foliage (ripples, leaves).
    pub textured_blue_green: f32,
    /// The grid, one string per row from the top: S sky, W water, V vegetation, G ground.
    pub grid: Vec<String>,
}

/// Per-pixel measurements of the analysed copy.
pub struct PixelStats<'a> {
    pub width: u32,
    pub height: u32,
    pub labs: &'a [Oklab],
    pub luminance: &'a [f32],
    /// Sobel gradients of the grey image, horizontal and vertical.
    pub gx: &'a [f32],
    pub gy: &'a [f32],
}

/// Sobel magnitude (of 8-bit grey) that counts as an edge.
const EDGE_THRESHOLD: f32 = 120.0;

#[derive(Default, Clone, Copy)]
struct Sums {
    n: f32,
    l: f32,
    l2: f32,
    a: f32,
    b: f32,
    y: f32,
    abs_gx: f32,
    abs_gy: f32,
    edges: f32,
    l_top: f32,
    n_top: f32,
}

/// The measurements of each cell, row-major from the top left. Scaled to roughly unit range.
pub fn cell_features(s: &PixelStats) -> Vec<[f32; FEATURES]> {
    let mut sums = vec![Sums::default(); GRID_COLS * GRID_ROWS];
    let (w, h) = (s.width as usize, s.height as usize);
    for py in 0..h {
        let row = py * GRID_ROWS / h;
        let upper_half = (py * GRID_ROWS * 2 / h).is_multiple_of(2);
        for px in 0..w {
            let i = py * w + px;
            let c = &mut sums[row * GRID_COLS + px * GRID_COLS / w];
            let lab = s.labs[i];
            c.n += 1.0;
            c.l += lab.l;
            c.l2 += lab.l * lab.l;
            c.a += lab.a;
            c.b += lab.b;
            c.y += s.luminance[i];
            c.abs_gx += s.gx[i].abs();
            c.abs_gy += s.gy[i].abs();
            c.edges += f32::from(s.gx[i].hypot(s.gy[i]) > EDGE_THRESHOLD);
            if upper_half {
                c.l_top += lab.l;
                c.n_top += 1.0;
            }
        }
    }
    let mean_l = |c: &Sums| c.l / c.n.max(1.0);
    let edge_share = |c: &Sums| c.edges / c.n.max(1.0);
    let row_mean = |row: usize, f: &dyn Fn(&Sums) -> f32| {
        sums[row * GRID_COLS..(row + 1) * GRID_COLS]
            .iter()
            .map(f)
            .sum::<f32>()
            / GRID_COLS as f32
    };
    // What the whole photo is like: an open scene has a smooth, light top (sky); a close-up or
    // an interior has texture everywhere and no horizon.
    let photo_l = s.labs.iter().map(|c| c.l).sum::<f32>() / s.labs.len().max(1) as f32;
    let photo_chroma = s.labs.iter().map(|c| c.a.hypot(c.b)).sum::<f32>() / s.labs.len().max(1) as f32;
    let photo_edges = sums.iter().map(edge_share).sum::<f32>() / sums.len() as f32;
    let top_row_l = row_mean(0, &mean_l);
    let top_edges = row_mean(0, &edge_share);
    let top_minus_bottom_row = top_row_l - row_mean(GRID_ROWS - 1, &mean_l);
    let mean_a = |c: &Sums| c.a / c.n.max(1.0);
    let mean_b = |c: &Sums| c.b / c.n.max(1.0);
    let (top_a, top_b) = (row_mean(0, &mean_a), row_mean(0, &mean_b));
    let reflection = mirror_correlation(s);
    let mut out = Vec::with_capacity(sums.len());
    for (k, c) in sums.iter().enumerate() {
        let n = c.n.max(1.0);
        let (l, a, b) = (c.l / n, c.a / n, c.b / n);
        let (row, col) = (k / GRID_COLS, k % GRID_COLS);
        let r = (row as f32 + 0.5) / GRID_ROWS as f32;
        let chroma = a.hypot(b);
        let hue = b.atan2(a);
        let l_std = (c.l2 / n - l * l).max(0.0).sqrt();
        let above = if row == 0 { l } else { mean_l(&sums[k - GRID_COLS]) };
        let below = if row + 1 == GRID_ROWS {
            l
        } else {
            mean_l(&sums[k + GRID_COLS])
        };
        let side_edges = [col.checked_sub(1), (col + 1 < GRID_COLS).then_some(col + 1)]
            .iter()
            .flatten()
            .map(|&cc| edge_share(&sums[row * GRID_COLS + cc]))
            .fold((0f32, 0f32), |(s, m), e| (s + e, m + 1.0));
        // Colour of the cells above and below (the cell itself at the edge): water lies under
        // sky or shore, sky over land.
        let above_cell = &sums[row.saturating_sub(1) * GRID_COLS + col];
        let below_cell = &sums[(row + 1).min(GRID_ROWS - 1) * GRID_COLS + col];
        let n_bottom = (c.n - c.n_top).max(1.0);
        let top_minus_bottom = c.l_top / c.n_top.max(1.0) - (c.l - c.l_top) / n_bottom;
        out.push([
            1.0,
            r,
            l,
            a * 5.0,
            b * 5.0,
            chroma * 5.0,
            l_std * 5.0,
            (c.abs_gx + c.abs_gy) / n / 200.0,
            c.abs_gy / (c.abs_gx + c.abs_gy).max(1e-6),
            l - photo_l,
            l - top_row_l,
            chroma * 5.0 * (hue - 250f32.to_radians()).cos(),
            chroma * 5.0 * (hue - 135f32.to_radians()).cos(),
            above - l,
            top_minus_bottom * 5.0,
            photo_l,
            edge_share(c),
            r * r,
            below - l,
            chroma * 5.0 * (hue - 60f32.to_radians()).cos(),
            side_edges.0 / side_edges.1.max(1.0),
            photo_chroma * 5.0,
            photo_edges,
            top_edges,
            top_minus_bottom_row,
            c.y / n,
            mean_a(above_cell) * 5.0,
            mean_b(above_cell) * 5.0,
            mean_a(below_cell) * 5.0,
            mean_b(below_cell) * 5.0,
            l - row_mean(row, &mean_l),
            (a - top_a).hypot(b - top_b) * 10.0,
            reflection[k],
        ]);
    }
    out
}

/// How much each cell looks like a mirror image of what lies above the horizon: the
/// correlation of the cell's column-mean lightness profile with that of the rows mirrored
/// about the horizon (0 above the horizon, when too little lies below it, or when either
/// profile is flat). Still water reflects the shore and the sky. The horizon is the pixel
/// row with the strongest change of the (smoothed) row-mean lightness in the middle three
/// quarters of the photo.
fn mirror_correlation(s: &PixelStats) -> [f32; GRID_COLS * GRID_ROWS] {
    let mut out = [0f32; GRID_COLS * GRID_ROWS];
    let (w, h) = (s.width as usize, s.height as usize);
    if w < 2 * GRID_COLS || h < 16 || s.labs.len() < w * h {
        return out;
    }
    let row_l: Vec<f32> = (0..h)
        .map(|y| s.labs[y * w..(y + 1) * w].iter().map(|c| c.l).sum::<f32>() / w as f32)
        .collect();
    let smooth: Vec<f32> = (0..h)
        .map(|y| {
            (y.saturating_sub(2)..(y + 3).min(h))
                .map(|i| row_l[i])
                .sum::<f32>()
                / 5.0
        })
        .collect();
    let horizon = (h / 8..(h * 7 / 8).min(h - 6))
        .max_by(|&i, &j| {
            let d = |i: usize| (smooth[i + 6] - smooth[i]).abs();
            d(i).total_cmp(&d(j)).then(j.cmp(&i))
        })
        .map_or(h / 2, |i| i + 3);
    for (k, value) in out.iter_mut().enumerate() {
        let (row, col) = (k / GRID_COLS, k % GRID_COLS);
        let (y0, y1) = ((row * h / GRID_ROWS).max(horizon + 1), (row + 1) * h / GRID_ROWS);
        let (x0, x1) = (col * w / GRID_COLS, (col + 1) * w / GRID_COLS);
        // Rows below the horizon whose mirror image lies in the photo.
        let rows: Vec<usize> = (y0..y1).filter(|&y| y <= 2 * horizon).collect();
        if rows.len() < 4 {
            continue;
        }
        let profile = |mirrored: bool| -> Vec<f32> {
            (x0..x1)
                .map(|x| {
                    rows.iter()
                        .map(|&y| s.labs[(if mirrored { 2 * horizon - y } else { y }) * w + x].l)
                        .sum::<f32>()
                        / rows.len() as f32
                })
                .collect()
        };
        *value = correlation(&profile(false), &profile(true));
    }
    out
}

/// Pearson correlation; 0 when either series is flat.
fn correlation(p: &[f32], q: &[f32]) -> f32 {
    let n = p.len().min(q.len()) as f32;
    if n < 2.0 {
        return 0.0;
    }
    let (mp, mq) = (p.iter().sum::<f32>() / n, q.iter().sum::<f32>() / n);
    let (mut spq, mut spp, mut sqq) = (0f32, 0f32, 0f32);
    for (a, b) in p.iter().zip(q) {
        spq += (a - mp) * (b - mq);
        spp += (a - mp) * (a - mp);
        sqq += (b - mq) * (b - mq);
    }
    let (sp, sq) = ((spp / n).sqrt(), (sqq / n).sqrt());
    if sp < 1e-4 || sq < 1e-4 {
        0.0
    } else {
        (spq / n / (sp * sq)).clamp(-1.0, 1.0)
    }
}

/// Class probabilities (in [`KINDS`] order) for one cell's measurements.
pub fn probabilities(features: &[f32; FEATURES]) -> [f32; 4] {
    softmax_scores(
        features,
        &regions_model::MEAN,
        &regions_model::SCALE,
        &regions_model::WEIGHTS,
    )
}

/// A softmax regression: standardised features, one weight row per class.
pub fn softmax_scores(
    x: &[f32; FEATURES],
    mean: &[f32; FEATURES],
    scale: &[f32; FEATURES],
    weights: &[[f32; FEATURES]; 4],
) -> [f32; 4] {
    let z: [f32; FEATURES] = std::array::from_fn(|j| if j == 0 { 1.0 } else { (x[j] - mean[j]) / scale[j] });
    let logits: [f32; 4] = std::array::from_fn(|k| weights[k].iter().zip(&z).map(|(w, v)| w * v).sum());
    let top = logits.iter().fold(f32::MIN, |m, &v| m.max(v));
    let e: [f32; 4] = std::array::from_fn(|k| (logits[k] - top).exp());
    let total: f32 = e.iter().sum();
    std::array::from_fn(|k| e[k] / total)
}

pub(crate) fn classify(s: &PixelStats) -> Regions {
    let features = cell_features(s);
    let probs: Vec<[f32; 4]> = features.iter().map(probabilities).collect();
    let cells = probs.len() as f32;
    let share = |k: usize| probs.iter().map(|p| p[k]).sum::<f32>() / cells;
    let (mut sky_y, mut sky_weight, mut heavy, mut textured) = (0f32, 0f32, 0f32, 0f32);
    for (f, p) in features.iter().zip(&probs) {
        let (l, chroma, texture) = (f[2], f[5] / 5.0, f[7]);
        // Relative luminance of the cell, from its Oklab lightness (Y ≈ L³).
        sky_y += p[0] * l.powi(3);
        sky_weight += p[0];
        // Heavy: sky that is dark and grey.
        heavy += p[0] * ((0.75 - l) / 0.35).clamp(0.0, 1.0) * ((0.06 - chroma) / 0.06).clamp(0.0, 1.0);
        textured += (p[1] + p[2]) * (texture / 0.6).min(1.0);
    }
    let grid = probs
        .chunks(GRID_COLS)
        .map(|row| {
            row.iter()
                .map(|p| {
                    let best = (0..4).max_by(|&i, &j| p[i].total_cmp(&p[j])).unwrap_or(3);
                    KINDS[best].letter()
                })
                .collect()
        })
        .collect();
    Regions {
        sky: share(0),
        water: share(1),
        vegetation: share(2),
        ground: share(3),
        sky_luminance: if sky_weight > 1e-3 {
            sky_y / sky_weight
        } else {
            0.0
        },
        heavy_sky: (heavy / cells * 2.0).clamp(0.0, 1.0),
        textured_blue_green: (textured / cells).clamp(0.0, 1.0),
        grid,
    }
}

/// A trained classifier: standardisation and one weight row per class.
#[derive(Clone, Debug)]
pub struct Model {
    pub mean: [f32; FEATURES],
    pub scale: [f32; FEATURES],
    pub weights: [[f32; FEATURES]; 4],
}

impl Model {
    pub fn probabilities(&self, x: &[f32; FEATURES]) -> [f32; 4] {
        softmax_scores(x, &self.mean, &self.scale, &self.weights)
    }
}

/// Fits the classifier to labelled cells (class index in [`KINDS`] order): L2-regularised
/// softmax regression by full-batch gradient descent, deterministic. Used by the
/// `train_regions` example, which writes `regions_model.rs`, and by the tests' cross-validation.
pub fn fit(cells: &[([f32; FEATURES], usize)], l2: f32, steps: usize) -> Model {
    let n = cells.len().max(1) as f32;
    let mut mean = [0f32; FEATURES];
    let mut scale = [1f32; FEATURES];
    for j in 1..FEATURES {
        mean[j] = cells.iter().map(|(x, _)| x[j]).sum::<f32>() / n;
        let var = cells.iter().map(|(x, _)| (x[j] - mean[j]).powi(2)).sum::<f32>() / n;
        scale[j] = var.sqrt().max(1e-6);
    }
    let mut model = Model {
        mean,
        scale,
        weights: [[0f32; FEATURES]; 4],
    };
    let rate = 0.5;
    for _ in 0..steps {
        let mut grad = [[0f32; FEATURES]; 4];
        for (x, label) in cells {
            let p = model.probabilities(x);
            let z: [f32; FEATURES] =
                std::array::from_fn(|j| if j == 0 { 1.0 } else { (x[j] - mean[j]) / scale[j] });
            for (k, row) in grad.iter_mut().enumerate() {
                let err = p[k] - f32::from(k == *label);
                for (g, zj) in row.iter_mut().zip(&z) {
                    *g += err * zj / n;
                }
            }
        }
        for (weights, g) in model.weights.iter_mut().zip(&grad) {
            for (j, (w, gj)) in weights.iter_mut().zip(g).enumerate() {
                let decay = if j == 0 { 0.0 } else { l2 * *w };
                *w -= rate * (gj + decay);
            }
        }
    }
    model
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Flat photos (black, white, grey) of any size, down to 1×1, and a hard horizon give finite
    /// measurements and probabilities.
    #[test]
    fn features_are_finite_for_flat_tiny_and_split_images() {
        let mut cases: Vec<(u32, u32, Vec<Oklab>)> = Vec::new();
        for (w, h) in [(1, 1), (2, 1), (1, 7), (6, 4), (13, 9), (64, 40), (512, 320)] {
            for l in [0.0, 0.5, 1.0] {
                cases.push((w, h, vec![Oklab::new(l, 0.0, 0.0); (w * h) as usize]));
            }
        }
        // Light sky over dark ground, and a mirrored stripe pattern.
        let (w, h) = (96u32, 64u32);
        let split = (0..w * h)
            .map(|i| Oklab::new(if i / w < h / 2 { 0.9 } else { 0.1 }, 0.0, -0.1))
            .collect();
        cases.push((w, h, split));
        let stripes = (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                let l = if (x / 4) % 2 == 0 { 0.8 } else { 0.3 } * if y < h / 2 { 1.0 } else { 0.6 };
                Oklab::new(l, 0.0, 0.0)
            })
            .collect();
        cases.push((w, h, stripes));
        for (w, h, labs) in cases {
            let n = labs.len();
            let luminance: Vec<f32> = labs.iter().map(|c| c.l.powi(3)).collect();
            let grads: Vec<f32> = (0..n).map(|i| if i % 3 == 0 { 400.0 } else { 0.0 }).collect();
            let stats = PixelStats {
                width: w,
                height: h,
                labs: &labs,
                luminance: &luminance,
                gx: &grads,
                gy: &grads,
            };
            let features = cell_features(&stats);
            assert_eq!(features.len(), GRID_COLS * GRID_ROWS);
            for x in &features {
                assert!(x.iter().all(|v| v.is_finite()), "{w}x{h}: {x:?}");
                let p = probabilities(x);
                assert!(p.iter().all(|v| v.is_finite()), "{w}x{h}: {p:?}");
                assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-4);
            }
            let r = classify(&stats);
            assert!([r.sky, r.water, r.vegetation, r.ground, r.sky_luminance]
                .iter()
                .all(|v| v.is_finite()));
        }
    }
}
