//! How a photo's sound reaches the listener through the maze: straight when nothing is in
//! the way; otherwise along the corridors (the maze is a tree, so there is one such path),
//! heard from the last opening the listener can see and muffled by how far it bends round
//! corners; and through the walls, muffled far more. The two are combined into one apparent
//! source, so every parameter moves continuously as the listener walks.
//!
//! The model is geometric, not a wave simulation: distance attenuation 1/r beyond a metre
//! and a half; a corner costs 3 dB and a factor of 3 in low-pass cutoff per right angle of
//! bending (diffraction darkens sound round an edge, high frequencies first); a wall costs
//! 15 dB and leaves little above 350 Hz (the mass law of a partition).

use crate::layout::Layout;
use crate::walk::Pose;

/// Inside this distance the level no longer rises (a listener's head is not a point).
pub const REFERENCE_DISTANCE_M: f32 = 1.5;
/// Photos farther than this along their path are inaudible and not computed.
pub const EARSHOT_M: f32 = 40.0;
/// Cutoff of a sound with a clear line of sight (above hearing's useful range for this music).
const OPEN_CUTOFF_HZ: f32 = 18_000.0;
const WALL_LOSS: f32 = 0.18; // −15 dB
const WALL_CUTOFF_HZ: f32 = 350.0;

/// What the listener hears of one photo: an apparent source, its level and colour.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Heard {
    /// Where the sound appears to come from (metres, maze plane).
    /// East, metres.
    pub x: f32,
    /// North, metres.
    pub y: f32,
    /// Amplitude relative to the photo heard from [`REFERENCE_DISTANCE_M`] in the open.
    pub gain: f32,
    /// Low-pass cutoff the walls and corners leave.
    pub cutoff_hz: f32,
    /// Length of the path the sound travels, metres.
    pub distance_m: f32,
}

impl Heard {
    /// Silence (out of earshot).
    pub const SILENT: Heard = Heard {
        x: 0.0,
        y: 0.0,
        gain: 0.0,
        cutoff_hz: OPEN_CUTOFF_HZ,
        distance_m: f32::INFINITY,
    };

    /// Direction of the apparent source relative to where the listener looks, degrees
    /// clockwise (0 ahead, 90 right).
    pub fn azimuth(&self, listener: &Pose) -> f32 {
        let bearing = (self.x - listener.x).atan2(self.y - listener.y).to_degrees();
        (bearing - listener.heading).rem_euclid(360.0)
    }
}

/// The corridors' paths from the listener's cell to every cell (a breadth-first tree),
/// computed once per listener move and shared by all photos.
pub struct Paths {
    /// For each cell, the next cell towards the listener (the listener's cell: itself).
    toward_listener: Vec<usize>,
    reached: Vec<bool>,
}

impl Paths {
    /// Paths from the cell the listener stands in.
    pub fn from(layout: &Layout, listener: &Pose) -> Paths {
        let cells = layout.columns * layout.rows;
        let (c0, r0) = layout.cell_of(listener.x, listener.y);
        let start = r0 * layout.columns + c0;
        let mut toward_listener = vec![usize::MAX; cells];
        let mut reached = vec![false; cells];
        let mut queue = std::collections::VecDeque::from([start]);
        toward_listener[start] = start;
        reached[start] = true;
        let max_steps = (EARSHOT_M / layout.cell_m).ceil() as usize + 1;
        let mut depth = vec![0usize; cells];
        while let Some(i) = queue.pop_front() {
            if depth[i] >= max_steps {
                continue;
            }
            let (c, r) = (i % layout.columns, i / layout.columns);
            for (nc, nr) in layout.neighbours(c, r) {
                let j = nr * layout.columns + nc;
                if !reached[j] {
                    reached[j] = true;
                    toward_listener[j] = i;
                    depth[j] = depth[i] + 1;
                    queue.push_back(j);
                }
            }
        }
        Paths {
            toward_listener,
            reached,
        }
    }

    /// What the listener hears of a source at (x, y).
    pub fn hear(&self, layout: &Layout, listener: &Pose, x: f32, y: f32) -> Heard {
        let direct = ((x - listener.x).powi(2) + (y - listener.y).powi(2)).sqrt();
        if direct > EARSHOT_M {
            return Heard::SILENT;
        }
        let walls = layout.walls_crossed(listener.x, listener.y, x, y, 3);
        if walls == 0 {
            return Heard {
                x,
                y,
                gain: attenuation(direct),
                cutoff_hz: OPEN_CUTOFF_HZ,
                distance_m: direct,
            };
        }
        let through = Heard {
            x,
            y,
            gain: attenuation(direct) * WALL_LOSS.powi(walls as i32),
            cutoff_hz: WALL_CUTOFF_HZ,
            distance_m: direct,
        };
        match self.around(layout, listener, x, y) {
            Some(around) => combine(&around, &through),
            None => through,
        }
    }

    /// The sound that comes round the corners: from the last opening on the corridor path
    /// that the listener can see.
    fn around(&self, layout: &Layout, listener: &Pose, x: f32, y: f32) -> Option<Heard> {
        let points = self.corridor_points(layout, listener, x, y)?;
        // points: listener … openings … source. The farthest one in sight is where the
        // sound seems to come from.
        let seen = (1..points.len())
            .rev()
            .find(|&k| !layout.blocked(listener.x, listener.y, points[k].0, points[k].1))
            .unwrap_or(1);
        let mut length = distance(points[0], points[seen]);
        let mut bend = 0.0;
        for k in seen..points.len() - 1 {
            length += distance(points[k], points[k + 1]);
            bend += turn_degrees(points[k - 1], points[k], points[k + 1]);
        }
        if length > EARSHOT_M {
            return None;
        }
        let right_angles = bend / 90.0;
        Some(Heard {
            x: points[seen].0,
            y: points[seen].1,
            gain: attenuation(length) * 0.7f32.powf(right_angles),
            cutoff_hz: OPEN_CUTOFF_HZ * 3f32.powf(-right_angles),
            distance_m: length,
        })
    }

    /// Listener, the middle of each doorway between cells on the way, the source.
    fn corridor_points(&self, layout: &Layout, listener: &Pose, x: f32, y: f32) -> Option<Vec<(f32, f32)>> {
        let (sc, sr) = layout.cell_of(x, y);
        let mut cell = sr * layout.columns + sc;
        if !self.reached[cell] {
            return None;
        }
        let mut openings = Vec::new();
        while self.toward_listener[cell] != cell {
            let next = self.toward_listener[cell];
            openings.push(doorway(layout, cell, next));
            cell = next;
        }
        let mut points = Vec::with_capacity(openings.len() + 2);
        points.push((listener.x, listener.y));
        points.extend(openings.into_iter().rev());
        points.push((x, y));
        Some(points)
    }
}

/// 1/r beyond the reference distance.
pub fn attenuation(distance_m: f32) -> f32 {
    REFERENCE_DISTANCE_M / distance_m.max(REFERENCE_DISTANCE_M)
}

/// Two ways of hearing one photo as one apparent source: powers add; the direction and the
/// cutoff lean towards the louder (the cutoff in octaves), so nothing jumps when one path
/// takes over from the other.
fn combine(a: &Heard, b: &Heard) -> Heard {
    let (pa, pb) = (a.gain * a.gain, b.gain * b.gain);
    let total = pa + pb;
    if total <= 0.0 {
        return Heard::SILENT;
    }
    let (wa, wb) = (pa / total, pb / total);
    Heard {
        x: wa * a.x + wb * b.x,
        y: wa * a.y + wb * b.y,
        gain: total.sqrt(),
        cutoff_hz: (wa * a.cutoff_hz.log2() + wb * b.cutoff_hz.log2()).exp2(),
        distance_m: wa * a.distance_m + wb * b.distance_m,
    }
}

fn doorway(layout: &Layout, a: usize, b: usize) -> (f32, f32) {
    let ca = layout.centre(a % layout.columns, a / layout.columns);
    let cb = layout.centre(b % layout.columns, b / layout.columns);
    (0.5 * (ca.0 + cb.0), 0.5 * (ca.1 + cb.1))
}

fn distance(a: (f32, f32), b: (f32, f32)) -> f32 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

/// How far the path turns at `b` (0 = straight on), degrees.
fn turn_degrees(a: (f32, f32), b: (f32, f32), c: (f32, f32)) -> f32 {
    let (u, v) = ((b.0 - a.0, b.1 - a.1), (c.0 - b.0, c.1 - b.1));
    let (nu, nv) = ((u.0 * u.0 + u.1 * u.1).sqrt(), (v.0 * v.0 + v.1 * v.1).sqrt());
    if nu < 1e-6 || nv < 1e-6 {
        return 0.0;
    }
    let cos = ((u.0 * v.0 + u.1 * v.1) / (nu * nv)).clamp(-1.0, 1.0);
    cos.acos().to_degrees()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{CellWalls, Layout, Start};

    /// 2×2 cells in a U: (0,0)–(1,0)–(1,1)–(0,1) open in that order, (0,0)–(0,1) walled.
    fn l_shape() -> Layout {
        Layout {
            seed: 0,
            cell_m: 4.0,
            columns: 2,
            rows: 2,
            wall_height_m: 3.0,
            walls: Vec::new(),
            start: Start {
                x: 2.0,
                y: 2.0,
                heading: 0.0,
            },
            photos: Vec::new(),
            cells: vec![
                CellWalls {
                    north: true,
                    east: false,
                }, // (0,0)
                CellWalls {
                    north: false,
                    east: true,
                }, // (1,0)
                CellWalls {
                    north: true,
                    east: false,
                }, // (0,1)
                CellWalls {
                    north: true,
                    east: true,
                }, // (1,1)
            ],
        }
    }

    fn pose(x: f32, y: f32, heading: f32) -> Pose {
        Pose { x, y, heading }
    }

    #[test]
    fn in_the_open_the_level_falls_as_one_over_distance() {
        let l = l_shape();
        let p = pose(1.0, 2.0, 0.0);
        let paths = Paths::from(&l, &p);
        let near = paths.hear(&l, &p, 3.0, 2.0);
        let far = paths.hear(&l, &p, 5.0, 2.0);
        assert_eq!(near.cutoff_hz, OPEN_CUTOFF_HZ);
        assert!((20.0 * (near.gain / far.gain).log10() - 6.02).abs() < 0.1);
        assert!((near.azimuth(&p) - 90.0).abs() < 1e-3);
    }

    #[test]
    fn round_a_corner_the_sound_comes_from_the_opening_and_darker() {
        // Listener in (0,0); source in (1,1), round the corner at (1,0).
        let l = l_shape();
        let p = pose(1.0, 1.0, 0.0);
        let paths = Paths::from(&l, &p);
        let heard = paths.hear(&l, &p, 6.0, 6.5);
        // The corner it comes round, (6, 4), is at 59° to the listener's right; the photo
        // itself, through the wall, at 42°.
        let az = heard.azimuth(&p);
        assert!((54.0..=62.0).contains(&az), "azimuth {az}");
        assert!(heard.cutoff_hz < 0.5 * OPEN_CUTOFF_HZ);
        assert!(heard.distance_m > 7.0);
    }

    #[test]
    fn through_a_wall_with_no_way_round_is_dark_and_quiet() {
        let l = l_shape();
        let p = pose(2.0, 2.0, 0.0);
        let paths = Paths::from(&l, &p);
        // Straight north through the wall into (0,1), whose way round is long.
        let heard = paths.hear(&l, &p, 2.0, 5.0);
        let open = attenuation(3.0);
        assert!(heard.gain < 0.5 * open);
        assert!(heard.cutoff_hz < 3000.0, "{}", heard.cutoff_hz);
    }
}
