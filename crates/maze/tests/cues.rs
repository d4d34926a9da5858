//! The cues a listener walking the maze relies on, measured on rendered blocks of the engine
//! (the same engine the page runs): direction (level and arrival time at each ear, the
//! spectrum front against back), distance, walls, and no clicks on a long walk.

#[path = "../../photophone/tests/common/click.rs"]
mod click;

use photophone_maze::hrtf::Hrtf;
use photophone_maze::layout::{HungPhoto, Layout, Start, Wall};
use photophone_maze::{Engine, Pose, Walk};
use rustfft::{num_complex::Complex32, FftPlanner};
use std::sync::OnceLock;

const RATE: u32 = 48_000;

/// The embedded photo's score, as a maze photo's (60 s).
fn score() -> &'static photophone::compose::Score {
    static SCORE: OnceLock<photophone::compose::Score> = OnceLock::new();
    SCORE.get_or_init(|| {
        let options = photophone::Options {
            seconds: photophone_maze::folder::SCORE_SECONDS,
            ..Default::default()
        };
        photophone::compose_photo(&photophone::default_photo(), &options).1
    })
}

/// The embedded photo's score with another seed (other notes, chords and phases).
fn score_seeded(seed: u64) -> photophone::compose::Score {
    let options = photophone::Options {
        seconds: photophone_maze::folder::SCORE_SECONDS,
        seed,
        ..Default::default()
    };
    photophone::compose_photo(&photophone::default_photo(), &options).1
}

/// A 16 × 16 m hall (4 × 4 cells, no inner walls unless given) with photos at these spots.
fn hall(spots: &[(f32, f32)], inner: &[Wall]) -> Layout {
    long_hall(4, spots, inner)
}

/// A hall `columns` cells of 4 m long and 16 m wide.
fn long_hall(columns: usize, spots: &[(f32, f32)], inner: &[Wall]) -> Layout {
    let w = 4.0 * columns as f32;
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
            y1: 16.0,
        },
        Wall {
            x0: 0.0,
            y0: 16.0,
            x1: w,
            y1: 16.0,
        },
        Wall {
            x0: w,
            y0: 0.0,
            x1: w,
            y1: 16.0,
        },
    ];
    walls.extend_from_slice(inner);
    let photos = spots
        .iter()
        .enumerate()
        .map(|(i, &(x, y))| HungPhoto {
            file: format!("{i}.jpg"),
            x,
            y,
            facing: 0.0,
            width_m: 1.6,
            height_m: 1.2,
            centre_height_m: 1.6,
        })
        .collect();
    Layout {
        seed: 0,
        cell_m: 4.0,
        columns,
        rows: 4,
        wall_height_m: 3.0,
        walls,
        start: Start {
            x: 8.0,
            y: 6.0,
            heading: 0.0,
        },
        photos,
        cells: Vec::new(),
    }
}

/// Both ears from `from` to `to` seconds of a listener standing at `pose`.
fn listen(layout: Layout, pose: Pose, from: f64, to: f64) -> (Vec<f32>, Vec<f32>) {
    let mut engine = Engine::new(layout, RATE).unwrap();
    for i in 0..engine.layout().photos.len() {
        assert!(engine.set_score(i, score()));
    }
    engine.set_listener(pose);
    let (mut left, mut right) = (Vec::new(), Vec::new());
    let (mut l, mut r) = ([0f32; 128], [0f32; 128]);
    let blocks = (to * RATE as f64 / 128.0) as usize;
    let skip = (from * RATE as f64 / 128.0) as usize;
    for b in 0..blocks {
        engine.render(&mut l, &mut r);
        if b >= skip {
            left.extend_from_slice(&l);
            right.extend_from_slice(&r);
        }
    }
    (left, right)
}

fn pose(x: f32, y: f32, heading: f32) -> Pose {
    Pose { x, y, heading }
}

fn db(x: f32) -> f32 {
    10.0 * x.max(1e-20).log10()
}

fn energy(x: &[f32]) -> f32 {
    x.iter().map(|v| v * v).sum()
}

/// Power between `lo` and `hi` Hz, averaged over 4096-sample Hann frames.
fn band_power(x: &[f32], lo: f32, hi: f32) -> f32 {
    let bin = |hz: f32| (hz * 4096.0 / RATE as f32) as usize;
    spectrum(x)[bin(lo)..bin(hi)].iter().sum()
}

/// Lag (samples) at which the right ear best matches the left: positive when the left
/// ear hears the sound later.
fn lag_of_left(left: &[f32], right: &[f32], max_lag: i64) -> i64 {
    let n = left.len() as i64;
    (-max_lag..=max_lag)
        .max_by(|&a, &b| {
            let c = |lag: i64| -> f32 {
                (max_lag..n - max_lag)
                    .map(|i| left[i as usize] * right[(i - lag) as usize])
                    .sum()
            };
            c(a).total_cmp(&c(b))
        })
        .unwrap()
}

/// Power spectrum (Hann-windowed 4096-sample frames, averaged) and the frequency of each bin.
fn spectrum(x: &[f32]) -> Vec<f32> {
    const N: usize = 4096;
    let fft = FftPlanner::new().plan_fft_forward(N);
    let hann: Vec<f32> = (0..N)
        .map(|i| 0.5 - 0.5 * (std::f32::consts::TAU * i as f32 / N as f32).cos())
        .collect();
    let mut power = vec![0f32; N / 2];
    for frame in x.chunks_exact(N) {
        let mut buf: Vec<Complex32> = frame
            .iter()
            .zip(&hann)
            .map(|(v, w)| Complex32::new(v * w, 0.0))
            .collect();
        fft.process(&mut buf);
        power.iter_mut().zip(&buf).for_each(|(p, c)| *p += c.norm_sqr());
    }
    power
}

/// Power spectrum of an impulse response (no window: it is whole within the frame).
fn response_spectrum(h: &[f32]) -> Vec<f32> {
    const N: usize = 4096;
    let mut buf: Vec<Complex32> = h.iter().map(|&v| Complex32::new(v, 0.0)).collect();
    buf.resize(N, Complex32::new(0.0, 0.0));
    FftPlanner::new().plan_fft_forward(N).process(&mut buf);
    buf[..N / 2].iter().map(|c| c.norm_sqr()).collect()
}

fn bin_hz(bin: usize) -> f32 {
    bin as f32 * RATE as f32 / 4096.0
}

/// Power in third-octave bands from 250 Hz to 12.5 kHz, in dB.
fn third_octaves_db(power: &[f32]) -> Vec<f32> {
    (0..18)
        .map(|b| {
            let centre = 250.0 * 2f32.powf(b as f32 / 3.0);
            let (lo, hi) = (centre * 2f32.powf(-1.0 / 6.0), centre * 2f32.powf(1.0 / 6.0));
            db(power
                .iter()
                .enumerate()
                .filter(|(k, _)| (lo..hi).contains(&bin_hz(*k)))
                .map(|(_, p)| p)
                .sum())
        })
        .collect()
}

fn pearson(a: &[f32], b: &[f32]) -> f32 {
    let mean = |x: &[f32]| x.iter().sum::<f32>() / x.len() as f32;
    let (ma, mb) = (mean(a), mean(b));
    let cov: f32 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let var = |x: &[f32], m: f32| x.iter().map(|v| (v - m).powi(2)).sum::<f32>();
    cov / (var(a, ma) * var(b, mb)).sqrt()
}

/// `x` with everything outside `lo`..`hi` Hz removed (one FFT over the whole signal).
fn band_pass(x: &[f32], lo: f32, hi: f32) -> Vec<f32> {
    let n = x.len().next_power_of_two();
    let mut planner = FftPlanner::new();
    let mut buf: Vec<Complex32> = x.iter().map(|&v| Complex32::new(v, 0.0)).collect();
    buf.resize(n, Complex32::new(0.0, 0.0));
    planner.plan_fft_forward(n).process(&mut buf);
    for (k, c) in buf.iter_mut().enumerate() {
        let f = k.min(n - k) as f32 * RATE as f32 / n as f32;
        if !(lo..=hi).contains(&f) {
            *c = Complex32::new(0.0, 0.0);
        }
    }
    planner.plan_fft_inverse(n).process(&mut buf);
    buf[..x.len()].iter().map(|c| c.re / n as f32).collect()
}

/// The interaural cues: the time by cross-correlating the two ears (broadband), and the
/// level where a head casts a shadow, above 1.5 kHz (Rayleigh's duplex theory). Broadband,
/// the level difference is 4–6 dB for these pieces, whose drones and pads (65–400 Hz, 1–5 m
/// wavelengths) pass round an 18-cm head almost unshadowed; the measured KEMAR set itself
/// gives white noise at 90° 14 dB (printed by the HRTF's unit tests). Returns (dB right over
/// left above 1.5 kHz, ms the left ear lags); the broadband level is printed beside them.
fn interaural_cues(l: &[f32], r: &[f32]) -> (f32, f32) {
    let (hl, hr) = (band_pass(l, 1500.0, 16000.0), band_pass(r, 1500.0, 16000.0));
    let level = db(energy(&hr)) - db(energy(&hl));
    let broadband = db(energy(r)) - db(energy(l));
    let itd = lag_of_left(l, r, 72) as f32 / RATE as f32 * 1000.0;
    eprintln!("right ear {level:+.1} dB above 1.5 kHz ({broadband:+.1} dB broadband), left ear later by {itd:.2} ms");
    (level, itd)
}

#[test]
fn a_voice_to_the_right_is_louder_and_earlier_in_the_right_ear_and_turning_swaps_both() {
    let spot = [(11.0, 6.0)];
    let (l, r) = listen(hall(&spot, &[]), pose(8.0, 6.0, 0.0), 4.0, 8.0);
    let (level, itd) = interaural_cues(&l, &r);
    assert!(level >= 6.0, "right ear only {level:.1} dB louder");
    assert!((0.3..=0.9).contains(&itd), "interaural delay {itd:.2} ms");
    let (l, r) = listen(hall(&spot, &[]), pose(8.0, 6.0, 180.0), 4.0, 8.0);
    let (level, itd) = interaural_cues(&l, &r);
    assert!(
        level <= -6.0,
        "turned round, the left ear is only {:.1} dB louder",
        -level
    );
    assert!(
        (-0.9..=-0.3).contains(&itd),
        "turned round, interaural delay {itd:.2} ms"
    );
}

#[test]
fn front_and_back_differ_in_spectrum_as_the_hrtf_says() {
    // The HRTF's own difference, front against back, band by band (both ears' power).
    let hrtf = Hrtf::kemar(RATE).unwrap();
    let taps = hrtf.taps();
    let response = |az: f32| {
        let (mut l, mut r) = (vec![0.0; taps], vec![0.0; taps]);
        hrtf.filters(az, &mut l, &mut r);
        let (pl, pr) = (response_spectrum(&l), response_spectrum(&r));
        third_octaves_db(&pl.iter().zip(&pr).map(|(a, b)| a + b).collect::<Vec<_>>())
    };
    let expected: Vec<f32> = response(0.0)
        .iter()
        .zip(response(180.0))
        .map(|(f, b)| f - b)
        .collect();

    let spot = [(8.0, 9.0)];
    let heard = |heading: f32| {
        let (l, r) = listen(hall(&spot, &[]), pose(8.0, 6.0, heading), 4.0, 8.0);
        let (pl, pr) = (spectrum(&l), spectrum(&r));
        third_octaves_db(&pl.iter().zip(&pr).map(|(a, b)| a + b).collect::<Vec<_>>())
    };
    let rendered: Vec<f32> = heard(0.0).iter().zip(heard(180.0)).map(|(f, b)| f - b).collect();
    let r = pearson(&expected, &rendered);
    let spread =
        |x: &[f32]| x.iter().fold(f32::MIN, |m, v| m.max(*v)) - x.iter().fold(f32::MAX, |m, v| m.min(*v));
    eprintln!("front minus back per third octave, 250 Hz–12.5 kHz: correlation with the HRTF's {r:.2}; spread {:.1} dB rendered, {:.1} dB HRTF", spread(&rendered), spread(&expected));
    assert!(
        r >= 0.8,
        "front/back difference correlates {r:.2} with the HRTF's"
    );
    assert!(
        spread(&rendered) >= 3.0,
        "front and back differ by only {:.1} dB across bands",
        spread(&rendered)
    );
}

#[test]
fn halving_the_distance_raises_the_level_by_4_to_6_db() {
    let level = |d: f32| {
        let (l, r) = listen(hall(&[(8.0, 4.0 + d)], &[]), pose(8.0, 4.0, 0.0), 4.0, 8.0);
        db(energy(&l) + energy(&r))
    };
    let (far, near) = (level(6.0), level(3.0));
    eprintln!("6 m → 3 m: {:+.1} dB", near - far);
    assert!(
        (4.0..=6.0).contains(&(near - far)),
        "halving the distance: {:+.1} dB",
        near - far
    );
}

#[test]
fn a_wall_between_takes_the_highs_first() {
    // The same photo 4 m ahead, in the open and behind a wall across the hall's middle.
    let wall = [Wall {
        x0: 4.0,
        y0: 8.0,
        x1: 12.0,
        y1: 8.0,
    }];
    let spot = [(8.0, 10.0)];
    let bands = |inner: &[Wall]| {
        let (l, r) = listen(hall(&spot, inner), pose(8.0, 6.0, 0.0), 4.0, 8.0);
        let both: Vec<f32> = l.iter().chain(&r).copied().collect();
        (
            db(band_power(&both, 2000.0, 12000.0)),
            db(band_power(&both, 60.0, 500.0)),
        )
    };
    let (open_hi, open_lo) = bands(&[]);
    let (wall_hi, wall_lo) = bands(&wall);
    let (drop_hi, drop_lo) = (open_hi - wall_hi, open_lo - wall_lo);
    eprintln!("wall: above 2 kHz −{drop_hi:.1} dB, below 500 Hz −{drop_lo:.1} dB");
    assert!(
        drop_hi - drop_lo >= 6.0,
        "highs drop {drop_hi:.1} dB, lows {drop_lo:.1} dB"
    );
}

#[test]
fn a_minute_walking_past_twenty_photos_has_no_click() {
    let files: Vec<String> = (0..20).map(|i| format!("{i:02}.jpg")).collect();
    let layout = Layout::generate(files, 4);
    // Walk from the start to each photo in turn (through walls where the line crosses
    // them), turning to face where it goes: a minute in all.
    let mut keys = vec![format!(
        r#"{{"t": 0, "x": {}, "y": {}, "heading": {}}}"#,
        layout.start.x, layout.start.y, layout.start.heading
    )];
    for (k, p) in layout.photos.iter().take(12).enumerate() {
        let rad = p.facing.to_radians();
        let (x, y) = (p.x + 1.0 * rad.sin(), p.y + 1.0 * rad.cos());
        keys.push(format!(
            r#"{{"t": {}, "x": {x}, "y": {y}, "heading": {}}}"#,
            5 * (k + 1),
            (p.facing + 180.0) % 360.0
        ));
    }
    let walk = Walk::from_json(format!(r#"{{"keys": [{}]}}"#, keys.join(",")).as_bytes()).unwrap();
    assert!(walk.duration() >= 60.0);
    let mut engine = Engine::new(layout, 44_100).unwrap();
    for i in 0..20 {
        engine.set_score(i, score());
    }
    engine.set_walk(walk);
    let mut out = Vec::new();
    let (mut l, mut r) = ([0f32; 128], [0f32; 128]);
    let mut most_voices = 0;
    for _ in 0..(60 * 44_100 / 128) {
        engine.render(&mut l, &mut r);
        most_voices = most_voices.max(engine.active_voices());
        out.extend(l.iter().zip(&r).flat_map(|(a, b)| [*a, *b]));
    }
    let (ratio, at) = click::worst_click(&out);
    let peak = out.iter().fold(0f32, |m, v| m.max(v.abs()));
    eprintln!("60-s walk: worst click {ratio:.1}× at {at:.2} s, peak {peak:.2}, up to {most_voices} voices");
    assert!(
        most_voices >= 3,
        "the walk passes photos: {most_voices} voices at most"
    );
    assert!(
        ratio < click::CLICK_RATIO,
        "click-like jump {ratio:.1}× its surroundings at {at:.2} s"
    );
    assert!(peak <= 1.0);
}

#[test]
fn five_photos_coming_into_range_at_once_do_not_make_the_music_jump() {
    // One photo 3 m away plays alone; at 10 s five more photos 3 m around the listener get
    // their scores at once (as on the page, when five analyses come back together).
    let mut spots = vec![(8.0, 11.0)];
    spots.extend((0..5).map(|i| {
        let a = (60.0 + 60.0 * i as f32).to_radians();
        (8.0 + 3.0 * a.sin(), 8.0 + 3.0 * a.cos())
    }));
    let mut engine = Engine::new(hall(&spots, &[]), RATE).unwrap();
    engine.set_score(0, score());
    // Six different pieces (the same piece six times would add up coherently).
    let others: Vec<_> = (1..6).map(score_seeded).collect();
    engine.set_listener(pose(8.0, 8.0, 0.0));
    let (mut l, mut r) = ([0f32; 128], [0f32; 128]);
    // Loudness in 400-ms windows (the momentary loudness of EBU R128), both ears.
    let window = (0.4 * RATE as f32 / 128.0) as usize;
    let (mut levels, mut acc) = (Vec::new(), 0.0);
    for q in 0..(20 * RATE as usize / 128) {
        if q == 10 * RATE as usize / 128 {
            for (i, score) in others.iter().enumerate() {
                engine.set_score(i + 1, score);
            }
        }
        engine.render(&mut l, &mut r);
        acc += energy(&l) + energy(&r);
        if (q + 1) % window == 0 {
            levels.push(db(acc / (window * 256) as f32));
            acc = 0.0;
        }
    }
    assert_eq!(engine.active_voices(), 6);
    let mean = |from: f32, to: f32| {
        let part = &levels[(from / 0.4) as usize..(to / 0.4) as usize];
        db(part.iter().map(|l| 10f32.powf(l / 10.0)).sum::<f32>() / part.len() as f32)
    };
    let rise = |from: f32, to: f32| {
        levels[(from / 0.4) as usize..(to / 0.4) as usize]
            .windows(2)
            .map(|w| w[1] - w[0])
            .fold(f32::MIN, f32::max)
    };
    let (one, six) = (mean(6.0, 10.0), mean(16.0, 20.0));
    let (own, entering) = (rise(6.0, 10.0), rise(10.0, 16.0));
    eprintln!("one photo {one:.1} dB, six {six:.1} dB; biggest 0.4-s rise: the music's own {own:.1} dB, as five enter {entering:.1} dB");
    // Six independent pieces would add 7.8 dB at equal levels; the hold compresses what the
    // five add to the first 4:1 (+1.9 dB). The rest is the head's: the five stand to the
    // sides, where a head hears a source louder in its two ears together than one in front.
    assert!(six - one <= 5.0, "six photos {:+.1} dB against one", six - one);
    assert!(
        entering <= own + 2.0,
        "a jump of {entering:.1} dB as five photos enter (the music alone rises {own:.1} dB)"
    );
}
