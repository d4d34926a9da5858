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
//!   harmonic-domain filters, so the decode costs the same for 1 voice or 64.
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
    print_costs(&hrtf);
    println!();
    let noise = white_noise(4 * RATE as usize);
    let music = music();
    for (name, signal) in [
        ("white noise, 4 s", &noise),
        ("the default photo's music, 8 s", &music),
    ] {
        print_cues(&hrtf, name, signal);
        println!();
    }
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
                let m = (c + 1) / 2;
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

fn print_costs(hrtf: &Hrtf) {
    let half_ms = 0.5 * QUANTUM as f64 / RATE as f64 * 1000.0;
    println!("Cost: median ms per {QUANTUM}-frame quantum at {RATE} Hz, spatialisation only (no synthesis),");
    println!("      {TIMED} quanta after {WARM}; goal: 64 voices (with synthesis) within half a quantum, {half_ms:.3} ms");
    println!("{:<44}{:>10}{:>10}{:>10}", "method", "8 voices", "32", "64");
    let row = |name: &str, cost: &dyn Fn(usize) -> f64| {
        let ms: Vec<String> = VOICES.iter().map(|&n| format!("{:.3}", cost(n))).collect();
        println!("{name:<44}{:>10}{:>10}{:>10}", ms[0], ms[1], ms[2]);
    };
    row("per-voice HRIR, directions moving", &|n| hrir_cost(hrtf, n, true));
    row("per-voice HRIR, directions still", &|n| hrir_cost(hrtf, n, false));
    for order in [1, 3] {
        let taps = decode_filters(hrtf, order, Decoder::MaxRe).0;
        let decode = ambisonic_cost(hrtf, order, 0);
        row(
            &format!("ambisonic M={order} ({} ch), moving", 2 * order + 1),
            &|n| ambisonic_cost(hrtf, order, n),
        );
        println!(
            "  of which the decode ({} FIRs × {taps} taps)    {decode:>9.3}  (the same for any number of voices)",
            2 * (2 * order + 1)
        );
    }
    println!(
        "(per-voice HRIR: {} taps per ear, 2 FIRs per ear while moving; the ambisonic encode",
        hrtf.taps()
    );
    println!(" applies the same per-voice low-pass and gain ramp as the engine's, so both pay for them)");
}

// ---------------------------------------------------------------------------------------
// Cues.

#[derive(Clone, Copy)]
enum Method {
    Hrir,
    Ambisonic(usize, Decoder),
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

/// What a listener would use to place the source.
struct Cues {
    /// Right − left level (dB) above 1.5 kHz and broadband, source at 90°.
    ild_high: f64,
    ild_broad: f64,
    /// Left ear's lag behind the right (ms) by broadband cross-correlation, source at 90°.
    itd_ms: f64,
    /// Front − back third-octave level differences against KEMAR's own: correlation, and
    /// RMS error (dB).
    front_back_corr: f64,
    front_back_rms_db: f64,
    /// Level above 1.5 kHz and interaural delay at 30° and at 60°.
    ild_30_60: [f64; 2],
    itd_30_60: [f64; 2],
}

fn cues(hrtf: &Hrtf, method: Method, signal: &[f32]) -> Cues {
    let at90 = render(hrtf, method, signal, 90.0);
    let (front, back) = (
        render(hrtf, method, signal, 0.0),
        render(hrtf, method, signal, 180.0),
    );
    let (at30, at60) = (
        render(hrtf, method, signal, 30.0),
        render(hrtf, method, signal, 60.0),
    );
    let measured = front_back(&front, &back);
    let reference = kemar_front_back(hrtf);
    // Only the bands the signal actually has (music is thin at the top).
    let source = third_octaves(&power_spectrum(signal));
    let top = source.iter().cloned().fold(f64::MIN, f64::max);
    let bands: Vec<usize> = (0..source.len()).filter(|&b| source[b] > top - 50.0).collect();
    let pick = |v: &[f64]| bands.iter().map(|&b| v[b]).collect::<Vec<f64>>();
    let (m, r) = (pick(&measured), pick(&reference));
    let rms = (m.iter().zip(&r).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / m.len() as f64).sqrt();
    Cues {
        ild_high: ild_db(&at90, 1500.0),
        ild_broad: ild_db(&at90, 0.0),
        itd_ms: itd_ms(&at90),
        front_back_corr: correlation(&m, &r),
        front_back_rms_db: rms,
        ild_30_60: [ild_db(&at30, 1500.0), ild_db(&at60, 1500.0)],
        itd_30_60: [itd_ms(&at30), itd_ms(&at60)],
    }
}

fn print_cues(hrtf: &Hrtf, name: &str, signal: &[f32]) {
    println!("Cues, one still source, {name}");
    println!(
        "{:<26}{:>14}{:>10}{:>10}{:>12}{:>14}{:>10}{:>10}",
        "", "90°: ILD>1.5k", "ILD all", "ITD ms", "F/B corr", "F/B rms err", "30°|60°:", "ITD ms"
    );
    println!(
        "{:<26}{:>14}{:>10}{:>10}{:>12}{:>14}{:>10}{:>10}",
        "method", "dB", "dB", "", "w/ KEMAR", "dB", "ILD>1.5k", ""
    );
    let (mut l, mut r) = (vec![0.0; hrtf.taps()], vec![0.0; hrtf.taps()]);
    let (left_delay, right_delay) = hrtf.filters(90.0, &mut l, &mut r);
    println!(
        "{:<26}{:>14}{:>10}{:>10.2}   (KEMAR's table delays at 90°)",
        "KEMAR itself",
        "",
        "",
        (left_delay - right_delay) * 1000.0
    );
    let methods = [
        Method::Hrir,
        Method::Ambisonic(1, Decoder::Basic),
        Method::Ambisonic(1, Decoder::MaxRe),
        Method::Ambisonic(3, Decoder::Basic),
        Method::Ambisonic(3, Decoder::MaxRe),
    ];
    for method in methods {
        let c = cues(hrtf, method, signal);
        println!(
            "{:<26}{:>14.1}{:>10.1}{:>10.2}{:>12.2}{:>14.1}{:>10}{:>10}",
            method.name(),
            c.ild_high,
            c.ild_broad,
            c.itd_ms,
            c.front_back_corr,
            c.front_back_rms_db,
            format!("{:.1}|{:.1}", c.ild_30_60[0], c.ild_30_60[1]),
            format!("{:.2}|{:.2}", c.itd_30_60[0], c.itd_30_60[1]),
        );
    }
}

/// Right − left level in dB, from `low_hz` up to Nyquist.
fn ild_db(ears: &[Vec<f32>; 2], low_hz: f64) -> f64 {
    let band = |x: &[f32]| band_power(&power_spectrum(x), low_hz, RATE as f64 / 2.0 + 1.0);
    10.0 * (band(&ears[1]) / band(&ears[0])).log10()
}

/// Lag (ms) of the left ear behind the right at the peak of their cross-correlation within
/// ±1 ms, refined by a parabola through the peak.
fn itd_ms(ears: &[Vec<f32>; 2]) -> f64 {
    let [left, right] = ears;
    let max_lag = (RATE / 1000) as isize;
    let xcorr = |lag: isize| -> f64 {
        let (l, r) = if lag >= 0 {
            (&left[lag as usize..], &right[..])
        } else {
            (&left[..], &right[(-lag) as usize..])
        };
        l.iter().zip(r).map(|(&a, &b)| f64::from(a) * f64::from(b)).sum()
    };
    let values: Vec<f64> = (-max_lag..=max_lag).map(xcorr).collect();
    let peak = (0..values.len())
        .max_by(|&a, &b| values[a].total_cmp(&values[b]))
        .unwrap();
    let offset = if peak > 0 && peak + 1 < values.len() {
        let (a, b, c) = (values[peak - 1], values[peak], values[peak + 1]);
        0.5 * (a - c) / (a - 2.0 * b + c)
    } else {
        0.0
    };
    (peak as f64 - max_lag as f64 + offset) / RATE as f64 * 1000.0
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

/// The same from KEMAR's responses themselves: the reference.
fn kemar_front_back(hrtf: &Hrtf) -> Vec<f64> {
    let levels = |azimuth: f32| {
        let (mut l, mut r) = (vec![0.0; hrtf.taps()], vec![0.0; hrtf.taps()]);
        hrtf.filters(azimuth, &mut l, &mut r);
        let (l, r) = (fft_power(&l, false), fft_power(&r, false));
        third_octaves(&l.iter().zip(&r).map(|(a, b)| a + b).collect::<Vec<f64>>())
    };
    let (f, b) = (levels(0.0), levels(180.0));
    f.iter().zip(&b).map(|(f, b)| f - b).collect()
}

// ---------------------------------------------------------------------------------------
// Spectra and signals.

const FFT: usize = 4096;

thread_local! {
    /// Planned once: planning per frame would cost more than the transform.
    static PLAN: std::sync::Arc<dyn rustfft::Fft<f32>> = FftPlanner::new().plan_fft_forward(FFT);
}

/// Power per bin (0..=FFT/2) of one frame, zero-padded, Hann-windowed if `window`.
fn fft_power(frame: &[f32], window: bool) -> Vec<f64> {
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
    PLAN.with(|fft| fft.process(&mut buf));
    buf[..=FFT / 2].iter().map(|c| f64::from(c.norm_sqr())).collect()
}

/// Welch average of Hann-windowed frames, half overlapping.
fn power_spectrum(x: &[f32]) -> Vec<f64> {
    let mut sum = vec![0.0; FFT / 2 + 1];
    let starts: Vec<usize> = (0..=x.len().saturating_sub(FFT)).step_by(FFT / 2).collect();
    for &s in &starts {
        let p = fft_power(&x[s..(s + FFT).min(x.len())], true);
        sum.iter_mut().zip(&p).for_each(|(a, b)| *a += b);
    }
    sum.iter().map(|s| s / starts.len() as f64).collect()
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
