//! Rendering with a learnt timbre (`photophone render --timbre`): the ambient arrangement's
//! lead line — and its bass, where the instrument reaches low enough — are played by the
//! timbre, as pitch and loudness curves made from the score's notes with the training clip's
//! articulation; the rest is rendered as always and the mix mastered as always (−16 LUFS,
//! peak ≤ −1 dBFS).

use crate::{compose, synth, Options, Photo, Rendering};
use compose::{Ambient, Arrangement, Decision, Score};
use photophone_timbre::perform::Note;
use photophone_timbre::Timbre;

/// A line the timbre plays, and why it plays it so.
#[derive(Clone, Debug)]
pub struct Part {
    /// "lead" or "bass": the layer of the arrangement this line replaces.
    pub layer: &'static str,
    pub notes: Vec<Note>,
    /// Loudness of the line relative to the rest of the mix (LU).
    pub over_rest_db: f64,
    pub decision: Decision,
}

/// The lead is the featured instrument: a little in front of the rest of the mix.
const LEAD_OVER_REST_DB: f64 = 6.0;
/// The bass sits under the lead, heavier for darker photos (see [`bass_over_rest_db`]).
const BASS_OVER_REST_DB: f64 = 0.0;
/// The bass needs this much room (semitones) below the lead's median note to be a bass...
const BASS_BELOW_LEAD: i32 = 7;
/// ...and an instrument that reaches down to G3 at least (a flute's low line is no bass).
const BASS_HIGHEST_LOW_NOTE: i32 = 55;
/// A line that already has this share of its notes in the instrument's range keeps its
/// register (only the stragglers fold in), so brighter photos still play higher.
const KEEP_REGISTER_SHARE: f32 = 0.75;
/// Notes may go this far (semitones) past the clip's 5th–95th percentile pitch range.
const RANGE_MARGIN: i32 = 2;
/// A note is held into the next one when the silence between them would be shorter than
/// this many beats: a player phrases the line rather than stopping after every note (a plucked
/// string simply rings on); longer gaps stay rests.
const LEGATO_BEATS: f64 = 2.0;
/// Fades at the lines' ends (s), so a note cut by the end of the piece does not click.
const FADE_IN_S: f64 = 0.02;
const FADE_OUT_S: f64 = 0.5;

/// The lines `timbre` plays in `score` (none in the classic style, which has no melodic line).
pub fn parts(score: &Score, timbre: &Timbre) -> Vec<Part> {
    parts_in_range(score, midi_range(timbre.f0_hz))
}

/// [`parts`] for an instrument that plays the MIDI notes `range` well.
fn parts_in_range(score: &Score, range: (i32, i32)) -> Vec<Part> {
    let Arrangement::Ambient(a) = &score.arrangement else {
        return Vec::new();
    };
    if a.lead.is_empty() {
        return Vec::new();
    }
    let (mut lead, shift) = place_line(&a.lead, range);
    legato(&mut lead, LEGATO_BEATS * 60.0 / a.tempo_bpm as f64);
    let mut out = vec![Part {
        layer: "lead",
        decision: Decision {
            topic: "timbre lead".into(),
            value: format!("{} notes{}", lead.len(), octaves(shift)),
            because: format!(
                "the timbre's clip plays {}–{}: the melody keeps its shape inside that range",
                name(range.0 + RANGE_MARGIN),
                name(range.1 - RANGE_MARGIN)
            ),
        },
        notes: lead,
        over_rest_db: LEAD_OVER_REST_DB,
    }];
    let lead_median = median_pitch(&out[0].notes);
    if let Some(bass) = bass_line(a, range, lead_median) {
        out.push(bass);
    }
    out
}

/// Adds to `report` (of `score`) which layers `timbre` (the folder `path`) plays, and why.
pub fn describe(report: &mut crate::Report, score: &Score, timbre: &Timbre, path: &str) {
    let parts = parts(score, timbre);
    report
        .music
        .decisions
        .extend(parts.iter().map(|p| p.decision.clone()));
    report.music.timbre = Some(crate::TimbreLayers {
        path: path.to_string(),
        plays: parts.iter().map(|p| p.layer.to_string()).collect(),
    });
}

/// The MIDI range a timbre plays well: its clip's pitch range plus a small margin.
fn midi_range(f0_hz: [f32; 2]) -> (i32, i32) {
    let midi = |hz: f32| 69.0 + 12.0 * (hz.max(1.0) / 440.0).log2();
    (
        midi(f0_hz[0]).round() as i32 - RANGE_MARGIN,
        midi(f0_hz[1]).round() as i32 + RANGE_MARGIN,
    )
}

/// `line` moved by the whole octaves that put most of its notes in `range` (the smallest such
/// move; none if [`KEEP_REGISTER_SHARE`] of them are in it already), then any note still
/// outside folded in by octaves: the melody's contour survives where the instrument can play
/// it. Returns the notes and the octave shift.
fn place_line(line: &[compose::Note], range: (i32, i32)) -> (Vec<Note>, i32) {
    let inside = |k: i32| {
        line.iter()
            .filter(|n| (range.0..=range.1).contains(&(n.midi as i32 + 12 * k)))
            .count()
    };
    let shift = if inside(0) as f32 >= KEEP_REGISTER_SHARE * line.len() as f32 {
        0
    } else {
        (-4..=4).max_by_key(|&k: &i32| (inside(k), -k.abs())).unwrap_or(0)
    };
    let notes = line
        .iter()
        .map(|n| Note {
            start: n.start,
            duration: n.duration,
            midi: fold_into(n.midi as i32 + 12 * shift, range),
            velocity: n.velocity,
        })
        .collect();
    (notes, shift)
}

/// Each note held until the next starts, where the gap is under `max_gap` seconds.
fn legato(notes: &mut [Note], max_gap: f64) {
    for i in 1..notes.len() {
        let next = notes[i].start;
        let n = &mut notes[i - 1];
        let gap = next - (n.start + n.duration);
        if gap < max_gap {
            n.duration = next - n.start;
        }
    }
}

/// `midi` moved by octaves into `range` (as close as it gets when the range is under an octave).
fn fold_into(midi: i32, range: (i32, i32)) -> u8 {
    let mut m = midi;
    while m < range.0 && m + 12 <= 127 {
        m += 12;
    }
    while m > range.1 && m - 12 >= range.0 && m >= 12 {
        m -= 12;
    }
    m.clamp(0, 127) as u8
}

/// The chords' roots in the lowest octave the instrument plays, one note per chord, in place
/// of the synthesised drone — if that octave lies a fifth or more under the melody.
fn bass_line(a: &Ambient, range: (i32, i32), lead_median: i32) -> Option<Part> {
    let low = range.0 + RANGE_MARGIN;
    let root_in_low_octave = |m: u8| low + (m as i32 - low).rem_euclid(12);
    let notes: Vec<Note> = a
        .chords
        .iter()
        .filter_map(|c| c.notes.first().map(|&root| (c, root)))
        .map(|(c, root)| Note {
            start: c.start,
            duration: c.duration,
            midi: root_in_low_octave(root) as u8,
            velocity: (0.4 + a.drone_level).min(1.0),
        })
        .collect();
    let bass_median = median_pitch(&notes);
    if notes.is_empty() || low > BASS_HIGHEST_LOW_NOTE || lead_median - bass_median < BASS_BELOW_LEAD {
        return None;
    }
    Some(Part {
        layer: "bass",
        decision: Decision {
            topic: "timbre bass".into(),
            value: format!(
                "{} chord roots from {}, in place of the drone",
                notes.len(),
                name(low)
            ),
            because: format!(
                "the timbre reaches down to {}, a fifth or more under the melody; darkness sets its weight",
                name(low)
            ),
        },
        over_rest_db: bass_over_rest_db(a.drone_level),
        notes,
    })
}

/// The bass's level follows the drone's (darker photos: heavier), around [`BASS_OVER_REST_DB`].
fn bass_over_rest_db(drone_level: f32) -> f64 {
    BASS_OVER_REST_DB + 6.0 * (drone_level as f64 - 0.3)
}

fn median_pitch(notes: &[Note]) -> i32 {
    let mut m: Vec<i32> = notes.iter().map(|n| n.midi as i32).collect();
    m.sort_unstable();
    m.get(m.len() / 2).copied().unwrap_or(60)
}

fn name(midi: i32) -> String {
    let n = compose::theory::NOTE_NAMES[midi.rem_euclid(12) as usize];
    format!("{n}{}", midi.div_euclid(12) - 1)
}

fn octaves(shift: i32) -> String {
    match shift {
        0 => String::new(),
        1 => ", an octave up".into(),
        -1 => ", an octave down".into(),
        k if k > 0 => format!(", {k} octaves up"),
        k => format!(", {} octaves down", -k),
    }
}

/// What plays beside the timbre's lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bed {
    /// The rest of the arrangement, as always (what `render --timbre` plays).
    Arrangement,
    /// Nothing: the timbre's lines alone, at the same levels relative to each other (to hear
    /// or measure the instrument's part by itself).
    Silent,
}

/// Analyses, composes, and renders with `timbre` playing its [`parts`] over `bed`.
pub fn render_with_timbre(photo: &Photo, options: &Options, timbre: &Timbre) -> Rendering {
    render_over(photo, options, timbre, Bed::Arrangement)
}

/// [`render_with_timbre`] with a choice of bed.
pub fn render_over(photo: &Photo, options: &Options, timbre: &Timbre, bed: Bed) -> Rendering {
    crate::render_by(photo, options, |score| {
        let parts = parts(score, timbre);
        if parts.is_empty() {
            synth::render(score, options.sample_rate)
        } else {
            mix(score, &parts, timbre, options.sample_rate, bed)
        }
    })
}

/// The score without the layers the timbre plays, rendered on another thread while the
/// timbre plays its lines here; each line brought to its loudness relative to the rest.
fn mix(score: &Score, parts: &[Part], timbre: &Timbre, rate: u32, bed: Bed) -> synth::Mastered {
    let mut rest = score.clone();
    if let Arrangement::Ambient(r) = &mut rest.arrangement {
        for p in parts {
            match p.layer {
                "lead" => r.lead_level = 0.0,
                _ => r.drone_level = 0.0,
            }
        }
    }
    let (rest, lines) = std::thread::scope(|s| {
        let rest = s.spawn(|| (bed == Bed::Arrangement).then(|| synth::render_raw(&rest, rate)));
        let lines: Vec<(Vec<f32>, f64)> = parts
            .iter()
            .enumerate()
            .map(|(voice, p)| {
                let mut line = timbre.play_at(&p.notes, score.seconds, rate, voice);
                fade(&mut line, rate);
                let stereo: Vec<f32> = line.iter().flat_map(|&v| [v, v]).collect();
                (stereo, p.over_rest_db)
            })
            .collect();
        (rest.join().expect("render thread"), lines)
    });
    let (mut audio, rest_lufs) = rest.unwrap_or_else(|| {
        // No bed: the levels are set as if the lead sat at its usual height over one.
        let samples = vec![0.0; lines[0].0.len()];
        let lead_lufs = synth::loudness_lufs(&lines[0].0, rate);
        (
            synth::Audio {
                sample_rate: rate,
                samples,
            },
            lead_lufs - lines[0].1,
        )
    });
    for (line, over_rest_db) in lines {
        let line_lufs = synth::loudness_lufs(&line, rate);
        let gain = if line_lufs.is_finite() && rest_lufs.is_finite() {
            10f64.powf((rest_lufs + over_rest_db - line_lufs) / 20.0) as f32
        } else {
            1.0
        };
        for (o, l) in audio.samples.iter_mut().zip(&line) {
            *o += gain * l;
        }
    }
    let loudness = synth::loudness_lufs(&audio.samples, rate);
    synth::master(audio, loudness)
}

fn fade(x: &mut [f32], rate: u32) {
    let (fin, fout) = (
        (FADE_IN_S * rate as f64) as usize,
        (FADE_OUT_S * rate as f64) as usize,
    );
    let n = x.len();
    for (i, v) in x.iter_mut().take(fin.min(n)).enumerate() {
        *v *= i as f32 / fin as f32;
    }
    for (i, v) in x.iter_mut().rev().take(fout.min(n)).enumerate() {
        *v *= i as f32 / fout as f32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(midi: u8) -> compose::Note {
        compose::Note {
            start: 0.0,
            duration: 1.0,
            midi,
            velocity: 0.5,
            pan: 0.0,
        }
    }

    #[test]
    fn a_line_moves_by_octaves_into_the_instruments_range_keeping_its_shape() {
        let line: Vec<_> = [55, 60, 62, 67, 72].into_iter().map(note).collect();
        let (placed, shift) = place_line(&line, (75, 93));
        assert_eq!(shift, 2);
        let m: Vec<u8> = placed.iter().map(|n| n.midi).collect();
        assert_eq!(m, [79, 84, 86, 91, 84], "the last note folds down an octave");
        let (same, none) = place_line(&line, (40, 80));
        assert_eq!(none, 0, "already inside: no move");
        assert_eq!(
            same.iter().map(|n| n.midi).collect::<Vec<_>>(),
            [55, 60, 62, 67, 72]
        );
    }

    fn score_of_a_photo() -> Score {
        let img = image::RgbImage::from_fn(96, 64, |x, y| {
            image::Rgb([(x * 2) as u8, (y * 3) as u8, ((x * y) % 251) as u8])
        });
        let mut png = std::io::Cursor::new(Vec::new());
        img.write_to(&mut png, image::ImageFormat::Png).unwrap();
        let photo = crate::analysis::decode::load_bytes(png.get_ref(), "test.png").unwrap();
        crate::compose_photo(&photo, &Options::default()).1
    }

    #[test]
    fn the_bass_plays_the_chord_roots_where_the_instrument_reaches_low_enough() {
        let score = score_of_a_photo();
        let Arrangement::Ambient(a) = &score.arrangement else {
            panic!("ambient")
        };
        // A guitar's clip (A2–B4, with the margin G2–C#5): lead and bass.
        let guitar = parts_in_range(&score, (43, 73));
        assert_eq!(
            guitar.iter().map(|p| p.layer).collect::<Vec<_>>(),
            ["lead", "bass"]
        );
        let bass = &guitar[1].notes;
        assert_eq!(bass.len(), a.chords.len(), "one note per chord");
        for (n, c) in bass.iter().zip(&a.chords) {
            assert_eq!(n.midi % 12, c.notes[0] % 12, "the chord's root");
            assert!(
                (45..57).contains(&n.midi),
                "the instrument's lowest octave: {}",
                n.midi
            );
            assert_eq!((n.start, n.duration), (c.start, c.duration));
        }
        // A flute's (C#5–F#6): its lowest octave is no bass; the synthesised drone stays.
        let flute = parts_in_range(&score, (71, 93));
        assert_eq!(flute.iter().map(|p| p.layer).collect::<Vec<_>>(), ["lead"]);
        assert!(flute[0].notes.iter().all(|n| (71..=93).contains(&n.midi)));
    }

    #[test]
    fn notes_are_held_into_the_next_across_short_gaps_only() {
        let n = |start: f64, duration: f64| Note {
            start,
            duration,
            midi: 60,
            velocity: 0.5,
        };
        let mut line = [n(0.0, 0.2), n(0.5, 0.2), n(3.0, 0.5), n(3.2, 0.5)];
        legato(&mut line, 1.0);
        let d: Vec<f64> = line.iter().map(|n| (n.duration * 1e9).round() / 1e9).collect();
        assert_eq!(d, [0.5, 0.2, 0.2, 0.5], "held, rest kept, overlap cut");
    }

    #[test]
    fn notes_fold_into_a_range_narrower_than_an_octave_as_near_as_they_can() {
        assert_eq!(fold_into(40, (60, 66)), 64);
        assert_eq!(fold_into(90, (60, 66)), 66);
        assert_eq!(fold_into(-5, (0, 127)), 7);
    }

    #[test]
    fn note_names_and_ranges_are_read_from_hertz() {
        assert_eq!(name(69), "A4");
        assert_eq!(name(40), "E2");
        assert_eq!(midi_range([82.41, 440.0]), (38, 71));
    }
}
