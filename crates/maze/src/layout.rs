//! The maze: a grid of square cells carved into a perfect maze (one path between any two
//! cells) by a seeded depth-first search, sized to the number of photos, with each photo hung
//! on a wall face facing into a corridor. Same photos + seed → the same maze.
//!
//! Coordinates: metres, x to the east, y to the north; cell (c, r) spans
//! [c·cell, (c+1)·cell] × [r·cell, (r+1)·cell]. Headings and facings are degrees clockwise
//! from +y (0 = towards +y, 90 = towards +x), as in a walk file.

use photophone_rng::SplitMix64;
use serde::{Deserialize, Serialize};

/// Side of a cell, in metres (Photo Amaze's 100-unit walls, at about a corridor's width).
pub const CELL_M: f32 = 4.0;
/// How far a picture stands off its wall, so it is never inside it.
const PICTURE_OFFSET_M: f32 = 0.05;

/// A wall segment (zero thickness), in metres.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Wall {
    /// One end, east and north.
    pub x0: f32,
    /// (see `x0`)
    pub y0: f32,
    /// The other end, east and north.
    pub x1: f32,
    /// (see `x1`)
    pub y1: f32,
}

/// Where the walk starts.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Start {
    /// East, metres.
    pub x: f32,
    /// North, metres.
    pub y: f32,
    /// Degrees clockwise from +y, through an opening of the first cell.
    pub heading: f32,
}

/// A photo on a wall: the centre of its picture and the direction its face points.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HungPhoto {
    /// The photo's file name (as the folder lists it, or as the page named it).
    pub file: String,
    /// East, metres: the centre of the picture, a few centimetres off its wall.
    pub x: f32,
    /// North, metres.
    pub y: f32,
    /// Degrees clockwise from +y: the direction the picture faces (into the corridor).
    pub facing: f32,
    /// Size of the picture on the wall, metres.
    pub width_m: f32,
    /// (see `width_m`)
    pub height_m: f32,
    /// Height of the picture's centre above the floor (about eye height), metres.
    pub centre_height_m: f32,
}

/// The whole maze as the page, the engine and a walk script see it (`maze DIR --layout`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Layout {
    /// The seed the maze was carved with (it also picks the maze's tonic: [`crate::grid`]).
    pub seed: u64,
    /// Side of a cell, metres.
    pub cell_m: f32,
    /// Cells from west to east.
    pub columns: usize,
    /// Cells from south to north.
    pub rows: usize,
    /// For the page's 3-D view.
    pub wall_height_m: f32,
    /// Every wall, the boundary included.
    pub walls: Vec<Wall>,
    /// Where a walk begins.
    pub start: Start,
    /// The photos in the order given (the first nearest the start).
    pub photos: Vec<HungPhoto>,
    /// Per cell (row-major from the south-west), whether its north and east sides are walls;
    /// the south and west sides are the neighbours' (or the boundary). Not in the JSON (the
    /// walls say it): [`Layout::with_cells`] rebuilds it.
    #[serde(skip)]
    pub cells: Vec<CellWalls>,
}

/// The two walls a cell owns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellWalls {
    /// A wall on the cell's north side.
    pub north: bool,
    /// A wall on the cell's east side.
    pub east: bool,
}

/// A side of a cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Towards +y.
    North,
    /// Towards +x.
    East,
    /// Towards −y.
    South,
    /// Towards −x.
    West,
}

impl Side {
    const ALL: [Side; 4] = [Side::North, Side::East, Side::South, Side::West];

    /// The direction a picture on this side of a cell faces: into the cell.
    fn facing(self) -> f32 {
        match self {
            Side::North => 180.0,
            Side::East => 270.0,
            Side::South => 0.0,
            Side::West => 90.0,
        }
    }
}

impl Layout {
    /// The maze for these photos (in this order; the first hang nearest the start).
    pub fn generate(files: Vec<String>, seed: u64) -> Layout {
        let (columns, rows) = grid_size(files.len());
        let mut rng = SplitMix64::seeded(seed ^ 0x6d61_7a65);
        let cells = carve(columns, rows, &mut rng);
        let mut layout = Layout {
            seed,
            cell_m: CELL_M,
            columns,
            rows,
            wall_height_m: 3.0,
            walls: Vec::new(),
            start: Start {
                x: 0.5 * CELL_M,
                y: 0.5 * CELL_M,
                heading: 0.0,
            },
            photos: Vec::new(),
            cells,
        };
        layout.walls = layout.wall_segments();
        layout.start.heading = layout.open_heading(0, 0);
        layout.photos = layout.hang(files, &mut rng);
        layout
    }

    /// What is wrong with a layout read from outside (the page's JSON), if anything: one line.
    pub fn check(&self) -> Result<(), String> {
        if !(self.cell_m.is_finite() && self.cell_m >= 0.1 && self.cell_m <= 1000.0) {
            return Err(format!(
                "cell_m is {}, not between 0.1 and 1000 metres",
                self.cell_m
            ));
        }
        if self.columns == 0 || self.rows == 0 || self.columns.saturating_mul(self.rows) > 1_000_000 {
            return Err(format!(
                "{} × {} cells: a maze has 1 to 1,000,000",
                self.columns, self.rows
            ));
        }
        let (w, h) = (self.columns as f32 * self.cell_m, self.rows as f32 * self.cell_m);
        let inside = |x: f32, max: f32| x.is_finite() && x >= -self.cell_m && x <= max + self.cell_m;
        if !self
            .walls
            .iter()
            .all(|s| inside(s.x0, w) && inside(s.x1, w) && inside(s.y0, h) && inside(s.y1, h))
        {
            return Err("a wall lies outside the maze's cells".into());
        }
        let finite = |v: f32| v.is_finite();
        if !self
            .photos
            .iter()
            .all(|p| [p.x, p.y, p.facing].into_iter().all(finite))
        {
            return Err("a photo has a position or facing that is not a finite number".into());
        }
        Ok(())
    }

    /// Rebuilds the cell table from the wall segments (a layout read from JSON without it).
    pub fn with_cells(mut self) -> Layout {
        if self.cells.len() == self.columns * self.rows {
            return self;
        }
        self.cells = vec![
            CellWalls {
                north: false,
                east: false
            };
            self.columns * self.rows
        ];
        let walls = std::mem::take(&mut self.walls);
        for w in &walls {
            self.mark_wall(w);
        }
        self.walls = walls;
        self
    }

    fn mark_wall(&mut self, w: &Wall) {
        let cell = self.cell_m;
        let steps = ((w.x1 - w.x0).abs().max((w.y1 - w.y0).abs()) / cell)
            .round()
            .max(1.0) as usize;
        for k in 0..steps {
            let t = (k as f32 + 0.5) / steps as f32;
            let (x, y) = (w.x0 + t * (w.x1 - w.x0), w.y0 + t * (w.y1 - w.y0));
            if (w.y0 - w.y1).abs() < 1e-3 {
                // Horizontal: the north side of the cell below.
                let (c, r) = ((x / cell) as i64, (y / cell).round() as i64 - 1);
                if let Some(i) = self.index(c, r) {
                    self.cells[i].north = true;
                }
            } else {
                let (c, r) = ((x / cell).round() as i64 - 1, (y / cell) as i64);
                if let Some(i) = self.index(c, r) {
                    self.cells[i].east = true;
                }
            }
        }
    }

    /// The cell index of (column, row), if inside the maze.
    pub fn index(&self, c: i64, r: i64) -> Option<usize> {
        (c >= 0 && r >= 0 && (c as usize) < self.columns && (r as usize) < self.rows)
            .then(|| r as usize * self.columns + c as usize)
    }

    /// The cell a point is in (clamped to the maze).
    pub fn cell_of(&self, x: f32, y: f32) -> (usize, usize) {
        let c = ((x / self.cell_m).floor().max(0.0) as usize).min(self.columns - 1);
        let r = ((y / self.cell_m).floor().max(0.0) as usize).min(self.rows - 1);
        (c, r)
    }

    /// Whether a side of a cell is a wall (the boundary always is).
    pub fn is_wall(&self, c: usize, r: usize, side: Side) -> bool {
        let cells = &self.cells;
        let at = |c: usize, r: usize| cells[r * self.columns + c];
        match side {
            Side::North => at(c, r).north,
            Side::East => at(c, r).east,
            Side::South => r == 0 || at(c, r - 1).north,
            Side::West => c == 0 || at(c - 1, r).east,
        }
    }

    /// The open neighbours of a cell.
    pub fn neighbours(&self, c: usize, r: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        Side::ALL.into_iter().filter_map(move |side| {
            if self.is_wall(c, r, side) {
                return None;
            }
            Some(match side {
                Side::North => (c, r + 1),
                Side::East => (c + 1, r),
                Side::South => (c, r - 1),
                Side::West => (c - 1, r),
            })
        })
    }

    /// Whether the straight line from (x0, y0) to (x1, y1) crosses a wall (a line through a
    /// corner counts as crossing). Walks the grid cells the line passes (Amanatides–Woo), so
    /// the cost is the number of cells crossed, not the number of walls.
    pub fn blocked(&self, x0: f32, y0: f32, x1: f32, y1: f32) -> bool {
        self.walls_crossed(x0, y0, x1, y1, 1) > 0
    }

    /// How many walls the straight line crosses, counting up to `limit`.
    pub fn walls_crossed(&self, x0: f32, y0: f32, x1: f32, y1: f32, limit: usize) -> usize {
        let s = self.cell_m;
        let (mut c, mut r) = self.cell_of(x0, y0);
        let (c1, r1) = self.cell_of(x1, y1);
        let (dx, dy) = (x1 - x0, y1 - y0);
        let step_c: i64 = if dx > 0.0 { 1 } else { -1 };
        let step_r: i64 = if dy > 0.0 { 1 } else { -1 };
        // Parameter t (0..1 along the line) at the next vertical / horizontal grid line.
        let next_x = if dx > 0.0 {
            (c + 1) as f32 * s
        } else {
            c as f32 * s
        };
        let next_y = if dy > 0.0 {
            (r + 1) as f32 * s
        } else {
            r as f32 * s
        };
        let mut t_x = if dx != 0.0 {
            (next_x - x0) / dx
        } else {
            f32::INFINITY
        };
        let mut t_y = if dy != 0.0 {
            (next_y - y0) / dy
        } else {
            f32::INFINITY
        };
        let dt_x = if dx != 0.0 { s / dx.abs() } else { f32::INFINITY };
        let dt_y = if dy != 0.0 { s / dy.abs() } else { f32::INFINITY };
        // The grid walk below stays inside the maze: leaving or entering it crosses the
        // boundary wall.
        let (w, h) = (self.columns as f32 * s, self.rows as f32 * s);
        let outside = |x: f32, y: f32| x < 0.0 || y < 0.0 || x > w || y > h;
        let mut crossed = (outside(x0, y0) != outside(x1, y1)) as usize;
        // A straight line crosses at most columns + rows cell borders (the bound also keeps
        // a line with non-finite ends from walking forever).
        let mut steps = self.columns + self.rows;
        while (c, r) != (c1, r1) && crossed < limit && steps > 0 {
            steps -= 1;
            if t_x.min(t_y) > 1.0 {
                break;
            }
            let across_columns = t_x < t_y;
            let leaving = if across_columns {
                (c == 0 && step_c < 0) || (c + 1 == self.columns && step_c > 0)
            } else {
                (r == 0 && step_r < 0) || (r + 1 == self.rows && step_r > 0)
            };
            if leaving {
                break;
            }
            if across_columns {
                let side = if step_c > 0 { Side::East } else { Side::West };
                crossed += self.is_wall(c, r, side) as usize;
                c = (c as i64 + step_c) as usize;
                t_x += dt_x;
            } else {
                let side = if step_r > 0 { Side::North } else { Side::South };
                crossed += self.is_wall(c, r, side) as usize;
                r = (r as i64 + step_r) as usize;
                t_y += dt_y;
            }
        }
        crossed
    }

    /// Centre of a cell.
    pub fn centre(&self, c: usize, r: usize) -> (f32, f32) {
        ((c as f32 + 0.5) * self.cell_m, (r as f32 + 0.5) * self.cell_m)
    }

    fn wall_segments(&self) -> Vec<Wall> {
        let s = self.cell_m;
        let (w, h) = (self.columns as f32 * s, self.rows as f32 * s);
        let mut walls = vec![
            Wall {
                x0: 0.0,
                y0: 0.0,
                x1: w,
                y1: 0.0,
            },
            Wall {
                x0: 0.0,
                y0: 0.0,
                x1: 0.0,
                y1: h,
            },
        ];
        for r in 0..self.rows {
            for c in 0..self.columns {
                let (x, y) = (c as f32 * s, r as f32 * s);
                if self.is_wall(c, r, Side::North) {
                    walls.push(Wall {
                        x0: x,
                        y0: y + s,
                        x1: x + s,
                        y1: y + s,
                    });
                }
                if self.is_wall(c, r, Side::East) {
                    walls.push(Wall {
                        x0: x + s,
                        y0: y,
                        x1: x + s,
                        y1: y + s,
                    });
                }
            }
        }
        walls
    }

    /// A heading from a cell's centre through one of its openings.
    fn open_heading(&self, c: usize, r: usize) -> f32 {
        Side::ALL
            .into_iter()
            .find(|&side| !self.is_wall(c, r, side))
            .map_or(0.0, |side| (side.facing() + 180.0) % 360.0)
    }

    /// Hangs the photos on wall faces: one per cell first (each cell's faces in a seeded
    /// order), cells nearest the start (by walking distance) first, then second faces.
    fn hang(&self, files: Vec<String>, rng: &mut SplitMix64) -> Vec<HungPhoto> {
        let depth = self.walking_depths(0, 0);
        let mut order: Vec<usize> = (0..self.cells.len()).collect();
        order.sort_by_key(|&i| (depth[i], i));
        let mut faces: Vec<Vec<Side>> = order
            .iter()
            .map(|&i| {
                let (c, r) = (i % self.columns, i / self.columns);
                let mut sides: Vec<Side> = Side::ALL.into_iter().filter(|&s| self.is_wall(c, r, s)).collect();
                shuffle(&mut sides, rng);
                sides
            })
            .collect();
        let mut photos = Vec::with_capacity(files.len());
        let mut files = files.into_iter();
        'rounds: for _round in 0..4 {
            for (k, &i) in order.iter().enumerate() {
                let Some(side) = faces[k].pop() else { continue };
                let Some(file) = files.next() else { break 'rounds };
                photos.push(self.picture_on(i % self.columns, i / self.columns, side, file));
            }
        }
        photos
    }

    fn picture_on(&self, c: usize, r: usize, side: Side, file: String) -> HungPhoto {
        let (cx, cy) = self.centre(c, r);
        let half = 0.5 * self.cell_m - PICTURE_OFFSET_M;
        let (x, y) = match side {
            Side::North => (cx, cy + half),
            Side::East => (cx + half, cy),
            Side::South => (cx, cy - half),
            Side::West => (cx - half, cy),
        };
        HungPhoto {
            file,
            x,
            y,
            facing: side.facing(),
            width_m: 1.6,
            height_m: 1.2,
            centre_height_m: 1.6,
        }
    }

    /// Cells' walking distance (in cells) from a cell, breadth first; unreachable: usize::MAX.
    pub fn walking_depths(&self, c: usize, r: usize) -> Vec<usize> {
        let mut depth = vec![usize::MAX; self.cells.len()];
        let mut queue = std::collections::VecDeque::from([(c, r)]);
        depth[r * self.columns + c] = 0;
        while let Some((c, r)) = queue.pop_front() {
            let d = depth[r * self.columns + c];
            for (nc, nr) in self.neighbours(c, r) {
                let i = nr * self.columns + nc;
                if depth[i] == usize::MAX {
                    depth[i] = d + 1;
                    queue.push_back((nc, nr));
                }
            }
        }
        depth
    }
}

/// Columns and rows for `photos` photos: about one cell per photo, near square, at least 2×2.
fn grid_size(photos: usize) -> (usize, usize) {
    let columns = ((photos as f64).sqrt().ceil() as usize).max(2);
    let rows = photos.div_ceil(columns).max(2);
    (columns, rows)
}

/// A perfect maze by depth-first search from the south-west cell (iterative, so 2,000-cell
/// mazes cannot overflow the stack).
fn carve(columns: usize, rows: usize, rng: &mut SplitMix64) -> Vec<CellWalls> {
    let mut cells = vec![
        CellWalls {
            north: true,
            east: true
        };
        columns * rows
    ];
    let mut seen = vec![false; columns * rows];
    let mut stack = vec![(0usize, 0usize)];
    seen[0] = true;
    while let Some(&(c, r)) = stack.last() {
        let mut options = Vec::with_capacity(4);
        if r + 1 < rows && !seen[(r + 1) * columns + c] {
            options.push(Side::North);
        }
        if c + 1 < columns && !seen[r * columns + c + 1] {
            options.push(Side::East);
        }
        if r > 0 && !seen[(r - 1) * columns + c] {
            options.push(Side::South);
        }
        if c > 0 && !seen[r * columns + c - 1] {
            options.push(Side::West);
        }
        if options.is_empty() {
            stack.pop();
            continue;
        }
        let (nc, nr) = match options[rng.below(options.len())] {
            Side::North => {
                cells[r * columns + c].north = false;
                (c, r + 1)
            }
            Side::East => {
                cells[r * columns + c].east = false;
                (c + 1, r)
            }
            Side::South => {
                cells[(r - 1) * columns + c].north = false;
                (c, r - 1)
            }
            Side::West => {
                cells[r * columns + c - 1].east = false;
                (c - 1, r)
            }
        };
        seen[nr * columns + nc] = true;
        stack.push((nc, nr));
    }
    cells
}

fn shuffle<T>(items: &mut [T], rng: &mut SplitMix64) {
    for i in (1..items.len()).rev() {
        items.swap(i, rng.below(i + 1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("p{i:04}.jpg")).collect()
    }

    #[test]
    fn same_photos_and_seed_give_the_same_maze_and_another_seed_another() {
        let a = Layout::generate(names(24), 7);
        assert_eq!(a, Layout::generate(names(24), 7));
        assert_ne!(a.walls, Layout::generate(names(24), 8).walls);
    }

    #[test]
    fn every_cell_is_reachable_and_the_maze_is_perfect() {
        for n in [1, 2, 24, 200] {
            let l = Layout::generate(names(n), 3);
            let depth = l.walking_depths(0, 0);
            assert!(
                depth.iter().all(|&d| d != usize::MAX),
                "{n} photos: a cell is walled off"
            );
            // A perfect maze is a tree: cells − 1 openings.
            let openings: usize = (0..l.rows)
                .flat_map(|r| (0..l.columns).map(move |c| (c, r)))
                .map(|(c, r)| l.neighbours(c, r).count())
                .sum::<usize>()
                / 2;
            assert_eq!(openings, l.columns * l.rows - 1);
        }
    }

    #[test]
    fn every_photo_hangs_on_a_wall_facing_into_the_corridor() {
        for n in [1, 24, 200, 2000] {
            let l = Layout::generate(names(n), 11);
            assert_eq!(l.photos.len(), n, "{n} photos all hung");
            let mut spots: Vec<(i64, i64)> = l
                .photos
                .iter()
                .map(|p| ((p.x * 100.0) as i64, (p.y * 100.0) as i64))
                .collect();
            spots.sort();
            spots.dedup();
            assert_eq!(spots.len(), n, "two photos on one spot");
            for p in &l.photos {
                let rad = p.facing.to_radians();
                let (fx, fy) = (rad.sin(), rad.cos());
                // Just behind the picture is a wall; in front of it, open corridor.
                assert!(l.blocked(p.x + 0.2 * fx, p.y + 0.2 * fy, p.x - 0.5 * fx, p.y - 0.5 * fy));
                assert!(!l.blocked(p.x, p.y, p.x + 1.5 * fx, p.y + 1.5 * fy), "{p:?}");
            }
        }
    }

    #[test]
    fn the_first_photos_hang_nearest_the_start() {
        let l = Layout::generate(names(40), 5);
        let depths = l.walking_depths(0, 0);
        let depth_of = |p: &HungPhoto| {
            let (c, r) = l.cell_of(p.x, p.y);
            depths[r * l.columns + c]
        };
        assert!(depth_of(&l.photos[0]) <= depth_of(&l.photos[39]));
        assert_eq!(depth_of(&l.photos[0]), 0);
    }

    #[test]
    fn blocked_sees_walls_and_only_walls() {
        let l = Layout::generate(names(16), 2);
        for r in 0..l.rows {
            for c in 0..l.columns {
                let (x, y) = l.centre(c, r);
                if c + 1 < l.columns {
                    let (x2, y2) = l.centre(c + 1, r);
                    assert_eq!(l.blocked(x, y, x2, y2), l.is_wall(c, r, Side::East));
                }
                if r + 1 < l.rows {
                    let (x2, y2) = l.centre(c, r + 1);
                    assert_eq!(l.blocked(x, y, x2, y2), l.is_wall(c, r, Side::North));
                }
            }
        }
    }

    #[test]
    fn json_round_trip_rebuilds_the_cells_from_the_walls() {
        let l = Layout::generate(names(30), 9);
        let read: Layout = serde_json::from_str(&serde_json::to_string(&l).unwrap()).unwrap();
        assert!(read.cells.is_empty());
        assert_eq!(read.with_cells(), l);
    }
}
