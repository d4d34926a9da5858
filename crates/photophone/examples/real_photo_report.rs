//! How the music follows the real-photo test set (testdata/real-photos): per photo what was
//! measured and what was heard, then the rank correlations the tests check, for the whole set,
//! the tuning half (odd numbers) and the held-out half (even numbers), and how far apart the
//! renders sound.
//!
//! Usage: cargo run --release -p photophone --example real_photo_report [-- SECONDS]
#[path = "../tests/common/mod.rs"]
mod common;

use common::listen::{audible_distance, centroid_hz, fingerprint, spearman, Fingerprint};
use common::{is_tuning_photo, mode_brightness, real_photo_set};
use photophone::{compose, Options, Style};

struct Row {
    name: String,
    luminance: f32,
    lightness: f32,
    busy: f32,
    warmth: f32,
    centroid: f32,
    onsets: f32,
    mode: f32,
    ambient: Fingerprint,
    classic: Fingerprint,
}

fn main() {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20.0);
    let mut rows = Vec::new();
    println!(
        "{:34} {:>5} {:>5} {:>5} {:>6} {:>7} {:>5} {:>10}  {:32} texture",
        "photo", "lum", "busy", "warm", "mode", "centr", "on/s", "regions", ""
    );
    for (name, photo) in real_photo_set() {
        let opts = Options {
            seconds,
            ..Options::default()
        };
        let r = photophone::render(&photo, &opts);
        let a = &r.analysis;
        let compose::Arrangement::Ambient(amb) = &r.score.arrangement else {
            unreachable!()
        };
        let samples = &r.mastered.audio.samples;
        let ambient = fingerprint(samples, 44_100);
        let classic_audio = photophone::render(
            &photo,
            &Options {
                style: Style::Classic,
                ..opts
            },
        )
        .mastered
        .audio
        .samples;
        let row = Row {
            name: name.clone(),
            luminance: a.luminance.mean,
            lightness: a.luminance.lightness,
            busy: a.texture.contrast + a.texture.edge_density,
            warmth: a.colour.warmth,
            centroid: centroid_hz(samples, 44_100),
            onsets: ambient.onsets_per_s,
            mode: mode_brightness(amb.key.mode),
            classic: fingerprint(&classic_audio, 44_100),
            ambient,
        };
        println!(
            "{:34} {:5.3} {:5.3} {:+5.2} {:>6} {:7.0} {:5.2} {:>10}  {:32} {:?} {:.2} @ {:.0} Hz",
            name,
            row.luminance,
            row.busy,
            row.warmth,
            format!("{:?}", amb.key.mode).chars().take(6).collect::<String>(),
            row.centroid,
            row.onsets,
            a.regions.grid.join("/"),
            format!(
                "S{:.0} W{:.0} V{:.0} G{:.0}",
                a.regions.sky * 100.0,
                a.regions.water * 100.0,
                a.regions.vegetation * 100.0,
                a.regions.ground * 100.0
            ),
            amb.texture,
            amb.texture_level,
            amb.texture_centre_hz,
        );
        rows.push(row);
    }
    for (label, keep) in [("all", 0), ("tuning (odd)", 1), ("held out (even)", 2)] {
        let set: Vec<&Row> = rows
            .iter()
            .filter(|r| keep == 0 || (keep == 1) == is_tuning_photo(&r.name))
            .collect();
        let col = |f: &dyn Fn(&Row) -> f32| set.iter().map(|r| f(r)).collect::<Vec<f32>>();
        println!(
            "{label:16} n={:2}  rho(luminance, centroid) {:+.2} [lightness {:+.2}, luminance vs lightness {:+.2}]  rho(contrast+edges, onsets/s) {:+.2}   rho(warmth, mode brightness) {:+.2}",
            set.len(),
            spearman(&col(&|r| r.luminance), &col(&|r| r.centroid)),
            spearman(&col(&|r| r.lightness), &col(&|r| r.centroid)),
            spearman(&col(&|r| r.luminance), &col(&|r| r.lightness)),
            spearman(&col(&|r| r.busy), &col(&|r| r.onsets)),
            spearman(&col(&|r| r.warmth), &col(&|r| r.mode)),
        );
    }
    for (style, pick) in [("ambient", 0), ("classic", 1)] {
        let fp = |r: &Row| {
            if pick == 0 {
                r.ambient.clone()
            } else {
                r.classic.clone()
            }
        };
        let (mut closest, mut alike, mut pairs) = ((f32::MAX, String::new()), 0, 0);
        for i in 0..rows.len() {
            for j in i + 1..rows.len() {
                let d = audible_distance(&fp(&rows[i]), &fp(&rows[j]));
                pairs += 1;
                alike += usize::from(d < 1.0);
                if d < 1.0 && pick == 0 {
                    let (a, b) = (fp(&rows[i]), fp(&rows[j]));
                    println!("  alike {:.2}: {} / {}: centroid {:.2}/{:.2} Bark, spread {:.2}/{:.2}, onsets {:.2}/{:.2}, tempo {:.0}/{:.0}, chroma argmax {}/{}", d, rows[i].name, rows[j].name, a.centroid_bark, b.centroid_bark, a.spread_bark, b.spread_bark, a.onsets_per_s, b.onsets_per_s, a.tempo_bpm, b.tempo_bpm,
                        (0..12).max_by(|&x, &y| a.chroma[x].total_cmp(&a.chroma[y])).unwrap(), (0..12).max_by(|&x, &y| b.chroma[x].total_cmp(&b.chroma[y])).unwrap());
                }
                if d < closest.0 {
                    closest = (d, format!("{} / {}", rows[i].name, rows[j].name));
                }
            }
        }
        let pulses: Vec<f32> = rows.iter().map(|r| fp(r).pulse).collect();
        println!(
            "{style}: pulse clarity min {:.2} median {:.2} max {:.2}",
            pulses.iter().fold(9f32, |a, &b| a.min(b)),
            {
                let mut p = pulses.clone();
                p.sort_by(f32::total_cmp);
                p[p.len() / 2]
            },
            pulses.iter().fold(0f32, |a, &b| a.max(b))
        );
        println!(
            "{style}: closest pair {:.2} ({}), {alike} of {pairs} pairs under 1 (sound alike)",
            closest.0, closest.1
        );
    }
}
