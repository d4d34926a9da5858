//! The ambient style: every decision is a function of measured photo properties (and the
//! seed, for variation that the photo does not decide). Each decision records its reason.

use crate::theory::{midi_to_hz, roman, Key, Mode};
use crate::{Ambient, Arrangement, Chord, Decision, Note, Score, TextureKind};
use photophone_analysis::Analysis;
use photophone_rng::SplitMix64 as Rng;

/// Chord progressions as scale degrees (0 = tonic), chosen per photo.
const PROGRESSIONS: [[i32; 4]; 6] = [
    [0, 5, 3, 4],
    [0, 3, 5, 4],
    [0, 4, 5, 3],
    [0, 2, 3, 4],
    [0, 5, 1, 4],
    [0, 3, 0, 4],
];

struct Why(Vec<Decision>);
impl Why {
    fn add(&mut self, topic: &str, value: impl Into<String>, because: impl Into<String>) {
        self.0.push(Decision {
            topic: topic.into(),
            value: value.into(),
            because: because.into(),
        });
    }
}

pub(crate) fn compose(a: &Analysis, seconds: f64, seed: u64) -> Score {
    let mut why = Why(Vec::new());
    // The lightness of the photo's mean luminance (Oklab L of a grey that bright): what sets
    // how bright the music is, and its register.
    let light = a.luminance.mean.max(0.0).cbrt();
    let warmth = a.colour.warmth;
    let sat = a.colour.saturation;
    let heavy = a.regions.heavy_sky;
    let activity = (0.6 * a.texture.contrast + 2.2 * a.texture.edge_density).clamp(0.0, 1.0);

    // Mode: warm, saturated, light photos brighten the mode; grey, cold, dark and stormy
    // ones darken it.
    let mood = 0.9 * warmth * sat.sqrt() + 0.9 * (light - 0.55) + 0.3 * (sat - 0.3) - 1.2 * heavy;
    let mode = match mood {
        m if m < -0.35 => Mode::Phrygian,
        m if m < -0.15 => Mode::Aeolian,
        m if m < -0.02 => Mode::Dorian,
        m if m < 0.10 => Mode::Mixolydian,
        m if m < 0.28 => Mode::Ionian,
        _ => Mode::Lydian,
    };
    // Tonic: hue of the dominant colour on the circle of fifths; grey photos by lightness.
    let dominant = a.palette.first();
    let (tonic, tonic_reason) = match dominant {
        Some(p) if (p.oklab[1].powi(2) + p.oklab[2].powi(2)).sqrt() > 0.03 => {
            let hue = p.oklab[2].atan2(p.oklab[1]).to_degrees().rem_euclid(360.0);
            let step = ((hue / 30.0).round() as i32).rem_euclid(12);
            (
                ((step * 7) % 12) as u8,
                format!(
                    "the dominant colour {} has hue {:.0}°, placed on the circle of fifths",
                    p.hex, hue
                ),
            )
        }
        _ => {
            let step = (light * 11.99) as i32;
            (
                ((step * 7) % 12) as u8,
                format!("the palette is grey; lightness {light:.2} picks the tonic"),
            )
        }
    };
    let key = Key { tonic, mode };
    why.add("key", key.name(), tonic_reason);
    why.add(
        "mode",
        mode.name(),
        format!(
            "warmth {warmth:+.2}, saturation {sat:.2}, lightness {light:.2} and heavy sky {heavy:.2} give a mood of {mood:+.2} (darker modes below 0)"
        ),
    );

    let tempo = 56.0 + 64.0 * activity;
    why.add(
        "tempo",
        format!("{tempo:.0} BPM"),
        format!(
            "contrast {:.2} and edge density {:.3} make the picture {} busy",
            a.texture.contrast,
            a.texture.edge_density,
            if activity > 0.6 {
                "very"
            } else if activity > 0.3 {
                "moderately"
            } else {
                "hardly"
            }
        ),
    );
    let beat = 60.0 / tempo as f64;
    // Notes per beat: calm photos breathe, busy ones ripple.
    let subdivision: u32 = match activity {
        x if x < 0.2 => 1,
        x if x < 0.45 => 2,
        x if x < 0.7 => 3,
        _ => 4,
    };
    let note_probability = 0.45 + 0.5 * activity;
    why.add(
        "rhythm",
        format!(
            "{subdivision} note(s) per beat, {:.0} % of steps sounding",
            note_probability * 100.0
        ),
        "rhythmic density follows contrast and edge density",
    );

    // Register: brighter photos play higher.
    let lead_centre = 46.0 + 40.0 * light;
    // The melody spans nine scale steps from its lowest degree; place them around the centre
    // in scale steps (not octaves from C, which would move the register with the key).
    let lead_base_c = 12 * ((lead_centre - tonic as f32) / 12.0).floor() as i32;
    let above_tonic = lead_centre - (lead_base_c + tonic as i32) as f32;
    let lowest_degree = (above_tonic / (12.0 / 7.0)).round() as i32 - 4;
    why.add(
        "register",
        format!(
            "melody around MIDI {:.0} ({:.0} Hz)",
            lead_centre,
            midi_to_hz(lead_centre)
        ),
        format!("lightness {light:.2}: brighter photo, higher register"),
    );

    // Harmony.
    let mut rng = Rng::seeded(seed ^ hash_palette(a));
    let progression = PROGRESSIONS[rng.below(PROGRESSIONS.len())];
    let rich = warmth * sat > 0.08 || sat > 0.45;
    let sus = sat < 0.12 && warmth.abs() < 0.2;
    let bars_per_chord = if activity > 0.5 { 1.0 } else { 2.0 };
    let chord_len = 4.0 * beat * bars_per_chord;
    let mut chords = Vec::new();
    // The pad moves with the light, too: its root's octave is the one nearest the pad's
    // centre, whatever the key.
    let pad_centre = 47.0 + 18.0 * light;
    let pad_base_c = 12 * ((pad_centre - tonic as f32) / 12.0).round() as i32;
    let mut t = 0.0;
    let mut i = 0;
    while t < seconds {
        let root = progression[i % 4];
        let degrees = key.chord_degrees(root, rich, sus);
        let notes = degrees
            .iter()
            .map(|&d| key.degree_to_midi(d, pad_base_c).clamp(0, 127) as u8)
            .collect();
        chords.push(Chord {
            start: t,
            duration: chord_len.min(seconds - t),
            numeral: roman(&key, root),
            notes,
        });
        t += chord_len;
        i += 1;
    }
    why.add(
        "harmony",
        format!(
            "{} {}",
            progression
                .iter()
                .map(|&d| roman(&key, d))
                .collect::<Vec<_>>()
                .join(" – "),
            if rich {
                "with sevenths"
            } else if sus {
                "as open sus chords"
            } else {
                "as triads"
            }
        ),
        if rich {
            "a warm, saturated palette asks for richer chords".to_string()
        } else if sus {
            "a grey palette leaves the harmony open".to_string()
        } else {
            format!("saturation {sat:.2} keeps plain triads")
        },
    );

    // Drone: low and loud under dark, heavy skies.
    let dark = ((0.5 - light) / 0.3).clamp(0.0, 1.0).max(heavy);
    let drone_c = if dark > 0.5 {
        24
    } else if light < 0.62 {
        36
    } else {
        48
    };
    let drone = vec![
        key.degree_to_midi(0, drone_c) as u8,
        key.degree_to_midi(4, drone_c) as u8,
    ];
    let drone_level = 0.06 + 0.6 * dark + 0.2 * (0.62 - light).max(0.0);
    why.add(
        "drone",
        format!("{} + fifth at {:.0} Hz, level {:.2}", crate::theory::NOTE_NAMES[tonic as usize], midi_to_hz(drone[0] as f32), drone_level),
        format!("darkness {dark:.2} (lightness {light:.2}, heavy sky {heavy:.2}) sets the drone's depth and weight"),
    );

    // Timbre: bright → open filters and saw-rich waves; warm → fuller harmonics.
    let brightness = light.clamp(0.0, 1.0);
    let lead_cutoff = 300.0 * 2f32.powf(brightness * 5.5);
    let pad_cutoff = 150.0 * 2f32.powf(brightness * 4.5);
    why.add(
        "timbre",
        format!("lead filter {lead_cutoff:.0} Hz, pad filter {pad_cutoff:.0} Hz"),
        format!("lightness {light:.2} opens the filters: a brighter photo sounds brighter"),
    );

    // Lead line from the photo's features, left to right.
    let lead = lead_line(
        a,
        &key,
        &chords,
        lead_base_c,
        lowest_degree,
        beat,
        subdivision,
        note_probability,
        seconds,
        &mut rng,
    );
    why.add(
        "melody",
        format!("{} notes from {} feature points", lead.len(), a.features.len()),
        "feature points are played left to right; higher in the photo is higher in pitch, brighter is louder, and each sits in the stereo field where it sits in the photo",
    );

    // Texture: a bed of filtered noise. Its kind follows the regions (water needs a fair share
    // of water), but its loudness and colour follow the light first, so a wrong region guess
    // cannot make a dark photo sound bright; and it stays under the musical layers.
    let r = &a.regions;
    let (texture, texture_reason) = if r.water >= 0.15 && r.water >= 0.8 * r.vegetation {
        (
            TextureKind::Water,
            format!("{:.0} % of the photo looks like water", r.water * 100.0),
        )
    } else {
        (
            TextureKind::Wind,
            format!(
                "sky {:.0} %, vegetation {:.0} %: air moving over the scene",
                r.sky * 100.0,
                r.vegetation * 100.0
            ),
        )
    };
    let evidence = (r.water + 0.5 * r.sky + 0.6 * r.vegetation + 0.8 * r.textured_blue_green).min(1.0);
    let texture_level = (0.12 + 0.15 * evidence) * (0.3 + 0.7 * light);
    let texture_centre = match texture {
        TextureKind::Water => 350.0 * 2f32.powf(3.0 * light),
        TextureKind::Wind => 200.0 * 2f32.powf(3.0 * light),
    };
    let texture_motion = 0.05 + 0.6 * activity + if texture == TextureKind::Water { 1.5 } else { 0.0 };
    why.add(
        "texture",
        format!("{texture:?} noise at {texture_centre:.0} Hz, level {texture_level:.2}").to_lowercase(),
        format!("{texture_reason}; its pitch and loudness follow lightness {light:.2}"),
    );

    // Space: cold, grey and dark photos sound wide and distant.
    let distance = (0.5 - 0.5 * warmth + 0.5 * (1.0 - light) + 0.3 * heavy).clamp(0.0, 1.0);
    let reverb_time = 2.0 + 5.0 * distance;
    let reverb_wet = 0.22 + 0.25 * distance;
    why.add(
        "space",
        format!("reverb {reverb_time:.1} s, {:.0} % wet", reverb_wet * 100.0),
        format!("warmth {warmth:+.2} and lightness {light:.2}: colder and darker is more distant"),
    );
    why.add(
        "stereo",
        "notes panned by horizontal position",
        "a feature on the left of the photo plays on the left, and earlier",
    );

    Score {
        seconds,
        seed,
        arrangement: Arrangement::Ambient(Ambient {
            key,
            tempo_bpm: tempo,
            chords,
            lead,
            drone,
            drone_level,
            drone_cutoff_hz: 120.0 + 500.0 * brightness,
            // Grey photos lean on the pad, colourful bright ones on the lead.
            pad_level: 0.55,
            pad_cutoff_hz: pad_cutoff,
            // Busy photos' notes decay sooner; a little more level keeps the lead as present.
            lead_level: 0.45 + 0.5 * light + 0.2 * activity,
            lead_cutoff_hz: lead_cutoff,
            lead_brightness: brightness,
            lead_decay_s: (3.5 - 2.0 * activity) * (0.8 + 0.4 * (1.0 - light)),
            texture,
            texture_level,
            texture_centre_hz: texture_centre,
            texture_motion_hz: texture_motion,
            reverb_time_s: reverb_time,
            reverb_room_m: 15.0 + 15.0 * distance,
            reverb_wet,
        }),
        decisions: why.0,
    }
}

fn hash_palette(a: &Analysis) -> u64 {
    // Photo-dependent variation: quantised palette and feature count.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in &a.palette {
        for &c in &p.rgb {
            h = (h ^ (c as u64 >> 3)).wrapping_mul(0x100_0000_01b3);
        }
    }
    (h ^ a.features.len() as u64).wrapping_mul(0x100_0000_01b3)
}

#[allow(clippy::too_many_arguments)]
fn lead_line(
    a: &Analysis,
    key: &Key,
    chords: &[Chord],
    base_c: i32,
    lowest_degree: i32,
    beat: f64,
    subdivision: u32,
    probability: f32,
    seconds: f64,
    rng: &mut Rng,
) -> Vec<Note> {
    // Source points: the features; a featureless photo falls back to its palette.
    let points: Vec<(f32, f32, f32)> = if a.features.is_empty() {
        a.palette
            .iter()
            .enumerate()
            .map(|(i, p)| {
                (
                    (i as f32 + 0.5) / a.palette.len() as f32,
                    1.0 - p.oklab[0],
                    p.oklab[0],
                )
            })
            .collect()
    } else {
        a.features
            .iter()
            .map(|f| {
                (
                    f.x as f32 / a.width as f32,
                    f.y as f32 / a.height as f32,
                    f.luminance,
                )
            })
            .collect()
    };
    if points.is_empty() {
        return Vec::new();
    }
    let step = beat / subdivision as f64;
    // Leave the first bar to the pad and drone.
    let mut t = 2.0 * beat;
    let mut idx = 0usize;
    let mut k = 0u32;
    let mut notes = Vec::new();
    let fade_out_from = seconds - 1.5;
    while t < fade_out_from {
        let strong = k.is_multiple_of(subdivision);
        if rng.unit_f32() < probability || (strong && k.is_multiple_of(subdivision * 4)) {
            let (x, y, lum) = points[idx % points.len()];
            idx += 1;
            let degree = ((1.0 - y) * 9.0).round() as i32 + lowest_degree;
            if strong {
                // Snap to the nearest chord tone on strong beats.
                let chord = chords.iter().rev().find(|c| c.start <= t).unwrap_or(&chords[0]);
                let target = key.degree_to_midi(degree, base_c);
                let nearest = chord
                    .notes
                    .iter()
                    .flat_map(|&n| (-2..=2).map(move |o| n as i32 + 12 * o))
                    .min_by_key(|n| (n - target).abs())
                    .unwrap_or(target);
                let midi = nearest.clamp(24, 108) as u8;
                notes.push(note(t, step, midi, lum, x, rng));
            } else {
                let midi = key.degree_to_midi(degree, base_c).clamp(24, 108) as u8;
                notes.push(note(t, step, midi, lum, x, rng));
            }
        }
        t += step;
        k += 1;
    }
    notes
}

fn note(t: f64, step: f64, midi: u8, lum: f32, x: f32, rng: &mut Rng) -> Note {
    Note {
        start: t,
        duration: step * (1.0 + rng.unit_f32() as f64),
        midi,
        velocity: 0.45 + 0.55 * lum.sqrt().min(1.0),
        pan: (x * 2.0 - 1.0) * 0.8,
    }
}
