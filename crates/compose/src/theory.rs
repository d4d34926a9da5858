//! Just enough music theory: diatonic modes, scale degrees, triads and sevenths.

use serde::{Deserialize, Serialize};

/// The diatonic modes, ordered from darkest to brightest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Phrygian,
    Aeolian,
    Dorian,
    Mixolydian,
    Ionian,
    Lydian,
}

impl Mode {
    pub fn intervals(self) -> [u8; 7] {
        match self {
            Mode::Phrygian => [0, 1, 3, 5, 7, 8, 10],
            Mode::Aeolian => [0, 2, 3, 5, 7, 8, 10],
            Mode::Dorian => [0, 2, 3, 5, 7, 9, 10],
            Mode::Mixolydian => [0, 2, 4, 5, 7, 9, 10],
            Mode::Ionian => [0, 2, 4, 5, 7, 9, 11],
            Mode::Lydian => [0, 2, 4, 6, 7, 9, 11],
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Mode::Phrygian => "phrygian",
            Mode::Aeolian => "aeolian (natural minor)",
            Mode::Dorian => "dorian",
            Mode::Mixolydian => "mixolydian",
            Mode::Ionian => "ionian (major)",
            Mode::Lydian => "lydian",
        }
    }
    pub fn is_minor(self) -> bool {
        matches!(self, Mode::Phrygian | Mode::Aeolian | Mode::Dorian)
    }
}

pub const NOTE_NAMES: [&str; 12] = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"];

/// A key: tonic pitch class and mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Key {
    pub tonic: u8,
    pub mode: Mode,
}

impl Key {
    pub fn name(&self) -> String {
        format!("{} {}", NOTE_NAMES[self.tonic as usize % 12], self.mode.name())
    }
    /// MIDI note of scale degree `degree` (any integer; 7 = an octave up) above `base_octave_midi`
    /// (the MIDI note of the tonic's C-octave, e.g. 48 for the octave starting at C3).
    pub fn degree_to_midi(&self, degree: i32, base_c: i32) -> i32 {
        let iv = self.mode.intervals();
        let octave = degree.div_euclid(7);
        let step = degree.rem_euclid(7) as usize;
        base_c + self.tonic as i32 + 12 * octave + iv[step] as i32
    }
    /// Triad (or seventh chord) on a scale degree, as degrees.
    pub fn chord_degrees(&self, root: i32, seventh: bool, sus: bool) -> Vec<i32> {
        let mut d = vec![root, if sus { root + 3 } else { root + 2 }, root + 4];
        if seventh {
            d.push(root + 6);
        }
        d
    }
    /// Key signature for MIDI: sharps (+) or flats (-) and whether minor.
    pub fn midi_signature(&self) -> (i8, bool) {
        // Relative Ionian tonic of this mode.
        let offset = match self.mode {
            Mode::Ionian => 0,
            Mode::Dorian => 10,
            Mode::Phrygian => 8,
            Mode::Lydian => 7,
            Mode::Mixolydian => 5,
            Mode::Aeolian => 3,
        };
        let major = (self.tonic as i32 + offset) % 12;
        // Position on the circle of fifths, folded to -6..=5.
        let fifths = (major * 7).rem_euclid(12);
        let fifths = if fifths > 6 { fifths - 12 } else { fifths };
        (fifths as i8, self.mode.is_minor())
    }
}

pub fn midi_to_hz(midi: f32) -> f32 {
    440.0 * 2f32.powf((midi - 69.0) / 12.0)
}

/// Roman numeral for a degree, lower case for minor chords.
pub fn roman(key: &Key, degree: i32) -> String {
    const R: [&str; 7] = ["I", "II", "III", "IV", "V", "VI", "VII"];
    let iv = key.mode.intervals();
    let d = degree.rem_euclid(7) as usize;
    let third = (iv[(d + 2) % 7] as i32 - iv[d] as i32).rem_euclid(12);
    if third == 3 {
        R[d].to_lowercase()
    } else {
        R[d].to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn degrees_and_signatures() {
        let c_major = Key {
            tonic: 0,
            mode: Mode::Ionian,
        };
        assert_eq!(c_major.degree_to_midi(0, 60), 60);
        assert_eq!(c_major.degree_to_midi(7, 60), 72);
        assert_eq!(c_major.degree_to_midi(-1, 60), 59);
        assert_eq!(c_major.midi_signature(), (0, false));
        let a_minor = Key {
            tonic: 9,
            mode: Mode::Aeolian,
        };
        assert_eq!(a_minor.midi_signature(), (0, true));
        let d_major = Key {
            tonic: 2,
            mode: Mode::Ionian,
        };
        assert_eq!(d_major.midi_signature(), (2, false));
        assert_eq!(roman(&c_major, 5), "vi");
    }
}
