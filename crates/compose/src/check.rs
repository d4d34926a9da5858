//! Whether a score that arrives from outside (the page hands the WebAssembly engine JSON) is
//! one the synthesizer can play: every number finite and within the range the composer itself
//! writes, with room to spare. JSON has no NaN, but a number like 6e68 becomes an infinite
//! `f32`, and an infinite filter cutoff turns the whole stream into NaN (found by fuzzing:
//! fuzz/regressions/score_json).

use crate::{Ambient, Arrangement, Chord, Classic, Note, Score};
use std::ops::RangeInclusive;

/// Longest score accepted, in seconds (a day).
const MAX_SECONDS: f64 = 86_400.0;
const AUDIBLE_HZ: RangeInclusive<f32> = 10.0..=24_000.0;

impl Score {
    /// `Err` names the first value out of range.
    pub fn check(&self) -> Result<(), String> {
        within("seconds", self.seconds, &(0.0..=MAX_SECONDS))?;
        match &self.arrangement {
            Arrangement::Ambient(a) => check_ambient(a),
            Arrangement::Classic(c) => check_classic(c),
        }
    }
}

fn check_ambient(a: &Ambient) -> Result<(), String> {
    within("tempo_bpm", a.tempo_bpm, &(10.0..=1000.0))?;
    for (name, hz) in [
        ("drone_cutoff_hz", a.drone_cutoff_hz),
        ("pad_cutoff_hz", a.pad_cutoff_hz),
        ("lead_cutoff_hz", a.lead_cutoff_hz),
        ("texture_centre_hz", a.texture_centre_hz),
    ] {
        within(name, hz, &AUDIBLE_HZ)?;
    }
    for (name, level) in [
        ("drone_level", a.drone_level),
        ("pad_level", a.pad_level),
        ("lead_level", a.lead_level),
        ("texture_level", a.texture_level),
        ("lead_brightness", a.lead_brightness),
        ("reverb_wet", a.reverb_wet),
    ] {
        within(name, level, &(0.0..=2.0))?;
    }
    within("lead_decay_s", a.lead_decay_s, &(0.0..=60.0))?;
    within("texture_motion_hz", a.texture_motion_hz, &(0.0..=50.0))?;
    within("reverb_time_s", a.reverb_time_s, &(0.0..=60.0))?;
    within("reverb_room_m", a.reverb_room_m, &(1.0..=100.0))?;
    midi_notes("drone", &a.drone)?;
    a.chords.iter().try_for_each(check_chord)?;
    a.lead.iter().try_for_each(check_note)
}

fn check_classic(c: &Classic) -> Result<(), String> {
    c.oscillators
        .iter()
        .try_for_each(|o| within("frequency_hz", o.frequency_hz, &(0.0..=24_000.0)))
}

fn check_chord(c: &Chord) -> Result<(), String> {
    within("chord start", c.start, &(0.0..=MAX_SECONDS))?;
    within("chord duration", c.duration, &(0.0..=MAX_SECONDS))?;
    midi_notes("chord", &c.notes)
}

fn check_note(n: &Note) -> Result<(), String> {
    within("note start", n.start, &(0.0..=MAX_SECONDS))?;
    within("note duration", n.duration, &(0.0..=MAX_SECONDS))?;
    within("note velocity", n.velocity, &(0.0..=1.0))?;
    within("note pan", n.pan, &(-1.0..=1.0))?;
    midi_notes("note", &[n.midi])
}

fn midi_notes(name: &str, notes: &[u8]) -> Result<(), String> {
    match notes.iter().find(|&&m| m > 127) {
        Some(m) => Err(format!("{name} MIDI note {m} is over 127")),
        None => Ok(()),
    }
}

fn within<T: PartialOrd + std::fmt::Display>(
    name: &str,
    value: T,
    range: &RangeInclusive<T>,
) -> Result<(), String> {
    if range.contains(&value) {
        Ok(())
    } else {
        Err(format!(
            "{name} is {value}, outside {}..={}",
            range.start(),
            range.end()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Style;

    fn ambient() -> Score {
        let analysis = photophone_analysis::analyze(
            &photophone_analysis::Photo::from_rgb(
                "t",
                image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 90])),
            )
            .unwrap(),
        );
        let photo = photophone_analysis::Photo::from_rgb("t", image::RgbImage::new(8, 8)).unwrap();
        crate::compose(&photo, &analysis, Style::Ambient, 20.0, 3)
    }

    #[test]
    fn composed_scores_pass_and_out_of_range_numbers_are_named() {
        let score = ambient();
        assert_eq!(score.check(), Ok(()));
        let Arrangement::Ambient(a) = &score.arrangement else {
            panic!("ambient")
        };
        let with = |f: &dyn Fn(&mut Ambient)| {
            let mut s = score.clone();
            let mut a = a.clone();
            f(&mut a);
            s.arrangement = Arrangement::Ambient(a);
            s.check()
        };
        let err = with(&|a| a.pad_cutoff_hz = f32::INFINITY).unwrap_err();
        assert!(err.starts_with("pad_cutoff_hz is inf"), "{err}");
        assert!(with(&|a| a.reverb_room_m = 0.0).is_err());
        assert!(with(&|a| a.lead.push(Note {
            start: 1.0,
            duration: f64::NAN,
            midi: 60,
            velocity: 0.5,
            pan: 0.0
        }))
        .is_err());
        assert!(with(&|a| a.drone.push(200)).is_err());
        let mut long = score.clone();
        long.seconds = 1e12;
        assert!(long.check().is_err());
    }
}
