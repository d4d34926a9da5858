//! The maze engine's cost per 128-frame quantum at 48 kHz with N voices playing at once
//! (synthesis + spatialisation + room + loudness hold), on one core, and where the time goes.
//! Goal (issue 21): 64 voices within half a quantum's real time, 1.33 ms.
//!
//! `cargo run --release -p photophone-maze --example maze_cost -- [VOICES…]` (default 8 32 64)
//! Photos: the real-photo test set (testdata/real-photos), reused round-robin past 53.

use photophone_maze::hrtf::Hrtf;
use photophone_maze::layout::{HungPhoto, Layout, Start, Wall};
use photophone_maze::spatial::{Binaural, Placement};
use photophone_maze::{Engine, Pose};
use std::time::Instant;

const RATE: u32 = 48_000;
const QUANTUM: usize = 128;
const MEASURED: usize = 3000;

fn main() {
    let counts: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("a voice count"))
        .collect();
    let counts = if counts.is_empty() {
        vec![8, 32, 64]
    } else {
        counts
    };
    let scores = real_photo_scores();
    let budget_ms = 0.5 * QUANTUM as f64 / RATE as f64 * 1000.0;
    let builds = build_costs(&scores);
    println!(
        "building one photo's graph ({} s score, once per loop, at most one per quantum): median {:.2} ms, max {:.2} ms",
        photophone_maze::folder::SCORE_SECONDS,
        builds[builds.len() / 2],
        builds[builds.len() - 1]
    );
    println!("voices  engine ms/quantum (median, p95)  of which spatial  room  share of half a quantum ({budget_ms:.2} ms)");
    for &n in &counts {
        let (median, p95) = engine_cost(n, &scores);
        let spatial = spatial_cost(n);
        let room = room_cost();
        println!(
            "{n:6}  {median:.3}, {p95:.3}  {spatial:.3}  {room:.3}  {:.0} %",
            100.0 * median / budget_ms
        );
    }
}

fn real_photo_scores() -> Vec<photophone::compose::Score> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/real-photos");
    let photos = photophone_maze::folder::photos_in(&dir).expect("the real-photo set");
    let options = photophone::Options {
        seconds: photophone_maze::folder::SCORE_SECONDS,
        ..Default::default()
    };
    photos
        .iter()
        .map(|p| {
            let photo =
                photophone::analysis::load_path_at(p, photophone::resolution_for(options.style)).unwrap();
            photophone::compose_photo(&photo, &options).1
        })
        .collect()
}

/// Milliseconds to build each photo's synthesis graph, sorted.
fn build_costs(scores: &[photophone::compose::Score]) -> Vec<f64> {
    let grid = photophone_maze::grid::Grid::for_seed(0);
    let mut times: Vec<f64> = scores
        .iter()
        .map(|s| {
            let fitted = grid.fit(s);
            let t = Instant::now();
            let graph = photophone_synth::build_dry(&fitted, RATE as f64);
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            drop(graph);
            ms
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times
}

/// `n` photos on a ring 6 m around the listener in an open hall, all in the budget.
fn ring_hall(n: usize) -> Layout {
    let side = 32.0;
    let photos = (0..n)
        .map(|i| {
            let a = i as f32 / n as f32 * std::f32::consts::TAU;
            HungPhoto {
                file: format!("{i}.jpg"),
                x: 16.0 + 6.0 * a.sin(),
                y: 16.0 + 6.0 * a.cos(),
                facing: 0.0,
                width_m: 1.6,
                height_m: 1.2,
                centre_height_m: 1.6,
            }
        })
        .collect();
    let w = |x0, y0, x1, y1| Wall { x0, y0, x1, y1 };
    Layout {
        seed: 0,
        cell_m: 4.0,
        columns: 8,
        rows: 8,
        wall_height_m: 3.0,
        walls: vec![
            w(0.0, 0.0, side, 0.0),
            w(0.0, 0.0, 0.0, side),
            w(0.0, side, side, side),
            w(side, 0.0, side, side),
        ],
        start: Start {
            x: 16.0,
            y: 16.0,
            heading: 0.0,
        },
        photos,
        cells: Vec::new(),
    }
}

/// Median and 95th percentile of the engine's time per quantum, every voice playing, the
/// listener turning slowly (so the filters cross-fade as they would on a walk).
fn engine_cost(n: usize, scores: &[photophone::compose::Score]) -> (f64, f64) {
    let mut engine = Engine::new(ring_hall(n), RATE).unwrap();
    engine.set_max_voices(n);
    for i in 0..n {
        engine.set_score(i, &scores[i % scores.len()]);
    }
    let (mut l, mut r) = ([0f32; QUANTUM], [0f32; QUANTUM]);
    // Ten seconds for every voice to start and fade in.
    for q in 0..(10 * RATE as usize / QUANTUM) {
        turn(&mut engine, q);
        engine.render(&mut l, &mut r);
    }
    assert_eq!(engine.active_voices(), n, "every voice playing");
    let mut times = Vec::with_capacity(MEASURED);
    for q in 0..MEASURED {
        turn(&mut engine, q);
        let t = Instant::now();
        engine.render(&mut l, &mut r);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    (times[MEASURED / 2], times[MEASURED * 95 / 100])
}

fn turn(engine: &mut Engine, quantum: usize) {
    let heading = (quantum as f32 * 0.05) % 360.0;
    engine.set_listener(Pose {
        x: 16.0,
        y: 16.0,
        heading,
    });
}

/// Median time of placing `n` voices (no synthesis), directions moving every quantum.
fn spatial_cost(n: usize) -> f64 {
    let hrtf = Hrtf::kemar(RATE).unwrap();
    let mut voices: Vec<Binaural> = (0..n).map(|_| Binaural::new(&hrtf)).collect();
    let input: Vec<f32> = (0..QUANTUM)
        .map(|i| ((i * 7919) % 97) as f32 / 97.0 - 0.5)
        .collect();
    let (mut l, mut r) = ([0f32; QUANTUM], [0f32; QUANTUM]);
    let mut times = Vec::with_capacity(MEASURED);
    for q in 0..MEASURED {
        let t = Instant::now();
        for (i, v) in voices.iter_mut().enumerate() {
            let at = Placement {
                azimuth: (i as f32 * 37.0 + q as f32 * 0.05) % 360.0,
                gain: 0.5,
                cutoff_hz: 8000.0,
            };
            v.process(&hrtf, &input, at, &mut l, &mut r);
        }
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    times[MEASURED / 2]
}

/// Median time of the shared room reverb per quantum.
fn room_cost() -> f64 {
    let mut room = photophone_synth::Reverb::new(18.0, 2.2, 0.6, RATE as f64);
    let input: Vec<f32> = (0..QUANTUM)
        .map(|i| ((i * 7919) % 97) as f32 / 97.0 - 0.5)
        .collect();
    let (mut l, mut r) = ([0f32; QUANTUM], [0f32; QUANTUM]);
    let mut times = Vec::with_capacity(MEASURED);
    for _ in 0..MEASURED {
        let t = Instant::now();
        room.process([&input, &input], [&mut l, &mut r]);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    times[MEASURED / 2]
}
