//! Issue 21: choose the spatialisation method by measurement. Two methods side by side, on
//! this machine, at 48 kHz in 128-frame quanta:
//!
//! - **per-voice HRIR** — the engine's [`Binaural`]: each voice convolved with KEMAR's
//!   minimum-phase pair for its direction, interaural delay as a fractional delay, a
//!   cross-fade to the new filters whenever the direction moves;
//! - **ambisonic** (written here) — each voice encoded into order-M *circular* harmonics
//!   (2D: every source in the maze is at ear height, and the HRTF set is horizontal-only, so
//!   the 3D spherical harmonics' extra channels would carry nothing), summed, then ONE binaural
//!   decode: a regular ring of 2M+2 virtual loudspeakers, each through KEMAR's pair at its
//!   azimuth with the per-ear delays folded into the FIR, precomputed as 2 × (2M+1)
//!   harmonic-domain filters, so the decode costs the same for 1 voice or 64. Both a basic
//!   (mode-matching) and a max-rE decoder are measured for cues; they cost the same, and the
//!   timings use max-rE. The ring has a speaker at 0°, so 0°, 90° and 180° fall on speakers
//!   at both orders (the ambisonic mix's best case) and 30° and 60° fall between them.
//!
//! It prints the cost per quantum for 8, 32 and 64 voices, then the cues a source carries
//! through each method (level and time between the ears at 90°, front/back spectrum, 30° vs
//! 60°) for white noise and for a photo's music.
//!
//! `cargo run --release -p photophone-maze --example spatial_methods`

use fundsp::prelude32::{BufferArray, MAX_BUFFER_SIZE, U0, U2};
use photophone_maze::hrtf::Hrtf;
use photophone_maze::spatial::{Binaural, Placement};
use rustfft::num_complex::Complex;
use rustfft::FftPlanner;
use std::f32::consts::PI;
use std::time::Instant;

const RATE: u32 = 48_000;
const QUANTUM: usize = 128;
const VOICES: [usize; 3] = [8, 32, 64];
/// Quanta run before timing (caches, branch predictors) and quanta timed.
const WARM: usize = 200;
const TIMED: usize = 2000;
/// The engine's cutoff for a voice in clear view (acoustics::OPEN_CUTOFF_HZ).
const OPEN_CUTOFF_HZ: f32 = 18_000.0;

fn main() {
    let hrtf = Hrtf::kemar(RATE).expect("KEMAR at 48 kHz");
    print_machine();
    let costs = print_costs(&hrtf);
    println!();
    let noise = cues(&hrtf, &white_noise(4 * RATE as usize));
    print_cues(&hrtf, "white noise, 4 s", &noise);
    println!();
    let music_signal = music();
    let music = cues(&hrtf, &music_signal);
    print_cues(&hrtf, "the default photo's music, 8 s", &music);
    println!();
    conclude(&hrtf, &costs, &noise, &music, share_below(&music_signal, 1000.0));
}

// ---------------------------------------------------------------------------------------
// The ambisonic renderer.

/// How the virtual ring weights each order. Basic (mode matching) reproduces the harmonics
/// exactly at the ring; max-rE tapers the higher orders so the energy concentrates towards
/// the source (smaller side lobes, what binaural decoders usually use).
#[derive(Clone, Copy, PartialEq)]
enum Decoder {
    Basic,
    MaxRe,
}

impl Decoder {
    /// Weight of order `m` in an order-`order` decode (2D max-rE: cos(mπ/(2M+2))).
    fn weight(self, m: usize, order: usize) -> f32 {
        match self {
            Decoder::Basic => 1.0,
            Decoder::MaxRe => (m as f32 * PI / (2 * order + 2) as f32).cos(),
        }
    }
}

/// Circular harmonics of `azimuth_deg` up to `order`: 1, cos θ, sin θ, cos 2θ, sin 2θ, …
fn harmonics(order: usize, azimuth_deg: f32, out: &mut [f32]) {
    let theta = azimuth_deg.to_radians();
    out[0] = 1.0;
    for m in 1..=order {
        let (sin, cos) = (m as f32 * theta).sin_cos();
        out[2 * m - 1] = cos;
        out[2 * m] = sin;
    }
}

/// A voice's encoder state: last block's channel gains (to ramp from) and its walls' low-pass.
struct Encoder {
    gains: Vec<f32>,
    lowpass: [f32; 2],
}

/// Voices encoded into 2M+1 circular-harmonic channels, decoded once to two ears.
struct Ambisonic {
    order: usize,
    taps: usize,
    /// Harmonic-domain decode filters, `filters[ear * channels + channel]`, `taps` each.
    filters: Vec<Vec<f32>>,
    /// Each channel's signal: `taps - 1` samples of history, then the block.
    bus: Vec<Vec<f32>>,
    voices: Vec<Encoder>,
    scratch: Vec<f32>,
    gains: Vec<f32>,
}

impl Ambisonic {
    fn new(hrtf: &Hrtf, order: usize, decoder: Decoder, voices: usize) -> Ambisonic {
        let channels = 2 * order + 1;
        let (taps, filters) = decode_filters(hrtf, order, decoder);
        Ambisonic {
            order,
            taps,
            filters,
            bus: vec![vec![0.0; taps - 1]; channels],
            voices: (0..voices)
                .map(|_| Encoder {
                    gains: vec![0.0; channels],
                    lowpass: [0.0; 2],
                })
                .collect(),
            scratch: Vec::new(),
            gains: vec![0.0; channels],
        }
    }

    /// Starts a block of `n` frames: the last block's tail becomes history, the block silence.
    fn begin(&mut self, n: usize) {
        let keep = self.taps - 1;
        for channel in &mut self.bus {
            let len = channel.len();
            channel.copy_within(len - keep..len, 0);
            channel.truncate(keep);
            channel.resize(keep + n, 0.0);
        }
    }

    /// Adds voice `v` into the channels: the walls' low-pass as the engine does, then per
    /// channel a gain ramping from the last block's (gain × harmonic) to this one's, which is
    /// both the level glide and the movement: no cross-fade, no click.
    fn add_voice(&mut self, v: usize, input: &[f32], at: Placement) {
        let n = input.len();
        let keep = self.taps - 1;
        let encoder = &mut self.voices[v];
        self.scratch.clear();
        self.scratch.extend_from_slice(input);
        lowpass(&mut self.scratch, &mut encoder.lowpass, at.cutoff_hz);
        harmonics(self.order, at.azimuth, &mut self.gains);
        for ((channel, from), &harmonic) in self.bus.iter_mut().zip(&mut encoder.gains).zip(&self.gains) {
            let to = at.gain * harmonic;
            let step = (to - *from) / n as f32;
            let start = *from;
            for (i, (o, &x)) in channel[keep..].iter_mut().zip(&self.scratch).enumerate() {
                *o += x * (start + step * (i + 1) as f32);
            }
            *from = to;
        }
    }

    /// The one binaural decode: (2M+1) × 2 FIRs, whatever the number of voices.
    fn decode(&self, left: &mut [f32], right: &mut [f32]) {
        let channels = self.bus.len();
        for (ear, out) in [left, right].into_iter().enumerate() {
            for (c, channel) in self.bus.iter().enumerate() {
                convolve_add(channel, &self.filters[ear * channels + c], out);
            }
        }
    }
}

/// The ring of 2M+2 virtual loudspeakers (one at 0°, evenly spaced) folded into harmonic-domain
/// filters: filter[ear][c] = Σ_speakers decode(speaker, c) × KEMAR(speaker, ear), each response
/// delayed by its ear's arrival delay (linear interpolation, as the engine's delay line does).
/// Returns the filters' length and the filters.
fn decode_filters(hrtf: &Hrtf, order: usize, decoder: Decoder) -> (usize, Vec<Vec<f32>>) {
    let (channels, speakers) = (2 * order + 1, 2 * order + 2);
    let rate = hrtf.sample_rate() as f32;
    let taps = hrtf.taps() + (hrtf.max_delay_s() * rate).ceil() as usize + 1;
    let mut filters = vec![vec![0.0; taps]; 2 * channels];
    let (mut left, mut right) = (vec![0.0; hrtf.taps()], vec![0.0; hrtf.taps()]);
    let mut y = vec![0.0; channels];
    for k in 0..speakers {
        let azimuth = 360.0 * k as f32 / speakers as f32;
        let (left_delay, right_delay) = hrtf.filters(azimuth, &mut left, &mut right);
        harmonics(order, azimuth, &mut y);
        for (ear, (response, delay)) in [(&left, left_delay), (&right, right_delay)]
            .into_iter()
            .enumerate()
        {
            let delayed = delayed(response, delay * rate, taps);
            for (c, &harmonic) in y.iter().enumerate() {
                // Basic 2D decode of a regular ring: (g₀ + 2 Σ g_m cos m(φ−θ)) / speakers.
                let m = c.div_ceil(2);
                let gain =
                    decoder.weight(m, order) * if m == 0 { 1.0 } else { 2.0 } * harmonic / speakers as f32;
                let filter = &mut filters[ear * channels + c];
                filter.iter_mut().zip(&delayed).for_each(|(f, &x)| *f += gain * x);
            }
        }
    }
    (taps, filters)
}

/// `response` delayed by `delay` samples into `taps` taps (linear interpolation).
fn delayed(response: &[f32], delay: f32, taps: usize) -> Vec<f32> {
    let (whole, frac) = (delay.floor() as usize, delay - delay.floor());
    let mut out = vec![0.0; taps];
    for (n, &h) in response.iter().enumerate() {
        out[n + whole] += (1.0 - frac) * h;
        out[n + whole + 1] += frac * h;
    }
    out
}

/// The engine's two one-pole low-passes in series (spatial.rs), so both methods pay for it.
fn lowpass(block: &mut [f32], state: &mut [f32; 2], cutoff_hz: f32) {
    let rate = RATE as f32;
    let c = (-2.0 * PI * cutoff_hz.min(0.45 * rate) / rate).exp();
    let [mut a, mut b] = *state;
    for x in block {
        a = *x + c * (a - *x);
        b = a + c * (b - a);
        *x = b;
    }
    *state = [a, b];
}

/// `out[i] += Σ_k h[k]·x[taps-1+i-k]`: the same loop as the engine's (spatial.rs), so the two
/// methods' FIRs cost the same per tap.
fn convolve_add(x: &[f32], h: &[f32], out: &mut [f32]) {
    let taps = h.len();
    for (k, &hk) in h.iter().enumerate() {
        let xs = &x[taps - 1 - k..taps - 1 - k + out.len()];
        out.iter_mut().zip(xs).for_each(|(o, &v)| *o += hk * v);
    }
}

// ---------------------------------------------------------------------------------------
// Cost.

fn print_machine() {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("command: cargo run --release -p photophone-maze --example spatial_methods");
    println!("machine: nproc {cores}, {cpu}; timed on one thread");
    println!();
}

/// Where voice `i` is in quantum `q`: spread round the head, and if `moving`, turning 1° a
/// quantum (above the engine's 0.25° threshold, so every quantum cross-fades).
fn placement(i: usize, q: usize, moving: bool) -> Placement {
    let turn = if moving { q as f32 } else { 0.0 };
    Placement {
        azimuth: (i as f32 * 37.0 + turn) % 360.0,
        gain: 0.5,
        cutoff_hz: OPEN_CUTOFF_HZ,
    }
}

/// Median milliseconds of `quantum(q)` over [`TIMED`] quanta, after [`WARM`] untimed.
fn median_ms(mut quantum: impl FnMut(usize)) -> f64 {
    (0..WARM).for_each(&mut quantum);
    let mut times: Vec<f64> = (WARM..WARM + TIMED)
        .map(|q| {
            let t = Instant::now();
            quantum(q);
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[TIMED / 2]
}

fn noise_blocks(n: usize) -> Vec<Vec<f32>> {
    let noise = white_noise(n * QUANTUM);
    noise.chunks(QUANTUM).map(<[f32]>::to_vec).collect()
}

fn hrir_cost(hrtf: &Hrtf, n: usize, moving: bool) -> f64 {
    let mut voices: Vec<Binaural> = (0..n).map(|_| Binaural::new(hrtf)).collect();
    let inputs = noise_blocks(n);
    let (mut l, mut r) = ([0f32; QUANTUM], [0f32; QUANTUM]);
    median_ms(|q| {
        l.fill(0.0);
        r.fill(0.0);
        for (i, v) in voices.iter_mut().enumerate() {
            v.process(hrtf, &inputs[i], placement(i, q, moving), &mut l, &mut r);
        }
        std::hint::black_box((&l, &r));
    })
}

/// Encode `n` moving voices + decode (n = 0: the decode alone).
fn ambisonic_cost(hrtf: &Hrtf, order: usize, n: usize) -> f64 {
    let mut ambisonic = Ambisonic::new(hrtf, order, Decoder::MaxRe, n);
    let inputs = noise_blocks(n);
    let (mut l, mut r) = ([0f32; QUANTUM], [0f32; QUANTUM]);
    median_ms(|q| {
        l.fill(0.0);
        r.fill(0.0);
        ambisonic.begin(QUANTUM);
        for (i, input) in inputs.iter().enumerate() {
            ambisonic.add_voice(i, input, placement(i, q, true));
        }
        ambisonic.decode(&mut l, &mut r);
        std::hint::black_box((&l, &r));
    })
}

/// Median ms per quantum for 8, 32, 64 voices, and the ambisonic decode alone (M=1, M=3).
struct Costs {
    hrir_moving: Vec<f64>,
    hrir_still: Vec<f64>,
    ambisonic: [Vec<f64>; 2],
    decode: [f64; 2],
}

fn print_costs(hrtf: &Hrtf) -> Costs {
    let half_ms = 0.5 * QUANTUM as f64 / RATE as f64 * 1000.0;
    println!("Cost: median ms per {QUANTUM}-frame quantum at {RATE} Hz, spatialisation only (no synthesis),");
    println!("      {TIMED} quanta after {WARM}; goal: 64 voices (with synthesis) within half a quantum, {half_ms:.3} ms");
    println!("{:<44}{:>10}{:>10}{:>10}", "method", "8 voices", "32", "64");
    let row = |name: &str, cost: &dyn Fn(usize) -> f64| {
        let ms: Vec<f64> = VOICES.iter().map(|&n| cost(n)).collect();
        println!("{name:<44}{:>10.3}{:>10.3}{:>10.3}", ms[0], ms[1], ms[2]);
        ms
    };
    let hrir_moving = row("per-voice HRIR, directions moving", &|n| hrir_cost(hrtf, n, true));
    let hrir_still = row("per-voice HRIR, directions still", &|n| hrir_cost(hrtf, n, false));
    let mut ambisonic = [Vec::new(), Vec::new()];
    let mut decode = [0.0; 2];
    for (i, order) in [1, 3].into_iter().enumerate() {
        let taps = decode_filters(hrtf, order, Decoder::MaxRe).0;
        decode[i] = ambisonic_cost(hrtf, order, 0);
        ambisonic[i] = row(
            &format!("ambisonic M={order} ({} ch), moving", 2 * order + 1),
            &|n| ambisonic_cost(hrtf, order, n),
        );
        println!(
            "  of which the decode ({} FIRs × {taps} taps)    {:>9.3}  (the same for any number of voices)",
            2 * (2 * order + 1),
            decode[i]
        );
    }
    println!(
        "(per-voice HRIR: {} taps per ear, 2 FIRs per ear while moving; the ambisonic encode",
        hrtf.taps()
    );
    println!(" applies the same per-voice low-pass and gain ramp as the engine's, so both pay for them)");
    Costs {
        hrir_moving,
        hrir_still,
        ambisonic,
        decode,
    }
}

// ---------------------------------------------------------------------------------------
// Cues.

#[derive(Clone, Copy)]
enum Method {
    Hrir,
    Ambisonic(usize, Decoder),
}

impl Row {
    /// The rows whose low-frequency decode is exact enough to compare ITDs with (max-rE at
    /// M=1 tapers order 1 to 0.71 and shrinks the low-frequency ITD by design).
    fn method_is_basic_or_order3(&self) -> bool {
        matches!(
            self.method,
            Method::Ambisonic(_, Decoder::Basic) | Method::Ambisonic(3, _)
        )
    }
}

impl Method {
    fn name(self) -> String {
        match self {
            Method::Hrir => "per-voice HRIR".into(),
            Method::Ambisonic(order, Decoder::Basic) => format!("ambisonic M={order}, basic"),
            Method::Ambisonic(order, Decoder::MaxRe) => format!("ambisonic M={order}, max-rE"),
        }
    }
}

/// `signal` as one still source at `azimuth` through `method`: [left, right].
fn render(hrtf: &Hrtf, method: Method, signal: &[f32], azimuth: f32) -> [Vec<f32>; 2] {
    let at = Placement {
        azimuth,
        gain: 1.0,
        cutoff_hz: OPEN_CUTOFF_HZ,
    };
    let (mut left, mut right) = (vec![0.0; signal.len()], vec![0.0; signal.len()]);
    let blocks = signal
        .chunks(QUANTUM)
        .zip(left.chunks_mut(QUANTUM).zip(right.chunks_mut(QUANTUM)));
    match method {
        Method::Hrir => {
            let mut voice = Binaural::new(hrtf);
            for (input, (l, r)) in blocks {
                voice.process(hrtf, input, at, l, r);
            }
        }
        Method::Ambisonic(order, decoder) => {
            let mut ambisonic = Ambisonic::new(hrtf, order, decoder, 1);
            for (input, (l, r)) in blocks {
                ambisonic.begin(input.len());
                ambisonic.add_voice(0, input, at);
                ambisonic.decode(l, r);
            }
        }
    }
    [left, right]
}

/// What a source at one azimuth gives the two ears.
struct Heard {
    /// Right − left level (dB), above 1.5 kHz and broadband.
    ild_high: f64,
    ild_all: f64,
    /// The left ear's lag behind the right (ms), broadband and below 1.5 kHz (where hearing
    /// leans on time differences).
    itd_all: f64,
    itd_low: f64,
}

fn heard(ears: &[Vec<f32>; 2]) -> Heard {
    let everything = RATE as f64;
    Heard {
        ild_high: ild_db(ears, 1500.0),
        ild_all: ild_db(ears, 0.0),
        itd_all: itd_ms(ears, everything),
        itd_low: itd_ms(ears, 1500.0),
    }
}

const METHODS: [Method; 5] = [
    Method::Hrir,
    Method::Ambisonic(1, Decoder::Basic),
    Method::Ambisonic(1, Decoder::MaxRe),
    Method::Ambisonic(3, Decoder::Basic),
    Method::Ambisonic(3, Decoder::MaxRe),
];

/// One method's cues for one signal.
struct Row {
    method: Method,
    at90: Heard,
    /// Front − back difference against KEMAR's: correlation, RMS error (dB).
    front_back: (f64, f64),
    at30: Heard,
    at60: Heard,
}

/// Every method's cues for `signal`, and KEMAR's own front − back difference over the bands
/// compared (lowest, highest, count).
struct CueTable {
    rows: Vec<Row>,
    reference: (f64, f64, usize),
}

fn cues(hrtf: &Hrtf, signal: &[f32]) -> CueTable {
    let (bands, reference) = front_back_reference(hrtf, signal);
    let range = reference
        .iter()
        .fold((f64::MAX, f64::MIN), |(l, h), &d| (l.min(d), h.max(d)));
    let rows = METHODS
        .into_iter()
        .map(|method| {
            let at = |azimuth| heard(&render(hrtf, method, signal, azimuth));
            Row {
                method,
                at90: at(90.0),
                front_back: front_back_match(hrtf, method, signal, &bands, &reference),
                at30: at(30.0),
                at60: at(60.0),
            }
        })
        .collect();
    CueTable {
        rows,
        reference: (range.0, range.1, bands.len()),
    }
}

/// KEMAR's own interaural delay at `azimuth` (ms), from its table.
fn table_itd_ms(hrtf: &Hrtf, azimuth: f32) -> f64 {
    let (mut l, mut r) = (vec![0.0; hrtf.taps()], vec![0.0; hrtf.taps()]);
    let (left, right) = hrtf.filters(azimuth, &mut l, &mut r);
    f64::from(left - right) * 1000.0
}

fn print_cues(hrtf: &Hrtf, name: &str, table: &CueTable) {
    let (low, high, bands) = table.reference;
    println!("Cues, one still source, {name}");
    println!(
        "  source at 90°; front (0°) − back (180°) third-octave levels vs KEMAR's own ({bands} bands of"
    );
    println!(
        "  250 Hz–16 kHz where the signal has energy; KEMAR's difference spans {low:.1} to {high:.1} dB);"
    );
    println!("  ambisonic rings have a speaker at 0°, so 0°, 90°, 180° are on speakers, 30° and 60° between");
    println!(
        "{:<28}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}",
        "", "ILD>1.5k", "ILD all", "ITD all", "ITD<1.5k", "F/B corr", "F/B err"
    );
    println!(
        "{:<28}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}",
        "", "dB", "dB", "ms", "ms", "", "dB"
    );
    println!(
        "{:<28}{:>10}{:>10}{:>10.2}{:>10}   (ITD: the table's delays)",
        "KEMAR's table",
        "",
        "",
        table_itd_ms(hrtf, 90.0),
        ""
    );
    for row in &table.rows {
        let h = &row.at90;
        println!(
            "{:<28}{:>10.1}{:>10.1}{:>10.2}{:>10.2}{:>10.2}{:>10.1}",
            row.method.name(),
            h.ild_high,
            h.ild_all,
            tidy(h.itd_all),
            tidy(h.itd_low),
            row.front_back.0,
            row.front_back.1
        );
    }
    println!("  30° vs 60°: does the method tell them apart?");
    println!(
        "{:<28}{:>16}{:>16}{:>16}",
        "", "ILD>1.5k dB", "ITD all ms", "ITD<1.5k ms"
    );
    println!(
        "{:<28}{:>16}{:>16}{:>16}",
        "", "30° |  60°", "30° |  60°", "30° |  60°"
    );
    let pair = |a: f64, b: f64, digits: usize| format!("{a:>5.digits$} | {b:>5.digits$}");
    println!(
        "{:<28}{:>16}{:>16}",
        "KEMAR's table",
        "",
        pair(table_itd_ms(hrtf, 30.0), table_itd_ms(hrtf, 60.0), 2)
    );
    for row in &table.rows {
        let (a, b) = (&row.at30, &row.at60);
        println!(
            "{:<28}{:>16}{:>16}{:>16}",
            row.method.name(),
            pair(a.ild_high, b.ild_high, 1),
            pair(tidy(a.itd_all), tidy(b.itd_all), 2),
            pair(tidy(a.itd_low), tidy(b.itd_low), 2)
        );
    }
}

/// The conclusion, from the numbers above (rows: HRIR, M=1 basic, M=1 max-rE, M=3 basic,
/// M=3 max-rE).
fn conclude(hrtf: &Hrtf, costs: &Costs, noise: &CueTable, music: &CueTable, music_low_share: f64) {
    let half_ms = 0.5 * QUANTUM as f64 / RATE as f64 * 1000.0;
    let pct = |ms: f64| 100.0 * ms / half_ms;
    let (moving, still) = (costs.hrir_moving[2], costs.hrir_still[2]);
    let (m1, m3) = (costs.ambisonic[0][2], costs.ambisonic[1][2]);
    let per_voice_us =
        1000.0 * (costs.hrir_moving[2] - costs.hrir_moving[0]) / (VOICES[2] - VOICES[0]) as f64;
    let (hrir, m1_basic, m3_max_re) = (&noise.rows[0], &noise.rows[1], &noise.rows[4]);
    let music_itd_gap = music.rows[1..]
        .iter()
        .filter(|r| r.method_is_basic_or_order3())
        .flat_map(|r| {
            let reference = &music.rows[0];
            [
                (r.at30.itd_all - reference.at30.itd_all).abs(),
                (r.at60.itd_all - reference.at60.itd_all).abs(),
                (r.at90.itd_all - reference.at90.itd_all).abs(),
            ]
        })
        .fold(0.0, f64::max);
    println!("Conclusion:");
    println!(
        "- Cost at 64 voices (spatialisation alone): per-voice HRIR {moving:.2} ms moving / {still:.2} ms still ({:.0} % / {:.0} % of the {half_ms:.2}-ms half quantum, before synthesis); ambisonic M=3 {m3:.2} ms ({:.0}× less than moving), M=1 {m1:.2} ms, of which a fixed decode of {:.3} / {:.3} ms.",
        pct(moving),
        pct(still),
        moving / m3,
        costs.decode[1],
        costs.decode[0]
    );
    println!(
        "- On a virtual speaker M=3 keeps KEMAR's cues (noise at 90°: ILD>1.5k {:.1} vs {:.1} dB, ITD {:.2} vs {:.2} ms; front/back correlation {:.2}); M=1 loses the broadband ITD ({:.2} ms).",
        m3_max_re.at90.ild_high,
        hrir.at90.ild_high,
        tidy(m3_max_re.at90.itd_all),
        tidy(hrir.at90.itd_all),
        m3_max_re.front_back.0,
        tidy(m1_basic.at90.itd_all)
    );
    println!(
        "- Between speakers both orders blur (30° is pulled towards the front): noise at 30° gets ILD>1.5k {:.1} dB (M=3 max-rE) and {:.1} dB (M=1 basic), what KEMAR gives at {:.0}° and {:.0}° (per voice: {:.1} dB), and a broadband ITD of {:.2} ms (per voice {:.2}); 30° and 60° still differ, by {:.1} and {:.1} dB (per voice {:.1}).",
        m3_max_re.at30.ild_high,
        m1_basic.at30.ild_high,
        apparent_azimuth(hrtf, m3_max_re.at30.ild_high),
        apparent_azimuth(hrtf, m1_basic.at30.ild_high),
        hrir.at30.ild_high,
        tidy(m3_max_re.at30.itd_all),
        tidy(hrir.at30.itd_all),
        m3_max_re.at60.ild_high - m3_max_re.at30.ild_high,
        m1_basic.at60.ild_high - m1_basic.at30.ild_high,
        hrir.at60.ild_high - hrir.at30.ild_high
    );
    println!(
        "- Music ({:.0} % of its energy below 1 kHz, where low orders are close to exact) hides much of it: ITDs of M=1 basic and M=3 within {music_itd_gap:.2} ms of per-voice HRIR at 30°, 60°, 90°.",
        100.0 * music_low_share
    );
    println!(
        "- Both sides: per-voice HRIR is KEMAR's at every angle and costs ≈{per_voice_us:.0} µs per moving voice (linear in N); ambisonic M=3 is nearly flat in N but smears sources between its 8 speakers (45° apart) above ~1.5 kHz; M=1 (4 speakers) is too coarse."
    );
}

/// Ignores the sign of a delay that rounds to zero (no "-0.00").
fn tidy(ms: f64) -> f64 {
    if ms.abs() < 0.005 {
        0.0
    } else {
        ms
    }
}

/// The azimuth (0°–90°, 1° steps) at which KEMAR's own responses give white noise this
/// level difference above 1.5 kHz.
fn apparent_azimuth(hrtf: &Hrtf, ild_high: f64) -> f64 {
    let (mut l, mut r) = (vec![0.0; hrtf.taps()], vec![0.0; hrtf.taps()]);
    let ild_at = |azimuth: f32, l: &mut [f32], r: &mut [f32]| {
        hrtf.filters(azimuth, l, r);
        let band = |h: &[f32]| band_power(&power(h, false), 1500.0, RATE as f64);
        10.0 * (band(r) / band(l)).log10()
    };
    (0..=90)
        .map(|a| (a, (ild_at(a as f32, &mut l, &mut r) - ild_high).abs()))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(0.0, |(a, _)| f64::from(a))
}

/// Share of `signal`'s energy below `hz`.
fn share_below(signal: &[f32], hz: f64) -> f64 {
    let p = power_spectrum(signal);
    band_power(&p, 0.0, hz) / band_power(&p, 0.0, RATE as f64)
}

/// Right − left level in dB, from `low_hz` up to Nyquist.
fn ild_db(ears: &[Vec<f32>; 2], low_hz: f64) -> f64 {
    let band = |x: &[f32]| band_power(&power_spectrum(x), low_hz, RATE as f64);
    10.0 * (band(&ears[1]) / band(&ears[0])).log10()
}

/// Lag (ms) of the left ear behind the right at the peak of their cross-correlation within
/// ±1 ms (refined by a parabola through the peak), the correlation taken from the averaged
/// cross-spectrum kept below `high_hz`.
fn itd_ms(ears: &[Vec<f32>; 2], high_hz: f64) -> f64 {
    let hz_per_bin = RATE as f64 / FFT as f64;
    let mut cross = vec![Complex::new(0.0f32, 0.0); FFT];
    for start in frame_starts(ears[0].len()) {
        let (l, r) = (
            spectrum(&ears[0][start..], true),
            spectrum(&ears[1][start..], true),
        );
        for (k, c) in cross.iter_mut().enumerate() {
            if (k.min(FFT - k) as f64 * hz_per_bin) < high_hz {
                *c += l[k] * r[k].conj();
            }
        }
    }
    INVERSE.with(|ifft| ifft.process(&mut cross));
    let max_lag = (RATE / 1000) as isize;
    let at = |lag: isize| f64::from(cross[lag.rem_euclid(FFT as isize) as usize].re);
    let peak = (-max_lag..=max_lag)
        .max_by(|&a, &b| at(a).total_cmp(&at(b)))
        .unwrap();
    let offset = if peak.abs() < max_lag {
        let (a, b, c) = (at(peak - 1), at(peak), at(peak + 1));
        0.5 * (a - c) / (a - 2.0 * b + c)
    } else {
        0.0
    };
    (peak as f64 + offset) / RATE as f64 * 1000.0
}

/// Third-octave front − back level differences (both ears' power), dB.
fn front_back(front: &[Vec<f32>; 2], back: &[Vec<f32>; 2]) -> Vec<f64> {
    let both = |ears: &[Vec<f32>; 2]| {
        let (l, r) = (power_spectrum(&ears[0]), power_spectrum(&ears[1]));
        l.iter().zip(&r).map(|(a, b)| a + b).collect::<Vec<f64>>()
    };
    let (f, b) = (third_octaves(&both(front)), third_octaves(&both(back)));
    f.iter().zip(&b).map(|(f, b)| f - b).collect()
}

/// The bands `signal` has energy in (within 50 dB of its strongest: music is thin at the top)
/// and KEMAR's own front − back difference in them, from its responses: the reference.
fn front_back_reference(hrtf: &Hrtf, signal: &[f32]) -> (Vec<usize>, Vec<f64>) {
    let source = third_octaves(&power_spectrum(signal));
    let top = source.iter().copied().fold(f64::MIN, f64::max);
    let bands: Vec<usize> = (0..source.len()).filter(|&b| source[b] > top - 50.0).collect();
    let levels = |azimuth: f32| {
        let (mut l, mut r) = (vec![0.0; hrtf.taps()], vec![0.0; hrtf.taps()]);
        hrtf.filters(azimuth, &mut l, &mut r);
        let (l, r) = (power(&l, false), power(&r, false));
        third_octaves(&l.iter().zip(&r).map(|(a, b)| a + b).collect::<Vec<f64>>())
    };
    let (front, back) = (levels(0.0), levels(180.0));
    let reference = bands.iter().map(|&b| front[b] - back[b]).collect();
    (bands, reference)
}

/// How closely `method`'s front − back difference follows KEMAR's: correlation, RMS error (dB).
fn front_back_match(
    hrtf: &Hrtf,
    method: Method,
    signal: &[f32],
    bands: &[usize],
    reference: &[f64],
) -> (f64, f64) {
    let (front, back) = (
        render(hrtf, method, signal, 0.0),
        render(hrtf, method, signal, 180.0),
    );
    let all = front_back(&front, &back);
    let measured: Vec<f64> = bands.iter().map(|&b| all[b]).collect();
    let squares: f64 = measured.iter().zip(reference).map(|(m, r)| (m - r).powi(2)).sum();
    (
        correlation(&measured, reference),
        (squares / bands.len() as f64).sqrt(),
    )
}

// ---------------------------------------------------------------------------------------
// Spectra and signals.

const FFT: usize = 4096;

thread_local! {
    /// Planned once: planning per frame would cost more than the transform.
    static FORWARD: std::sync::Arc<dyn rustfft::Fft<f32>> = FftPlanner::new().plan_fft_forward(FFT);
    static INVERSE: std::sync::Arc<dyn rustfft::Fft<f32>> = FftPlanner::new().plan_fft_inverse(FFT);
}

/// Spectrum of the first `FFT` samples of `frame` (zero-padded), Hann-windowed if `window`.
fn spectrum(frame: &[f32], window: bool) -> Vec<Complex<f32>> {
    let mut buf: Vec<Complex<f32>> = (0..FFT)
        .map(|i| {
            let x = frame.get(i).copied().unwrap_or(0.0);
            let w = if window {
                (PI * i as f32 / FFT as f32).sin().powi(2)
            } else {
                1.0
            };
            Complex::new(x * w, 0.0)
        })
        .collect();
    FORWARD.with(|fft| fft.process(&mut buf));
    buf
}

/// Power per bin, 0 Hz to Nyquist.
fn power(frame: &[f32], window: bool) -> Vec<f64> {
    spectrum(frame, window)[..=FFT / 2]
        .iter()
        .map(|c| f64::from(c.norm_sqr()))
        .collect()
}

/// Where the half-overlapping analysis frames of a signal of `len` samples start.
fn frame_starts(len: usize) -> impl Iterator<Item = usize> {
    (0..=len.saturating_sub(FFT)).step_by(FFT / 2)
}

/// Welch average of Hann-windowed frames, half overlapping.
fn power_spectrum(x: &[f32]) -> Vec<f64> {
    let mut sum = vec![0.0; FFT / 2 + 1];
    let mut frames = 0;
    for start in frame_starts(x.len()) {
        sum.iter_mut()
            .zip(power(&x[start..], true))
            .for_each(|(a, b)| *a += b);
        frames += 1;
    }
    sum.iter().map(|s| s / frames as f64).collect()
}

fn band_power(power: &[f64], low_hz: f64, high_hz: f64) -> f64 {
    let hz_per_bin = RATE as f64 / FFT as f64;
    power
        .iter()
        .enumerate()
        .filter(|&(i, _)| (low_hz..high_hz).contains(&(i as f64 * hz_per_bin)))
        .map(|(_, p)| p)
        .sum()
}

/// Levels (dB) in the third octaves 250 Hz … 16 kHz.
fn third_octaves(power: &[f64]) -> Vec<f64> {
    (0..=18)
        .map(|k| {
            let centre = 250.0 * 2f64.powf(k as f64 / 3.0);
            let edge = 2f64.powf(1.0 / 6.0);
            10.0 * (band_power(power, centre / edge, centre * edge) + 1e-30).log10()
        })
        .collect()
}

fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (ma, mb) = (mean(a), mean(b));
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let var = |v: &[f64], m: f64| v.iter().map(|x| (x - m).powi(2)).sum::<f64>();
    cov / (var(a, ma) * var(b, mb)).sqrt()
}

/// Deterministic white noise in ±0.5 (xorshift).
fn white_noise(frames: usize) -> Vec<f32> {
    let mut state = 0x9e37_79b9_u32;
    (0..frames)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as f32 / u32::MAX as f32 - 0.5
        })
        .collect()
}

/// The default photo's 8-s score, rendered dry and summed to mono as the engine's voices are.
fn music() -> Vec<f32> {
    let options = photophone::Options {
        seconds: 8.0,
        ..Default::default()
    };
    let score = photophone::compose_photo(&photophone::default_photo(), &options).1;
    let mut unit = photophone_synth::build_dry(&score, RATE as f64);
    let frames = (score.seconds * RATE as f64).round() as usize;
    let (input, mut buffer) = (BufferArray::<U0>::new(), BufferArray::<U2>::new());
    let mut out = Vec::with_capacity(frames);
    while out.len() < frames {
        let n = (frames - out.len()).min(MAX_BUFFER_SIZE);
        unit.process(n, &input.buffer_ref(), &mut buffer.buffer_mut());
        out.extend((0..n).map(|i| 0.5 * (buffer.at_f32(0, i) + buffer.at_f32(1, i))));
    }
    out
}
