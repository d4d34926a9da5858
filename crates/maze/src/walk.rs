//! Scripted walks: `{"keys": [{"t": seconds, "x": metres, "y": metres, "heading": degrees}, …]}`.
//! Positions and headings are interpolated linearly between keys (headings along the shorter
//! arc); before the first key the walker stands at it, after the last likewise. A walk may
//! stand still, turn in place, or pass through walls (the engine then applies what the walls
//! do to sound).

use serde::Deserialize;

/// Where the listener is and which way they look (degrees clockwise from +y).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pose {
    /// East, metres.
    pub x: f32,
    /// North, metres.
    pub y: f32,
    /// Degrees clockwise from +y.
    pub heading: f32,
}

/// A key of a walk.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Key {
    /// Seconds from the start of the walk.
    pub t: f64,
    /// Where the walker is then.
    pub pose: Pose,
}

/// A validated walk: at least one key, times finite and strictly increasing.
#[derive(Clone, Debug, PartialEq)]
pub struct Walk {
    keys: Vec<Key>,
}

/// What is wrong with a walk file: one line naming the field.
// Each variant's `#[error]` message is its documentation.
#[allow(missing_docs)]
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum WalkError {
    #[error("not a walk file: {0}")]
    Json(String),
    #[error("\"keys\" is empty: a walk needs at least one key")]
    NoKeys,
    #[error("keys[{index}].{field} is {value}, not a finite number")]
    NotFinite {
        index: usize,
        field: &'static str,
        value: String,
    },
    #[error("keys[{index}].t is {t}, not after keys[{}].t = {previous}", index - 1)]
    NotIncreasing { index: usize, t: f64, previous: f64 },
    #[error("keys[{index}].t is {t}: times start at 0 or later")]
    Negative { index: usize, t: f64 },
    #[error("keys[{index}].{field} is {value}: positions lie within 1,000 km and times within a day")]
    OutOfRange {
        index: usize,
        field: &'static str,
        value: f64,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    keys: Vec<KeyFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    t: f64,
    x: f64,
    y: f64,
    heading: f64,
}

impl Walk {
    /// Parses and checks a walk file.
    pub fn from_json(bytes: &[u8]) -> Result<Walk, WalkError> {
        let file: File = serde_json::from_slice(bytes).map_err(|e| WalkError::Json(e.to_string()))?;
        let keys = file
            .keys
            .iter()
            .enumerate()
            .map(|(index, k)| key(index, k))
            .collect::<Result<Vec<_>, _>>()?;
        Walk::new(keys)
    }

    /// A walk through these keys (checked as a file's would be).
    pub fn new(keys: Vec<Key>) -> Result<Walk, WalkError> {
        if keys.is_empty() {
            return Err(WalkError::NoKeys);
        }
        for (index, pair) in keys.windows(2).enumerate() {
            if pair[1].t <= pair[0].t {
                return Err(WalkError::NotIncreasing {
                    index: index + 1,
                    t: pair[1].t,
                    previous: pair[0].t,
                });
            }
        }
        Ok(Walk { keys })
    }

    /// Time of the last key.
    pub fn duration(&self) -> f64 {
        self.keys.last().map_or(0.0, |k| k.t)
    }

    /// The pose at time `t` (seconds).
    pub fn at(&self, t: f64) -> Pose {
        let after = self.keys.partition_point(|k| k.t <= t);
        if after == 0 {
            return self.keys[0].pose;
        }
        if after == self.keys.len() {
            return self.keys[after - 1].pose;
        }
        let (a, b) = (&self.keys[after - 1], &self.keys[after]);
        let f = ((t - a.t) / (b.t - a.t)) as f32;
        let turn = shorter_arc(b.pose.heading - a.pose.heading);
        Pose {
            x: a.pose.x + f * (b.pose.x - a.pose.x),
            y: a.pose.y + f * (b.pose.y - a.pose.y),
            heading: (a.pose.heading + f * turn).rem_euclid(360.0),
        }
    }
}

fn key(index: usize, k: &KeyFile) -> Result<Key, WalkError> {
    for (field, value) in [("t", k.t), ("x", k.x), ("y", k.y), ("heading", k.heading)] {
        if !value.is_finite() {
            return Err(WalkError::NotFinite {
                index,
                field,
                value: value.to_string(),
            });
        }
    }
    if k.t < 0.0 {
        return Err(WalkError::Negative { index, t: k.t });
    }
    for (field, value, limit) in [("t", k.t, 86_400.0), ("x", k.x, 1e6), ("y", k.y, 1e6)] {
        if value.abs() > limit {
            return Err(WalkError::OutOfRange { index, field, value });
        }
    }
    Ok(Key {
        t: k.t,
        pose: Pose {
            x: k.x as f32,
            y: k.y as f32,
            heading: k.heading as f32,
        },
    })
}

/// An angle difference brought into (−180, 180].
pub fn shorter_arc(degrees: f32) -> f32 {
    let d = degrees.rem_euclid(360.0);
    if d > 180.0 {
        d - 360.0
    } else {
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_positions_and_turns_the_short_way() {
        let w = Walk::from_json(
            br#"{"keys": [{"t": 0, "x": 0, "y": 0, "heading": 350}, {"t": 2, "x": 4, "y": 2, "heading": 30}]}"#,
        )
        .unwrap();
        let mid = w.at(1.0);
        assert_eq!((mid.x, mid.y), (2.0, 1.0));
        assert!((mid.heading - 10.0).abs() < 1e-4, "{}", mid.heading);
        assert_eq!(w.at(-1.0).x, 0.0);
        assert_eq!(w.at(5.0).x, 4.0);
        assert_eq!(w.duration(), 2.0);
    }

    #[test]
    fn a_malformed_walk_names_the_field() {
        let cases: [(&[u8], &str); 6] = [
            (br#"{"keys": []}"#, "\"keys\" is empty"),
            (br#"{"keys": [{"t": 0, "x": 0, "y": 0}]}"#, "heading"),
            (br#"{"keys": [{"t": 1, "x": 0, "y": 0, "heading": 0}, {"t": 1, "x": 1, "y": 0, "heading": 0}]}"#, "keys[1].t"),
            (br#"{"keys": [{"t": -1, "x": 0, "y": 0, "heading": 0}]}"#, "keys[0].t"),
            (br#"{"keys": [{"t": 0, "x": "a", "y": 0, "heading": 0}]}"#, "invalid type"),
            (b"\x00\x01", "not a walk file"),
        ];
        for (bytes, expected) in cases {
            let e = Walk::from_json(bytes).unwrap_err().to_string();
            assert!(e.contains(expected), "{e:?} should mention {expected:?}");
            assert!(!e.contains('\n'));
        }
    }
}
