//! The measurements behind [`Analysis`]: per-pixel light and colour in perceptual spaces,
//! a k-means palette in Oklab, Sobel edge density, scored FAST features.

use crate::regions::{self, PixelStats};
use crate::{Analysis, Colour, FeaturePoint, Luminance, PaletteColour, Photo, Texture};
use image::{GrayImage, RgbImage};
use palette::{FromColor, LinSrgb, Oklab, Srgb};

/// Number of dominant colours reported.
const PALETTE_SIZE: usize = 5;
/// Scored feature points kept (after one-per-cell suppression).
const MAX_FEATURES: usize = 96;
/// FAST threshold on the analysed copy (grey levels). Lower than tracking.js's 40 because
/// the area average softens edges.
const FEATURE_THRESHOLD: u8 = 24;
/// Sobel magnitude (0..~1443 for 8-bit input) that counts as an edge.
const EDGE_THRESHOLD: f32 = 120.0;

/// Linear-light value of each 8-bit sRGB code.
fn srgb_to_linear_table() -> [f32; 256] {
    let mut t = [0f32; 256];
    for (i, v) in t.iter_mut().enumerate() {
        *v = Srgb::new(i as f32 / 255.0, 0.0, 0.0).into_linear::<f32>().red;
    }
    t
}

/// Measures a decoded photo.
pub fn analyze(photo: &Photo) -> Analysis {
    let small = &photo.small;
    let (w, h) = small.dimensions();
    let lut = srgb_to_linear_table();
    let n = (w * h) as usize;

    let (ys, labs): (Vec<f32>, Vec<Oklab>) = small
        .pixels()
        .map(|p| {
            let lin = LinSrgb::new(lut[p[0] as usize], lut[p[1] as usize], lut[p[2] as usize]);
            (
                0.2126 * lin.red + 0.7152 * lin.green + 0.0722 * lin.blue,
                Oklab::from_color(lin),
            )
        })
        .unzip();

    // The palette's k-means is the longest single step: it runs beside the rest.
    let (palette, (luminance, colour, texture, features, regions)) = beside(
        || kmeans_palette(&labs),
        || {
            let gray: GrayImage = image::imageops::grayscale(small);
            let (gx, gy) = sobel(&gray);
            // |∇| > T without a square root (the gradients are small integers: exact).
            let edges = gx
                .iter()
                .zip(&gy)
                .filter(|(x, y)| *x * *x + *y * *y > EDGE_THRESHOLD * EDGE_THRESHOLD)
                .count();
            let mean_l = labs.iter().map(|c| c.l).sum::<f32>() / n as f32;
            let var_l = labs.iter().map(|c| (c.l - mean_l).powi(2)).sum::<f32>() / n as f32;
            let texture = Texture {
                contrast: (var_l.sqrt() * 3.5).clamp(0.0, 1.0),
                edge_density: edges as f32 / n as f32,
            };
            let regions = regions::classify(&PixelStats {
                width: w,
                height: h,
                labs: &labs,
                luminance: &ys,
                gx: &gx,
                gy: &gy,
            });
            (
                luminance_stats(&ys, &labs),
                colour_stats(&labs),
                texture,
                scored_features(&gray, &ys, photo, small),
                regions,
            )
        },
    );
    Analysis {
        width: photo.width(),
        height: photo.height(),
        analysed_width: w,
        analysed_height: h,
        luminance,
        colour,
        texture,
        palette,
        features,
        regions,
    }
}

/// Runs `side` on another thread while `main` runs on this one, where there are threads (the
/// browser build has none: there they run one after the other).
fn beside<A: Send, B>(side: impl FnOnce() -> A + Send, main: impl FnOnce() -> B) -> (A, B) {
    #[cfg(not(target_arch = "wasm32"))]
    return std::thread::scope(|scope| {
        let side = scope.spawn(side);
        let main = main();
        (side.join().expect("analysis threads do not panic"), main)
    });
    #[cfg(target_arch = "wasm32")]
    return (side(), main());
}

/// Horizontal and vertical Sobel gradients of a grey image.
fn sobel(gray: &GrayImage) -> (Vec<f32>, Vec<f32>) {
    let gx = imageproc::gradients::horizontal_sobel(gray);
    let gy = imageproc::gradients::vertical_sobel(gray);
    (
        gx.pixels().map(|p| p[0] as f32).collect(),
        gy.pixels().map(|p| p[0] as f32).collect(),
    )
}

/// The region classifier's measurements of each grid cell of a photo (for training it).
pub fn region_features(photo: &Photo) -> Vec<[f32; regions::FEATURES]> {
    let small = &photo.small;
    let lut = srgb_to_linear_table();
    let (ys, labs): (Vec<f32>, Vec<Oklab>) = small
        .pixels()
        .map(|p| {
            let lin = LinSrgb::new(lut[p[0] as usize], lut[p[1] as usize], lut[p[2] as usize]);
            (
                0.2126 * lin.red + 0.7152 * lin.green + 0.0722 * lin.blue,
                Oklab::from_color(lin),
            )
        })
        .unzip();
    let (gx, gy) = sobel(&image::imageops::grayscale(small));
    regions::cell_features(&PixelStats {
        width: small.width(),
        height: small.height(),
        labs: &labs,
        luminance: &ys,
        gx: &gx,
        gy: &gy,
    })
}

fn luminance_stats(ys: &[f32], labs: &[Oklab]) -> Luminance {
    let n = ys.len() as f32;
    let mean = ys.iter().sum::<f32>() / n;
    let std_dev = (ys.iter().map(|y| (y - mean).powi(2)).sum::<f32>() / n).sqrt();
    let log_average = (ys.iter().map(|y| (y + 1e-4).ln()).sum::<f32>() / n).exp();
    let mut scratch = ys.to_vec();
    let mut pct = |q: f32| {
        let k = ((scratch.len() - 1) as f32 * q).round() as usize;
        *scratch.select_nth_unstable_by(k, f32::total_cmp).1
    };
    Luminance {
        mean,
        median: pct(0.5),
        p05: pct(0.05),
        p95: pct(0.95),
        std_dev,
        log_average,
        lightness: labs.iter().map(|c| c.l).sum::<f32>() / n,
    }
}

fn colour_stats(labs: &[Oklab]) -> Colour {
    // Warm axis points at orange (Oklab hue ~60°); each pixel votes with its chroma, and grey
    // pixels dilute the vote so a nearly grey photo stays near 0.
    let warm_axis = 60f32.to_radians();
    let (mut warm, mut chroma_sum, mut sa, mut sb) = (0f32, 0f32, 0f32, 0f32);
    // chroma · cos(hue − axis) = a · cos(axis) + b · sin(axis): no angle per pixel.
    let (cos_axis, sin_axis) = (warm_axis.cos(), warm_axis.sin());
    for c in labs {
        let chroma = (c.a * c.a + c.b * c.b).sqrt();
        warm += c.a * cos_axis + c.b * sin_axis;
        chroma_sum += chroma;
        sa += c.a;
        sb += c.b;
    }
    let n = labs.len() as f32;
    Colour {
        warmth: (warm / (chroma_sum + n * 0.02)).clamp(-1.0, 1.0),
        saturation: (chroma_sum / n / 0.15).clamp(0.0, 1.0),
        mean_hue_deg: sb.atan2(sa).to_degrees().rem_euclid(360.0),
    }
}

fn dist2(a: &Oklab, b: &Oklab) -> f32 {
    (a.l - b.l).powi(2) + (a.a - b.a).powi(2) + (a.b - b.b).powi(2)
}

/// Deterministic k-means in Oklab (farthest-point initialisation, fixed iteration count).
fn kmeans_palette(labs: &[Oklab]) -> Vec<PaletteColour> {
    // Iterate on a regular subsample; the final assignment uses every pixel.
    let stride = (labs.len() / 20_000).max(1);
    let sample: Vec<Oklab> = labs.iter().step_by(stride).copied().collect();
    let mean = {
        let s = sample
            .iter()
            .fold((0.0, 0.0, 0.0), |s, c| (s.0 + c.l, s.1 + c.a, s.2 + c.b));
        let n = sample.len() as f32;
        Oklab::new(s.0 / n, s.1 / n, s.2 / n)
    };
    let mut centres: Vec<Oklab> = Vec::with_capacity(PALETTE_SIZE);
    let first = sample
        .iter()
        .min_by(|a, b| dist2(a, &mean).total_cmp(&dist2(b, &mean)))
        .copied()
        .unwrap_or(mean);
    centres.push(first);
    while centres.len() < PALETTE_SIZE {
        let far = sample
            .iter()
            .max_by(|a, b| {
                let da = centres.iter().map(|c| dist2(a, c)).fold(f32::MAX, f32::min);
                let db = centres.iter().map(|c| dist2(b, c)).fold(f32::MAX, f32::min);
                da.total_cmp(&db)
            })
            .copied()
            .unwrap_or(mean);
        centres.push(far);
    }
    let nearest = |c: &Oklab, centres: &[Oklab]| {
        (0..centres.len())
            .min_by(|&i, &j| dist2(c, &centres[i]).total_cmp(&dist2(c, &centres[j])))
            .unwrap_or(0)
    };
    for _ in 0..12 {
        let mut sums = vec![(0f32, 0f32, 0f32, 0usize); centres.len()];
        for c in &sample {
            let k = nearest(c, &centres);
            sums[k].0 += c.l;
            sums[k].1 += c.a;
            sums[k].2 += c.b;
            sums[k].3 += 1;
        }
        for (centre, s) in centres.iter_mut().zip(&sums) {
            if s.3 > 0 {
                let n = s.3 as f32;
                *centre = Oklab::new(s.0 / n, s.1 / n, s.2 / n);
            }
        }
    }
    let mut counts = vec![0usize; centres.len()];
    for c in labs {
        counts[nearest(c, &centres)] += 1;
    }
    let mut out: Vec<PaletteColour> = centres
        .iter()
        .zip(&counts)
        .filter(|(_, &n)| n > 0)
        .map(|(c, &n)| {
            let rgb: Srgb<u8> = Srgb::from_color(*c).into_format();
            let rgb = [rgb.red, rgb.green, rgb.blue];
            PaletteColour {
                hex: format!("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2]),
                rgb,
                oklab: [c.l, c.a, c.b],
                weight: n as f32 / labs.len() as f32,
            }
        })
        .collect();
    out.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.hex.cmp(&b.hex)));
    out
}

/// FAST-9 with scores on the analysed copy, the strongest corner per 16x16 cell, mapped back
/// to full-resolution coordinates.
fn scored_features(gray: &GrayImage, ys: &[f32], photo: &Photo, small: &RgbImage) -> Vec<FeaturePoint> {
    let (w, h) = small.dimensions();
    let corners = imageproc::corners::corners_fast9(gray, FEATURE_THRESHOLD);
    const CELL: u32 = 16;
    let cols = w.div_ceil(CELL) as usize;
    let mut best: Vec<Option<imageproc::corners::Corner>> = vec![None; cols * h.div_ceil(CELL) as usize];
    for c in corners {
        let k = (c.y / CELL) as usize * cols + (c.x / CELL) as usize;
        if best[k].is_none_or(|b| c.score > b.score) {
            best[k] = Some(c);
        }
    }
    let mut kept: Vec<_> = best.into_iter().flatten().collect();
    kept.sort_by(|a, b| b.score.total_cmp(&a.score).then((a.y, a.x).cmp(&(b.y, b.x))));
    kept.truncate(MAX_FEATURES);
    let sx = photo.width() as f32 / w as f32;
    let sy = photo.height() as f32 / h as f32;
    let mut points: Vec<FeaturePoint> = kept
        .iter()
        .map(|c| FeaturePoint {
            x: (((c.x as f32 + 0.5) * sx) as u32).min(photo.width() - 1),
            y: (((c.y as f32 + 0.5) * sy) as u32).min(photo.height() - 1),
            score: c.score,
            luminance: ys[(c.y * w + c.x) as usize],
        })
        .collect();
    points.sort_by_key(|p| (p.x, p.y));
    points
}
