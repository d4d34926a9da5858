//! Why neighbouring photos do not clash: the maze has one key centre and one beat, and every
//! photo's score is fitted to them before it sounds. Each photo keeps everything it decided —
//! its mode (so a dark photo stays Phrygian beside a bright Lydian one), register, density,
//! chords, filters, texture and space — but is transposed by at most a tritone so its tonic is
//! the maze's tonic (the drones of all photos are then the same two pitches and reinforce
//! instead of beating), and re-timed so its beat is the maze's beat, its half or its double
//! (notes and chord changes of different photos fall on the same grid), starting on a beat.
//! Per-voice ducking was the alternative; it would silence all but one photo in earshot,
//! which is the opposite of walking through a room full of music.

use photophone_compose::{Arrangement, Score};

/// The maze's shared key centre and beat.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Grid {
    /// Pitch class of the shared tonic (0 = C).
    pub tonic: u8,
    /// The shared beat, beats per minute.
    pub tempo_bpm: f32,
}

impl Grid {
    /// The grid a maze's seed chooses: a tonic by the circle of fifths, a calm walking beat.
    pub fn for_seed(seed: u64) -> Grid {
        Grid {
            tonic: ((seed % 12) * 7 % 12) as u8,
            tempo_bpm: 72.0,
        }
    }

    /// Seconds per beat.
    pub fn beat_s(&self) -> f64 {
        60.0 / self.tempo_bpm as f64
    }

    /// The beat this tempo is fitted to: the grid's beat, its half or its double, whichever
    /// is nearest in ratio.
    pub fn fitted_tempo(&self, tempo_bpm: f32) -> f32 {
        let octaves = (tempo_bpm / self.tempo_bpm).log2().round().clamp(-1.0, 1.0);
        self.tempo_bpm * 2f32.powf(octaves)
    }

    /// The score moved onto the grid (ambient scores; a classic score has no key or beat and
    /// is returned as it is), with a decision saying what was done and why.
    pub fn fit(&self, score: &Score) -> Score {
        let mut fitted = score.clone();
        let Arrangement::Ambient(a) = &mut fitted.arrangement else {
            return fitted;
        };
        let shift = semitones_to(a.key.tonic, self.tonic);
        let tempo = self.fitted_tempo(a.tempo_bpm);
        let stretch = (a.tempo_bpm / tempo) as f64;
        let transpose = |m: u8| (m as i32 + shift).clamp(0, 127) as u8;
        for chord in &mut a.chords {
            chord.start *= stretch;
            chord.duration *= stretch;
            chord.notes.iter_mut().for_each(|m| *m = transpose(*m));
        }
        for note in &mut a.lead {
            note.start *= stretch;
            note.duration *= stretch;
            note.midi = transpose(note.midi);
        }
        a.drone.iter_mut().for_each(|m| *m = transpose(*m));
        let scale = 2f32.powf(shift as f32 / 12.0);
        a.drone_cutoff_hz *= scale;
        a.pad_cutoff_hz *= scale;
        a.lead_cutoff_hz *= scale;
        let was = (a.key.name(), a.tempo_bpm);
        a.key.tonic = self.tonic;
        a.tempo_bpm = tempo;
        fitted.seconds *= stretch;
        fitted.decisions.push(photophone_compose::Decision {
            topic: "maze".into(),
            value: format!("{} at {tempo:.0} BPM (was {} at {:.0} BPM)", a.key.name(), was.0, was.1),
            because: format!(
                "the maze shares one tonic and one beat ({:.0} BPM) so that photos heard together do not clash; this photo keeps its mode, register, density and colour",
                self.tempo_bpm
            ),
        });
        fitted
    }
}

/// The shortest transposition (−5..=6 semitones) taking pitch class `from` to `to`.
fn semitones_to(from: u8, to: u8) -> i32 {
    let up = (to as i32 - from as i32).rem_euclid(12);
    if up > 6 {
        up - 12
    } else {
        up
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(seed: u64) -> Score {
        let options = photophone::Options {
            seed,
            ..Default::default()
        };
        photophone::compose_photo(&photophone::default_photo(), &options).1
    }

    #[test]
    fn every_photo_lands_on_the_grids_tonic_and_beat_keeping_its_mode() {
        let grid = Grid {
            tonic: 2,
            tempo_bpm: 72.0,
        };
        for seed in 0..4 {
            let original = score(seed);
            let fitted = grid.fit(&original);
            let (Arrangement::Ambient(a), Arrangement::Ambient(b)) =
                (&original.arrangement, &fitted.arrangement)
            else {
                panic!("ambient")
            };
            assert_eq!(b.key.tonic, 2);
            assert_eq!(b.key.mode, a.key.mode);
            assert!([36.0, 72.0, 144.0].contains(&b.tempo_bpm));
            let shift = b.drone[0] as i32 - a.drone[0] as i32;
            assert!((-5..=6).contains(&shift));
            assert_eq!(b.drone[0] % 12, 2);
            // Every lead note starts on the grid's subdivision of the fitted beat.
            let beat = 60.0 / b.tempo_bpm as f64;
            for n in &b.lead {
                let steps = n.start / beat * 12.0; // subdivisions 1..4 all divide 12
                                                   // (Tempos are f32: the stretch is exact to about 1e-7.)
                assert!(
                    (steps - steps.round()).abs() < 1e-4,
                    "note at {} off the grid",
                    n.start
                );
            }
            assert!(fitted.decisions.iter().any(|d| d.topic == "maze"));
        }
    }

    #[test]
    fn shortest_transposition() {
        assert_eq!(semitones_to(0, 7), -5);
        assert_eq!(semitones_to(0, 6), 6);
        assert_eq!(semitones_to(11, 0), 1);
        assert_eq!(semitones_to(4, 4), 0);
    }
}
