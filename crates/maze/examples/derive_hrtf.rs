//! Derives `crates/maze/assets/hrtf-kemar.bin` (the format is documented at the top of
//! `src/hrtf.rs`) from the measured MIT KEMAR SOFA file: `scripts/derive-hrtf.sh` fetches
//! the file and runs this.
//!
//! ```sh
//! cargo run --release -p photophone-maze --example derive_hrtf -- SOFA_FILE OUT_FILE
//! ```
//!
//! Horizontal plane only. Per direction and ear: the arrival delay, measured at the file's
//! rate; the response windowed to its direct sound (head, pinna and torso: the first 2.5 ms
//! after the onset); then at each stored rate the response resampled, diffuse-field equalized
//! (divided by the average over every measured direction: what the measurement's
//! loudspeaker, microphone and ear canal add to all directions alike, a loudspeaker 15 dB
//! down at 100 Hz among them), made minimum phase, and truncated to the fewest taps that
//! keep its magnitude within [`MAX_ERROR_DB`] of the untruncated one up to 16 kHz.

use std::error::Error;
use std::f64::consts::PI;
use std::sync::Arc;

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// The measured responses are kept from their onset for this long, then faded out over
/// FADE_S (see `direct_sound`).
const DIRECT_S: f64 = 0.0025;
const FADE_S: f64 = 0.0005;
/// The sample rates of the stored sets.
const RATES: [u32; 2] = [44100, 48000];
/// Candidate lengths at 48 kHz, shortest first; other rates get the same duration.
const TAPS_AT_48K: [usize; 8] = [48, 64, 80, 96, 112, 128, 144, 160];
/// The magnitude error a truncated response may have, against the untruncated one (windowed,
/// resampled and equalized, as it is before minimum phase).
const MAX_ERROR_DB: f64 = 1.0;
/// The band that error is measured over.
const ERROR_BAND_HZ: (f64, f64) = (20.0, 16000.0);
/// Magnitudes are compared smoothed over this fraction of an octave (finer than the ear's
/// critical bands), so that a notch a few hertz wide does not decide the length alone.
const ERROR_SMOOTHING_OCTAVES: f64 = 1.0 / 6.0;
/// The band that is equalized. Below it a head barely filters (the wavelength is ten heads
/// and more) and the loudspeaker's roll-off leaves little signal; above it the recording's
/// anti-alias filter, not the head, shapes the response. Outside it each response keeps the
/// equalized magnitude of the band's edge.
const EQ_BAND_HZ: (f64, f64) = (150.0, 18000.0);
/// The diffuse field is smoothed over a third of an octave: the equalizer removes broad
/// colouring and leaves the directions' own fine structure alone.
const DIFFUSE_SMOOTHING_OCTAVES: f64 = 1.0 / 3.0;
/// The fade at the end of a truncated response, as a fraction of its taps.
const FADE_FRACTION: f64 = 0.125;
/// FFT length for the cepstrum: long against the 512-tap measurements, so the folded
/// cepstrum barely aliases.
const FFT_LEN: usize = 8192;
/// Minimum-phase responses are kept this long before truncation (far past every candidate).
const MIN_PHASE_LEN: usize = 512;
/// Magnitude floor before the logarithm, relative to the peak (-100 dB): a zero has no log.
const LOG_FLOOR: f64 = 1e-5;
/// An ear's onset: its response first reaches this fraction of its peak magnitude.
const ONSET_FRACTION: f64 = 0.1;
/// Onsets are found on the response oversampled this many times, then interpolated.
const ONSET_OVERSAMPLING: f64 = 8.0;
/// Windowed-sinc resampler: half-width in input samples, Kaiser beta, and cutoff as a
/// fraction of the lower Nyquist frequency (-80 dB stopband, flat to about 19 kHz at 44.1 kHz).
const SINC_HALF_WIDTH: f64 = 64.0;
const KAISER_BETA: f64 = 8.0;
const SINC_CUTOFF: f64 = 0.95;

/// One measured direction, at the file's rate.
struct Measured {
    /// Degrees clockwise from straight ahead (90 = right), 0..360.
    azimuth_deg: f64,
    elevation_deg: f64,
    /// Left and right impulse responses.
    ir: [Vec<f64>; 2],
}

/// One ear's response in one direction at one rate.
struct Response {
    /// The equalized magnitude, FFT_LEN bins: what the truncated response should keep.
    magnitude: Vec<f64>,
    /// Its minimum-phase impulse response, MIN_PHASE_LEN taps.
    min_phase: Vec<f64>,
}

/// One direction of a stored set.
struct Direction {
    azimuth_deg: f64,
    delay_s: [f64; 2],
    ir: [Vec<f64>; 2],
}

/// One stored set.
struct Set {
    sample_rate: u32,
    taps: usize,
    directions: Vec<Direction>,
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [sofa_path, out_path] = args.as_slice() else {
        return Err("usage: derive_hrtf SOFA_FILE OUT_FILE".into());
    };
    let bytes = std::fs::read(sofa_path)?;
    let file_rate = sampling_rate(&bytes)?;
    println!("{sofa_path}: Data.SamplingRate {file_rate} Hz");
    let all = measurements(&bytes, file_rate)?;
    let plane = horizontal_plane(&all)?;
    let delays: Vec<[f64; 2]> = plane.iter().map(|m| onset_delays(&m.ir, file_rate)).collect();
    check_convention(&plane, &delays)?;

    let fft = Ffts::new(FFT_LEN);
    let diffuse = DiffuseField::new(&all, file_rate, &fft);
    let responses: Vec<Vec<[Response; 2]>> = RATES
        .iter()
        .map(|&rate| {
            let rate = f64::from(rate);
            let response =
                |ir: &Vec<f64>| Response::new(&resample(ir, file_rate, rate), rate, &diffuse, &fft);
            plane
                .iter()
                .map(|m| [response(&m.ir[0]), response(&m.ir[1])])
                .collect()
        })
        .collect();
    let taps_48k = choose_taps(&responses, &fft)?;
    let sets: Vec<Set> = RATES
        .iter()
        .zip(&responses)
        .map(|(&rate, responses)| build_set(rate, taps_for_rate(taps_48k, rate), &plane, &delays, responses))
        .collect();
    report(&sets);
    let encoded = encode(&sets);
    std::fs::write(out_path, &encoded)?;
    println!("wrote {out_path}: {} bytes", encoded.len());
    Ok(())
}

/// `Data.SamplingRate`, read from the file itself: the reader would resample to whatever
/// rate it is asked for, and this derivation resamples on its own terms.
fn sampling_rate(bytes: &[u8]) -> Result<f64> {
    let parsed = sofar::hdf::parse_with_children(bytes).map_err(|e| format!("not HDF5: {e}"))?;
    let object = parsed
        .get_child("Data.SamplingRate")
        .ok_or("no Data.SamplingRate")?
        .map_err(|e| format!("Data.SamplingRate: {e}"))?;
    let is_float = object.dt.class_and_version & 0x0f == 1;
    let big_endian = object.dt.class_bit_field & 1 == 1;
    let rate = match (is_float, big_endian, object.data.len()) {
        (true, false, 8) => f64::from_le_bytes(object.data[..8].try_into()?),
        (true, false, 4) => f64::from(f32::from_le_bytes(object.data[..4].try_into()?)),
        _ => return Err("Data.SamplingRate: expected one little-endian float".into()),
    };
    if !(8000.0..=384_000.0).contains(&rate) {
        return Err(format!("Data.SamplingRate {rate} Hz is implausible").into());
    }
    Ok(rate)
}

/// Every measured direction, left ear first.
fn measurements(bytes: &[u8], file_rate: f64) -> Result<Vec<Measured>> {
    // At the file's own rate the reader leaves the responses as measured.
    let sofa = sofar::reader::OpenOptions::new()
        .sample_rate(file_rate as f32)
        .normalized(false)
        .open_data(bytes)?;
    let hrtf = sofa.hrtf();
    let (m, r, n) = (hrtf.m() as usize, hrtf.r() as usize, hrtf.n() as usize);
    let positions = &hrtf.source_position.values;
    let irs = &hrtf.data_ir.values;
    if r != 2 || positions.len() != 3 * m || irs.len() != m * r * n {
        return Err(format!("expected 2 receivers and M x 3 positions (M {m}, R {r}, N {n})").into());
    }
    check_listener_view(&hrtf.listener_view.values)?;
    check_no_stored_delay(&hrtf.data_delay.values)?;
    let left = left_receiver(&hrtf.receiver_position.values);
    println!("{m} measurements of {n} taps");
    let measured = positions.chunks_exact(3).enumerate().map(|(i, position)| {
        let (azimuth_deg, elevation_deg) = azimuth_elevation(position);
        let ear = |receiver: usize| -> Vec<f64> {
            let start = (i * r + receiver) * n;
            irs[start..start + n].iter().map(|&s| f64::from(s)).collect()
        };
        let ir = [ear(left), ear(1 - left)].map(|ir| direct_sound(&ir, file_rate));
        Measured {
            azimuth_deg,
            elevation_deg,
            ir,
        }
    });
    Ok(measured.collect())
}

/// `ir` up to DIRECT_S after its onset (the sample that first reaches ONSET_FRACTION of its
/// peak), faded out over FADE_S with a half Hann window.
///
/// Why: past the head, pinna and torso the measured responses carry a tail that does not
/// decay over their 11.6 ms, 30 to 40 dB below the direct sound but only 15 to 20 dB below the
/// far ear's shadowed one, and above a few kHz about as loud in every direction and ear (the
/// set-up's noise and reflections, not the head). It adds fine ripple to every magnitude, and
/// a minimum-phase filter would spread that over all its taps: even 256 taps at 48 kHz missed
/// the unwindowed magnitudes by over 2 dB.
fn direct_sound(ir: &[f64], rate: f64) -> Vec<f64> {
    let peak = ir.iter().fold(0.0_f64, |p, s| p.max(s.abs()));
    let onset = ir
        .iter()
        .position(|s| s.abs() >= ONSET_FRACTION * peak)
        .unwrap_or(0);
    let fade_start = onset + (DIRECT_S * rate).round() as usize;
    let fade = (FADE_S * rate).round() as usize;
    ir.iter()
        .enumerate()
        .map(|(i, &s)| match i.checked_sub(fade_start) {
            None => s,
            Some(into) if into < fade => s * 0.5 * (1.0 + (PI * (into + 1) as f64 / (fade + 1) as f64).cos()),
            Some(_) => 0.0,
        })
        .collect()
}

/// The directions at the elevation nearest 0, by azimuth.
fn horizontal_plane(all: &[Measured]) -> Result<Vec<&Measured>> {
    let elevation = all
        .iter()
        .map(|m| m.elevation_deg)
        .min_by(|a, b| a.abs().total_cmp(&b.abs()));
    let elevation = elevation.ok_or("no measurements")?;
    let mut plane: Vec<&Measured> = all
        .iter()
        .filter(|m| (m.elevation_deg - elevation).abs() < 0.5)
        .collect();
    plane.sort_by(|a, b| a.azimuth_deg.total_cmp(&b.azimuth_deg));
    plane.dedup_by(|a, b| (a.azimuth_deg - b.azimuth_deg).abs() < 1e-3);
    println!("plane at elevation {elevation:.2} deg: {} azimuths", plane.len());
    Ok(plane)
}

/// SOFA cartesian (x front, y left, z up) to (azimuth clockwise from the front in degrees,
/// 0..360, rounded to 0.01; elevation in degrees).
fn azimuth_elevation(p: &[f32]) -> (f64, f64) {
    let (x, y, z) = (f64::from(p[0]), f64::from(p[1]), f64::from(p[2]));
    // SOFA's azimuth turns counter-clockwise (towards +y, the left): ours is its negative.
    let azimuth = (-y).atan2(x).to_degrees().rem_euclid(360.0);
    // Rounded off the float noise of the coordinate conversion; + 0.0 turns -0 into 0.
    let azimuth = ((azimuth * 100.0).round() / 100.0) % 360.0 + 0.0;
    (azimuth, z.atan2(x.hypot(y)).to_degrees())
}

/// The azimuths above assume the listener looks along +x.
fn check_listener_view(view: &[f32]) -> Result<()> {
    let looks_ahead = view.len() < 3 || (view[0] > 0.0 && view[1].abs() < 1e-3 * view[0]);
    if looks_ahead {
        Ok(())
    } else {
        Err(format!("ListenerView {view:?} is not +x: unsupported").into())
    }
}

/// Onsets are measured in the responses, so a delay kept apart from them would be lost.
fn check_no_stored_delay(delays: &[f32]) -> Result<()> {
    if delays.iter().all(|&d| d == 0.0) {
        Ok(())
    } else {
        Err("Data.Delay is not zero: unsupported".into())
    }
}

/// The receiver index of the left ear: the one at +y (SOFA's left), receiver 0 if unknown.
fn left_receiver(receivers: &[f32]) -> usize {
    match receivers {
        [_, y0, _, _, y1, _, ..] if y1 > y0 => 1,
        _ => 0,
    }
}

/// Each ear's arrival time in seconds, less the earlier of the two.
///
/// Why a threshold onset rather than cross-correlating the ears: the stored filters are
/// minimum phase, which starts each one at once, so the delay that restores the measured
/// timing is the ear's first arrival itself. Cross-correlation measures where the two
/// differently filtered waveforms match best, which adds the far ear's extra lag at low
/// frequencies (here 15 to 25 % more at the sides); the far ear's minimum-phase filter,
/// low-passed by the head's shadow, already carries part of that lag, which would count twice.
/// Why 10 % of the peak: at 90 and 95 deg the far ear's first wavefront, crept round the head
/// both ways, is weaker than the larger one after it, and 20 % caught that one (the
/// interaural difference jumped from 0.63 ms at 85 deg to 0.85 ms at 90 and back by 100);
/// 5 % and 10 % agree within 10 microseconds everywhere, and the silence before the onset
/// stays over 30 dB below 10 %. Oversampling and interpolating the crossing give a resolution
/// of a few microseconds.
fn onset_delays(ir: &[Vec<f64>; 2], rate: f64) -> [f64; 2] {
    let onset = |ear: &Vec<f64>| -> f64 {
        let fine = resample(ear, rate, rate * ONSET_OVERSAMPLING);
        threshold_crossing(&fine) / (rate * ONSET_OVERSAMPLING)
    };
    let [left, right] = [onset(&ir[0]), onset(&ir[1])];
    let first = left.min(right);
    [left - first, right - first]
}

/// The fractional index at which |x| first reaches ONSET_FRACTION of its peak.
fn threshold_crossing(x: &[f64]) -> f64 {
    let peak = x.iter().fold(0.0_f64, |p, s| p.max(s.abs()));
    let threshold = ONSET_FRACTION * peak;
    let i = x.iter().position(|s| s.abs() >= threshold).unwrap_or(0);
    if i == 0 {
        return 0.0;
    }
    let (before, at) = (x[i - 1].abs(), x[i].abs());
    (i - 1) as f64 + (threshold - before) / (at - before)
}

/// The convention, checked on the data: a source at our 90 deg is louder in the right ear
/// and arrives there first; at 270 deg the mirror.
fn check_convention(measured: &[&Measured], delays: &[[f64; 2]]) -> Result<()> {
    for (azimuth, near, far) in [(90.0, 1, 0), (270.0, 0, 1)] {
        let i = nearest_direction(measured, azimuth);
        let energy = |ear: usize| measured[i].ir[ear].iter().map(|s| s * s).sum::<f64>();
        let louder = energy(near) > energy(far);
        let earlier = delays[i][near] == 0.0 && delays[i][far] > 0.0;
        if !(louder && earlier) {
            return Err(format!("at {azimuth} deg the near ear is not louder and earlier").into());
        }
    }
    Ok(())
}

fn nearest_direction(measured: &[&Measured], azimuth: f64) -> usize {
    let distance = |m: &&Measured| {
        let d = (m.azimuth_deg - azimuth).rem_euclid(360.0);
        d.min(360.0 - d)
    };
    (0..measured.len())
        .min_by(|&a, &b| distance(&measured[a]).total_cmp(&distance(&measured[b])))
        .unwrap_or(0)
}

/// Kaiser-windowed sinc resampling from `from` to `to` Hz, band-limited below the lower
/// Nyquist frequency and scaled by `from` / `to`, which keeps the frequency response; zero
/// phase, so it moves no onset.
fn resample(x: &[f64], from: f64, to: f64) -> Vec<f64> {
    if from == to {
        return x.to_vec();
    }
    let ratio = to / from;
    let cutoff = SINC_CUTOFF * ratio.min(1.0);
    let half = SINC_HALF_WIDTH / ratio.min(1.0);
    let len = (x.len() as f64 * ratio).ceil() as usize;
    (0..len)
        .map(|k| {
            let t = k as f64 / ratio;
            let first = (t - half).ceil().max(0.0) as usize;
            let last = ((t + half).floor() as usize).min(x.len() - 1);
            (first..=last)
                .map(|i| {
                    let d = t - i as f64;
                    x[i] * cutoff * sinc(cutoff * d) * kaiser(d / half)
                })
                .sum::<f64>()
                / ratio
        })
        .collect()
}

fn sinc(x: f64) -> f64 {
    if x.abs() < 1e-12 {
        1.0
    } else {
        (PI * x).sin() / (PI * x)
    }
}

/// The Kaiser window at `u` in -1..=1.
fn kaiser(u: f64) -> f64 {
    bessel_i0(KAISER_BETA * (1.0 - u * u).max(0.0).sqrt()) / bessel_i0(KAISER_BETA)
}

/// The modified Bessel function of order 0, by its power series.
fn bessel_i0(x: f64) -> f64 {
    let (mut sum, mut term, mut k) = (1.0, 1.0, 1.0);
    while term > 1e-12 * sum {
        term *= (x / (2.0 * k)).powi(2);
        sum += term;
        k += 1.0;
    }
    sum
}

/// Forward and inverse FFTs of one length.
struct Ffts {
    forward: Arc<dyn Fft<f64>>,
    inverse: Arc<dyn Fft<f64>>,
    len: usize,
}

impl Ffts {
    fn new(len: usize) -> Ffts {
        let mut planner = FftPlanner::new();
        Ffts {
            forward: planner.plan_fft_forward(len),
            inverse: planner.plan_fft_inverse(len),
            len,
        }
    }

    fn spectrum(&self, x: &[f64]) -> Vec<Complex<f64>> {
        let mut buffer: Vec<Complex<f64>> = x.iter().map(|&s| Complex::new(s, 0.0)).collect();
        buffer.resize(self.len, Complex::new(0.0, 0.0));
        self.forward.process(&mut buffer);
        buffer
    }

    /// The inverse FFT, scaled so that it undoes `spectrum`.
    fn signal(&self, mut spectrum: Vec<Complex<f64>>) -> Vec<Complex<f64>> {
        self.inverse.process(&mut spectrum);
        let scale = 1.0 / self.len as f64;
        spectrum.iter_mut().for_each(|c| *c *= scale);
        spectrum
    }
}

/// The power response averaged over every measured direction and both ears: what the
/// measurement's loudspeaker, microphone and the dummy head's ear canals add to every
/// direction alike.
struct DiffuseField {
    bin_hz: f64,
    /// Magnitude per bin from 0 Hz to Nyquist, smoothed.
    magnitude: Vec<f64>,
}

impl DiffuseField {
    fn new(all: &[Measured], rate: f64, fft: &Ffts) -> DiffuseField {
        let bins = fft.len / 2 + 1;
        let mut power = vec![0.0; bins];
        for ear in all.iter().flat_map(|m| &m.ir) {
            for (sum, c) in power.iter_mut().zip(fft.spectrum(ear)) {
                *sum += c.norm_sqr();
            }
        }
        let count = 2.0 * all.len() as f64;
        let magnitude = (0..bins)
            .map(|k| (smoothed(&power, k, DIFFUSE_SMOOTHING_OCTAVES) / count).sqrt())
            .collect();
        DiffuseField {
            bin_hz: rate / fft.len as f64,
            magnitude,
        }
    }

    /// The magnitude at `hz`, interpolated between bins.
    fn at(&self, hz: f64) -> f64 {
        let position = (hz / self.bin_hz).clamp(0.0, (self.magnitude.len() - 1) as f64);
        let (below, fraction) = (position.floor() as usize, position.fract());
        let above = (below + 1).min(self.magnitude.len() - 1);
        self.magnitude[below] * (1.0 - fraction) + self.magnitude[above] * fraction
    }
}

impl Response {
    /// `ir` (at `rate`) equalized and made minimum phase.
    fn new(ir: &[f64], rate: f64, diffuse: &DiffuseField, fft: &Ffts) -> Response {
        let magnitude = equalized_magnitude(ir, rate, diffuse, fft);
        let min_phase = minimum_phase(&magnitude, fft);
        Response { magnitude, min_phase }
    }
}

/// The magnitude of `ir` over the diffuse field's, on all FFT_LEN bins; outside EQ_BAND_HZ,
/// the value at the band's nearer edge.
fn equalized_magnitude(ir: &[f64], rate: f64, diffuse: &DiffuseField, fft: &Ffts) -> Vec<f64> {
    let spectrum = fft.spectrum(ir);
    let bin_hz = rate / fft.len as f64;
    (0..fft.len)
        .map(|k| {
            // Bins past Nyquist mirror those below it: the response is real.
            let hz = (k.min(fft.len - k) as f64 * bin_hz).clamp(EQ_BAND_HZ.0, EQ_BAND_HZ.1);
            let bin = (hz / bin_hz).round() as usize;
            spectrum[bin].norm() / diffuse.at(bin as f64 * bin_hz)
        })
        .collect()
}

/// The minimum-phase response with this magnitude (FFT_LEN bins), MIN_PHASE_LEN taps: the
/// real cepstrum of the log magnitude, folded onto positive quefrencies, exponentiated back.
fn minimum_phase(magnitude: &[f64], fft: &Ffts) -> Vec<f64> {
    let peak = magnitude.iter().fold(0.0_f64, |p, &m| p.max(m));
    let log_magnitude = magnitude
        .iter()
        .map(|m| Complex::new(m.max(peak * LOG_FLOOR).ln(), 0.0))
        .collect();
    let mut cepstrum = fft.signal(log_magnitude);
    let half = fft.len / 2;
    for (q, c) in cepstrum.iter_mut().enumerate() {
        // Causal fold: keep quefrency 0 and N/2, double the positive ones, drop the negative.
        let weight = match q {
            0 => 1.0,
            q if q < half => 2.0,
            q if q == half => 1.0,
            _ => 0.0,
        };
        *c = Complex::new(c.re * weight, 0.0);
    }
    let mut log_spectrum = cepstrum;
    fft.forward.process(&mut log_spectrum);
    let spectrum = log_spectrum.iter().map(|c| c.exp()).collect();
    fft.signal(spectrum)[..MIN_PHASE_LEN]
        .iter()
        .map(|c| c.re)
        .collect()
}

/// The taps of a response at `rate` with the duration of `taps_48k` taps at 48 kHz.
fn taps_for_rate(taps_48k: usize, rate: u32) -> usize {
    (taps_48k as f64 * f64::from(rate) / 48000.0).round() as usize
}

/// The first `taps` of `ir` with a half-Hann fade over the last FADE_FRACTION of them, so
/// that the cut adds no click (a spectral splatter).
fn truncate(ir: &[f64], taps: usize) -> Vec<f64> {
    let fade = ((taps as f64 * FADE_FRACTION).round() as usize).max(1);
    (0..taps)
        .map(|i| {
            let from_end = taps - i;
            let gain = if from_end > fade {
                1.0
            } else {
                0.5 - 0.5 * (PI * from_end as f64 / (fade + 1) as f64).cos()
            };
            ir.get(i).copied().unwrap_or(0.0) * gain
        })
        .collect()
}

/// The shortest candidate length whose worst error, over every rate, direction and ear,
/// stays within MAX_ERROR_DB; the errors are printed.
fn choose_taps(sets: &[Vec<[Response; 2]>], fft: &Ffts) -> Result<usize> {
    for taps_48k in TAPS_AT_48K {
        let mut worst = 0.0_f64;
        for (&rate, responses) in RATES.iter().zip(sets) {
            let taps = taps_for_rate(taps_48k, rate);
            for response in responses.iter().flatten() {
                let short = truncate(&response.min_phase, taps);
                worst = worst.max(magnitude_error_db(&response.magnitude, &short, rate, fft));
            }
        }
        println!("{taps_48k} taps at 48 kHz: worst magnitude error {worst:.2} dB");
        if worst <= MAX_ERROR_DB {
            return Ok(taps_48k);
        }
    }
    Err(format!("no candidate length keeps the error within {MAX_ERROR_DB} dB").into())
}

/// The largest difference, in dB, between the smoothed magnitude responses `target` (FFT_LEN
/// bins) and `short`'s, over ERROR_BAND_HZ.
fn magnitude_error_db(target: &[f64], short: &[f64], rate: u32, fft: &Ffts) -> f64 {
    let bin_hz = f64::from(rate) / fft.len as f64;
    let half = fft.len / 2;
    let target: Vec<f64> = target[..half].iter().map(|m| m * m).collect();
    let short: Vec<f64> = fft.spectrum(short)[..half].iter().map(|c| c.norm_sqr()).collect();
    let first = (ERROR_BAND_HZ.0 / bin_hz).ceil() as usize;
    let last = (ERROR_BAND_HZ.1 / bin_hz).floor() as usize;
    (first..=last)
        .map(|k| {
            let smooth = |power: &[f64]| smoothed(power, k, ERROR_SMOOTHING_OCTAVES);
            (10.0 * (smooth(&target) / smooth(&short)).log10()).abs()
        })
        .fold(0.0, f64::max)
}

/// The mean power of the bins within `octaves` around bin `k`.
fn smoothed(power: &[f64], k: usize, octaves: f64) -> f64 {
    let half_band = 2f64.powf(octaves / 2.0);
    let low = ((k as f64 / half_band).floor() as usize).max(1);
    let high = ((k as f64 * half_band).ceil() as usize).clamp(low, power.len() - 1);
    power[low..=high].iter().sum::<f64>() / (high - low + 1) as f64
}

/// One stored set: the responses truncated to `taps`.
fn build_set(
    sample_rate: u32,
    taps: usize,
    plane: &[&Measured],
    delays: &[[f64; 2]],
    responses: &[[Response; 2]],
) -> Set {
    let directions = plane
        .iter()
        .zip(delays)
        .zip(responses)
        .map(|((m, &delay_s), [left, right])| Direction {
            azimuth_deg: m.azimuth_deg,
            delay_s,
            ir: [truncate(&left.min_phase, taps), truncate(&right.min_phase, taps)],
        })
        .collect();
    Set {
        sample_rate,
        taps,
        directions,
    }
}

/// The cues the engine relies on, at the lateral and median directions.
fn report(sets: &[Set]) {
    for set in sets {
        println!(
            "{} Hz: {} directions, {} taps",
            set.sample_rate,
            set.directions.len(),
            set.taps
        );
        for azimuth in [0.0, 90.0, 180.0, 270.0] {
            let Some(d) = set.directions.iter().find(|d| d.azimuth_deg == azimuth) else {
                continue;
            };
            let energy = |ear: usize| d.ir[ear].iter().map(|s| s * s).sum::<f64>();
            let right_over_left_db = 10.0 * (energy(1) / energy(0)).log10();
            let itd_ms = (d.delay_s[0] - d.delay_s[1]) * 1000.0;
            println!(
                "  {azimuth:>5} deg: right - left level {right_over_left_db:+.1} dB, \
                 left - right delay {itd_ms:+.3} ms"
            );
        }
    }
}

/// The file format documented at the top of `src/hrtf.rs`.
fn encode(sets: &[Set]) -> Vec<u8> {
    let mut out = b"PPHRTF01".to_vec();
    let u32_le = |out: &mut Vec<u8>, v: usize| out.extend_from_slice(&(v as u32).to_le_bytes());
    u32_le(&mut out, sets.len());
    for set in sets {
        u32_le(&mut out, set.sample_rate as usize);
        u32_le(&mut out, set.directions.len());
        u32_le(&mut out, set.taps);
        for d in &set.directions {
            let values = [d.azimuth_deg, d.delay_s[0], d.delay_s[1]];
            let samples = values.iter().chain(&d.ir[0]).chain(&d.ir[1]);
            samples.for_each(|&v| out.extend_from_slice(&(v as f32).to_le_bytes()));
        }
    }
    out
}
