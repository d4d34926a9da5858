//! Shared helpers for the library's integration tests: fixture photos and spectral measures.
#![allow(dead_code)]

use photophone::{analysis, Photo};
use rustfft::{num_complex::Complex32, FftPlanner};
use std::path::PathBuf;

mod click;
#[allow(unused_imports)] // not every user of these helpers checks clicks
pub use click::{worst_click, CLICK_RATIO};

pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn fixture(name: &str) -> Photo {
    analysis::load_path(&fixture_path(name)).expect("fixture decodes")
}

/// The three real photographs the tests use: a warm close-up, a cat, a rocket in a blue sky.
pub fn real_photos() -> Vec<Photo> {
    vec![
        photophone::default_photo(),
        fixture("chelsea.png"),
        fixture("rocket.jpg"),
    ]
}

/// A synthetic stormy landscape: dark grey sky over a dark green-grey ground, with a few
/// pale stones (so even the classic style finds corners).
pub fn stormy() -> Photo {
    let img = image::RgbImage::from_fn(320, 200, |x, y| {
        let n = ((x * 7919 + y * 104729) % 23) as u8;
        let stone = y > 130 && (x * 13 + y * 7) % 97 < 3 && x % 5 < 3;
        if stone {
            image::Rgb([190, 185, 175])
        } else if y < 110 {
            image::Rgb([70 + n, 72 + n, 78 + n])
        } else {
            image::Rgb([40 + n, 55 + n, 38 + n])
        }
    });
    Photo::from_rgb("stormy", img).unwrap()
}

/// A copy of a photo with its light scaled in linear light by `gain`.
pub fn relit(photo: &Photo, gain: f32) -> Photo {
    let mut img = photo.full.clone().expect("full pixels");
    for p in img.pixels_mut() {
        for c in p.0.iter_mut() {
            let lin = (*c as f32 / 255.0).powf(2.2) * gain;
            *c = (lin.min(1.0).powf(1.0 / 2.2) * 255.0).round() as u8;
        }
    }
    Photo::from_rgb(format!("{}-x{gain}", photo.name), img).unwrap()
}

/// Long-term average magnitude spectrum of the mid (L+R) signal: 4096-point Hann frames,
/// hop 2048. Returns (bin frequency step in Hz, magnitudes).
pub fn long_term_spectrum(interleaved: &[f32], rate: u32) -> (f32, Vec<f32>) {
    const N: usize = 4096;
    let mono: Vec<f32> = interleaved.chunks_exact(2).map(|f| 0.5 * (f[0] + f[1])).collect();
    let fft = FftPlanner::<f32>::new().plan_fft_forward(N);
    let window: Vec<f32> = (0..N)
        .map(|i| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / N as f32).cos())
        .collect();
    let mut acc = vec![0f32; N / 2];
    let mut frames = 0;
    let mut start = 0;
    while start + N <= mono.len() {
        let mut buf: Vec<Complex32> = (0..N)
            .map(|i| Complex32::new(mono[start + i] * window[i], 0.0))
            .collect();
        fft.process(&mut buf);
        for (a, c) in acc.iter_mut().zip(&buf[..N / 2]) {
            *a += c.norm();
        }
        frames += 1;
        start += N / 2;
    }
    acc.iter_mut().for_each(|a| *a /= frames.max(1) as f32);
    (rate as f32 / N as f32, acc)
}

pub fn spectral_centroid(interleaved: &[f32], rate: u32) -> f32 {
    let (df, mag) = long_term_spectrum(interleaved, rate);
    let num: f32 = mag.iter().enumerate().map(|(i, m)| i as f32 * df * m).sum();
    num / mag.iter().sum::<f32>().max(1e-12)
}

/// Band edges in Hz: third octaves from 25 Hz to 16 kHz.
pub fn third_octave_edges() -> Vec<f32> {
    let mut e = vec![25.0f32];
    while *e.last().unwrap() < 16_000.0 {
        let next = e.last().unwrap() * 2f32.powf(1.0 / 3.0);
        e.push(next);
    }
    e
}

/// Band edges in Hz: Zwicker's 24 critical bands (the Bark scale), each about one
/// perceptual "place" on the basilar membrane.
pub fn bark_edges() -> Vec<f32> {
    vec![
        20.0, 100.0, 200.0, 300.0, 400.0, 510.0, 630.0, 770.0, 920.0, 1080.0, 1270.0, 1480.0, 1720.0, 2000.0,
        2320.0, 2700.0, 3150.0, 3700.0, 4400.0, 5300.0, 6400.0, 7700.0, 9500.0, 12000.0, 15500.0,
    ]
}

/// Long-term spectrum in bands, in dB, normalised to its own total power (so loudness does
/// not count, only spectral shape).
pub fn band_spectrum_db(interleaved: &[f32], rate: u32, edges: &[f32]) -> Vec<f32> {
    let (df, mag) = long_term_spectrum(interleaved, rate);
    let total: f32 = mag.iter().map(|m| m * m).sum::<f32>().max(1e-20);
    let mut bands = Vec::new();
    for w in edges.windows(2) {
        let (lo, hi) = (w[0], w[1]);
        let p: f32 = mag
            .iter()
            .enumerate()
            .filter(|(i, _)| (*i as f32 * df) >= lo && (*i as f32 * df) < hi)
            .map(|(_, m)| m * m)
            .sum();
        // Anything 60 dB under the total is inaudible next to it: floor there.
        bands.push(10.0 * ((p / total).max(1e-6)).log10());
    }
    bands
}

/// Mean absolute difference in dB between two band spectra.
pub fn spectral_distance(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len() as f32
}

pub mod listen;

/// The real-photo test set (testdata/real-photos, listed in its manifest): (file name, photo).
/// Odd-numbered photos are the tuning half, even-numbered ones are held out (see
/// [`is_tuning_photo`]).
pub fn real_photo_set() -> Vec<(String, Photo)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/real-photos");
    let manifest =
        std::fs::read_to_string(dir.join("manifest.tsv")).expect("testdata/real-photos/manifest.tsv");
    manifest
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next())
        .filter(|f| !f.is_empty())
        .map(|f| {
            (
                f.to_string(),
                analysis::load_path(&dir.join(f)).expect("a test-set photo decodes"),
            )
        })
        .collect()
}

/// Whether a test-set photo is in the half the mapping was tuned on (odd numbers).
pub fn is_tuning_photo(name: &str) -> bool {
    name[..2].parse::<u32>().map(|n| n % 2 == 1).unwrap_or(false)
}

/// How bright a mode sounds: Lydian 6 (brightest, major with a raised fourth) … Phrygian 1.
pub fn mode_brightness(mode: photophone::compose::Mode) -> f32 {
    use photophone::compose::Mode::*;
    match mode {
        Lydian => 6.0,
        Ionian => 5.0,
        Mixolydian => 4.0,
        Dorian => 3.0,
        Aeolian => 2.0,
        Phrygian => 1.0,
    }
}
