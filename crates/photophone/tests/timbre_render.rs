//! Rendering real photos with a timbre keeps the render's guarantees: −16 LUFS ± 1, peak
//! ≤ −1 dBFS, no clicks, the same bytes every time. The timbres are untrained decoders (any
//! weights must mix cleanly) with the two extreme articulations: a pluck (no attack, fast
//! decay, low range: lead and bass) and a held, high instrument (slow attack, lead only).
#![cfg(feature = "timbre")]

mod common;

use common::{real_photo_set, worst_click, CLICK_RATIO};
use photophone::timbre::{parts, render_with_timbre};
use photophone::{Options, Timbre};
use photophone_timbre::perform::Articulation;
use photophone_timbre::synth::Synth;
use photophone_timbre::{Config, Model};

fn timbre(seed: u64, articulation: Articulation, f0_hz: [f32; 2]) -> Timbre {
    let config = Config::default();
    Timbre {
        synth: Synth::new(config.sample_rate, config.hop, config.noise_bands),
        model: Model::new(config, seed),
        articulation,
        f0_hz,
    }
}

#[test]
fn renders_with_a_timbre_are_mastered_click_free_and_deterministic() {
    let pluck = timbre(
        1,
        Articulation {
            attack_s: 0.0,
            decay_db_per_s: -21.0,
            level_db: [-35.0, -29.0, -25.0],
            rest_db: -86.0,
            ..Articulation::default()
        },
        [110.0, 494.0],
    );
    let held = timbre(
        2,
        Articulation {
            attack_s: 0.15,
            decay_db_per_s: -4.0,
            vibrato_cents: 9.0,
            ..Articulation::default()
        },
        [554.0, 1482.0],
    );
    let opts = Options {
        seconds: 12.0,
        ..Options::default()
    };
    for (name, photo) in real_photo_set().into_iter().step_by(9) {
        for (kind, t) in [("pluck", &pluck), ("held", &held)] {
            let r = render_with_timbre(&photo, &opts, t);
            let layers: Vec<_> = parts(&r.score, t).iter().map(|p| p.layer).collect();
            assert_eq!(layers[0], "lead", "{name}/{kind}");
            if kind == "held" {
                assert_eq!(layers.len(), 1, "{name}: a high instrument plays no bass");
            }
            let m = &r.mastered;
            assert!(
                (m.loudness_lufs + 16.0).abs() <= 1.0,
                "{name}/{kind}: {} LUFS",
                m.loudness_lufs
            );
            assert!(m.peak_dbfs <= -1.0, "{name}/{kind}: peak {}", m.peak_dbfs);
            let (click, at) = worst_click(&m.audio.samples);
            assert!(
                click < CLICK_RATIO,
                "{name}/{kind}: click-like jump {click:.1}x at {at:.3} s"
            );
            let again = render_with_timbre(&photo, &opts, t);
            assert_eq!(
                m.audio.samples, again.mastered.audio.samples,
                "{name}/{kind}: deterministic"
            );
        }
    }
}
