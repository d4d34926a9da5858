//! Direction on the horizontal plane through a measured head-related transfer function: the
//! MIT Media Lab's KEMAR measurements (Bill Gardner and Keith Martin, 1994; credit and terms
//! in `assets/LICENSE-hrtf-kemar.txt`), reduced by `examples/derive_hrtf.rs`
//! (`scripts/derive-hrtf.sh`) to a minimum-phase response and an arrival delay per ear and
//! direction.
//!
//! # The file format (`assets/hrtf-kemar.bin`)
//!
//! All numbers little-endian:
//!
//! - magic `b"PPHRTF01"`;
//! - `u32` number of sets; then per set:
//!   - `u32` sample rate in Hz, `u32` directions, `u32` taps;
//!   - per direction, in strictly ascending azimuth:
//!     - `f32` azimuth in degrees clockwise from straight ahead seen from above
//!       (0 front, 90 the listener's right, 180 behind, 270 left), in `0.0..360.0`;
//!     - `f32` left delay, `f32` right delay: each ear's arrival time in seconds, less the
//!       earlier ear's (so the nearer ear has 0);
//!     - `f32` × taps left response, `f32` × taps right response (minimum phase).
//!
//! The stored sets are at 44100 and 48000 Hz: 72 directions 5° apart, 103 and 112 taps
//! (2.3 ms), diffuse-field equalized (averaged over every measured direction, the power
//! response is about 0 dB at every frequency: the measurement's loudspeaker and microphone
//! are divided out, and a sound keeps its balance on average).

use std::f64::consts::PI;

/// The embedded MIT KEMAR sets.
const KEMAR: &[u8] = include_bytes!("../assets/hrtf-kemar.bin");
const MAGIC: &[u8; 8] = b"PPHRTF01";
/// Rates a set can be made for: other rates are refused rather than resampled into
/// something useless or huge.
const RATES: std::ops::RangeInclusive<u32> = 8000..=384_000;
/// Delays are relative to the nearer ear, so a real head stays far below this.
const MAX_DELAY_S: f32 = 0.01;
/// Windowed-sinc resampler (for rates other than the stored ones): half-width in input
/// samples at the lower rate, Kaiser beta, and cutoff as a fraction of the lower Nyquist
/// frequency.
const SINC_HALF_WIDTH: f64 = 32.0;
const KAISER_BETA: f64 = 8.0;
const SINC_CUTOFF: f64 = 0.95;

/// A measured head-related transfer function on the horizontal plane: per direction, a
/// minimum-phase impulse response per ear and each ear's arrival delay.
#[derive(Clone, Debug)]
pub struct Hrtf {
    sample_rate: u32,
    taps: usize,
    /// Azimuths in degrees, strictly ascending within `0.0..360.0`.
    azimuths: Vec<f32>,
    /// Left and right delays in seconds, per direction.
    delays: Vec<[f32; 2]>,
    /// Responses per direction, `taps` each, direction after direction.
    left: Vec<f32>,
    right: Vec<f32>,
}

/// Why HRTF data could not be loaded.
// Each variant's `#[error]` message is its documentation.
#[allow(missing_docs)]
#[derive(Debug, thiserror::Error)]
pub enum HrtfError {
    #[error("HRTF data does not start with the magic bytes \"PPHRTF01\"")]
    BadMagic,
    #[error("HRTF data ends early, in {0}")]
    Truncated(&'static str),
    #[error("HRTF data has {0} bytes after its last set")]
    TrailingBytes(usize),
    #[error("HRTF data holds no set")]
    NoSets,
    #[error("HRTF set {set} is invalid: {problem}")]
    InvalidSet { set: usize, problem: String },
    #[error("no HRTF set can be made for {0} Hz (supported: 8000 to 384000 Hz)")]
    UnsupportedRate(u32),
}

impl Hrtf {
    /// MIT KEMAR at `sample_rate`: the stored set for 44100 or 48000 Hz; for any other rate
    /// from 8000 to 384000 Hz, the stored set nearest in ratio, resampled (windowed sinc, then
    /// minimum phase again: the same duration in taps at the new rate, the same magnitude
    /// below both Nyquist frequencies, the same delays in seconds; a fraction of a second of
    /// work, so make it once); other rates are an error.
    pub fn kemar(sample_rate: u32) -> Result<Hrtf, HrtfError> {
        Hrtf::from_bytes(KEMAR, sample_rate)
    }

    /// Parses a set from bytes in the format above (every set in them is checked), picked or
    /// resampled for `sample_rate` as [`Hrtf::kemar`] does.
    pub fn from_bytes(bytes: &[u8], sample_rate: u32) -> Result<Hrtf, HrtfError> {
        if !RATES.contains(&sample_rate) {
            return Err(HrtfError::UnsupportedRate(sample_rate));
        }
        let sets = parse_sets(bytes)?;
        let nearest = sets.into_iter().min_by(|a, b| {
            rate_distance(a.sample_rate, sample_rate).total_cmp(&rate_distance(b.sample_rate, sample_rate))
        });
        let nearest = nearest.ok_or(HrtfError::NoSets)?;
        Ok(if nearest.sample_rate == sample_rate {
            nearest
        } else {
            nearest.resampled(sample_rate)
        })
    }

    /// The rate its responses are at.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Taps of every impulse response.
    pub fn taps(&self) -> usize {
        self.taps
    }

    /// Largest delay any direction has, in seconds (the engine sizes its delay lines by it).
    pub fn max_delay_s(&self) -> f32 {
        self.delays.iter().flatten().fold(0.0, |max, &d| max.max(d))
    }

    /// The filters and delays for a source at `azimuth_deg` (clockwise from straight ahead,
    /// any real value, wrapped; a non-finite one counts as straight ahead), interpolated
    /// linearly between the two nearest measured directions (linear interpolation of
    /// minimum-phase responses is well-behaved). Writes `taps()` coefficients into each
    /// slice; returns (left_delay_s, right_delay_s).
    ///
    /// # Panics
    /// If `left` or `right` is shorter than `taps()`.
    pub fn filters(&self, azimuth_deg: f32, left: &mut [f32], right: &mut [f32]) -> (f32, f32) {
        let (a, b, weight) = self.neighbours(azimuth_deg);
        let taps = self.taps;
        let blend = |responses: &[f32], out: &mut [f32]| {
            let (ra, rb) = (&responses[a * taps..][..taps], &responses[b * taps..][..taps]);
            for ((o, &x), &y) in out[..taps].iter_mut().zip(ra).zip(rb) {
                *o = x + (y - x) * weight;
            }
        };
        blend(&self.left, left);
        blend(&self.right, right);
        let delay = |ear: usize| {
            let (x, y) = (self.delays[a][ear], self.delays[b][ear]);
            x + (y - x) * weight
        };
        (delay(0), delay(1))
    }

    /// The measured directions around `azimuth_deg` and the weight of the second.
    fn neighbours(&self, azimuth_deg: f32) -> (usize, usize, f32) {
        let azimuth = if azimuth_deg.is_finite() {
            azimuth_deg.rem_euclid(360.0)
        } else {
            0.0
        };
        let count = self.azimuths.len();
        // The last direction at or before `azimuth`, going round past 360 if none is.
        let after = self.azimuths.partition_point(|&a| a <= azimuth);
        let a = (after + count - 1) % count;
        let b = after % count;
        let span = (self.azimuths[b] - self.azimuths[a]).rem_euclid(360.0);
        let offset = (azimuth - self.azimuths[a]).rem_euclid(360.0);
        let weight = if span > 0.0 {
            (offset / span).clamp(0.0, 1.0)
        } else {
            0.0
        };
        (a, b, weight)
    }

    /// This set at `sample_rate`: every response resampled to the same duration and made
    /// minimum phase again; delays kept in seconds.
    fn resampled(&self, sample_rate: u32) -> Hrtf {
        let ratio = f64::from(sample_rate) / f64::from(self.sample_rate);
        let taps = ((self.taps as f64 * ratio).round() as usize).max(1);
        let resample_all = |responses: &[f32]| -> Vec<f32> {
            let each = responses.chunks_exact(self.taps);
            each.flat_map(|ir| minimum_phase(&resample(ir, ratio), taps))
                .collect()
        };
        Hrtf {
            sample_rate,
            taps,
            azimuths: self.azimuths.clone(),
            delays: self.delays.clone(),
            left: resample_all(&self.left),
            right: resample_all(&self.right),
        }
    }
}

/// How far apart two rates are, as the size of their ratio.
fn rate_distance(a: u32, b: u32) -> f64 {
    (f64::from(a) / f64::from(b)).ln().abs()
}

/// `ir` resampled by `ratio` (new rate over old), band-limited below the lower Nyquist
/// frequency by a Kaiser-windowed sinc and scaled by 1 / `ratio`, which keeps the frequency
/// response. The output covers the whole reconstruction, the sinc's ringing before the first
/// sample included: a minimum-phase response starts at once, and cutting that ringing off
/// would tilt its spectrum by decibels.
fn resample(ir: &[f32], ratio: f64) -> Vec<f64> {
    let cutoff = SINC_CUTOFF * ratio.min(1.0);
    let half = SINC_HALF_WIDTH / ratio.min(1.0);
    let len = ((ir.len() as f64 - 1.0 + 2.0 * half) * ratio).ceil() as usize + 1;
    // The sinc's gain, the window's normalisation and the rate ratio, folded into one factor.
    let scale = cutoff / bessel_i0(KAISER_BETA) / ratio;
    (0..len)
        .map(|k| {
            let t = k as f64 / ratio - half;
            let first = (t - half).ceil().max(0.0) as usize;
            let last = ((t + half).floor().max(0.0) as usize).min(ir.len() - 1);
            let sum: f64 = (first..=last)
                .map(|i| {
                    let d = t - i as f64;
                    f64::from(ir[i]) * sinc(cutoff * d) * kaiser_unscaled(d / half)
                })
                .sum();
            sum * scale
        })
        .collect()
}

/// The first `taps` of the minimum-phase response with `ir`'s magnitude, faded out over its
/// last eighth with a half Hann window as the stored responses are.
fn minimum_phase(ir: &[f64], taps: usize) -> Vec<f32> {
    // Long against the response, so that the folded cepstrum barely aliases.
    let n = (8 * ir.len().max(taps)).next_power_of_two();
    let mut x = causal_cepstrum(ir, n);
    fft(&mut x, false);
    x.iter_mut()
        .for_each(|c| *c = (c.0.exp() * c.1.cos(), c.0.exp() * c.1.sin()));
    fft(&mut x, true);
    let fade = ((taps as f64 / 8.0).round() as usize).max(1);
    (0..taps)
        .map(|i| {
            let from_end = taps - i;
            let gain = if from_end > fade {
                1.0
            } else {
                0.5 - 0.5 * (PI * from_end as f64 / (fade + 1) as f64).cos()
            };
            (x[i].0 / n as f64 * gain) as f32
        })
        .collect()
}

/// The real cepstrum of `ir`'s log magnitude over `n` bins, folded onto positive quefrencies:
/// the log spectrum of the minimum-phase response, once transformed back.
fn causal_cepstrum(ir: &[f64], n: usize) -> Vec<(f64, f64)> {
    let mut x: Vec<(f64, f64)> = ir.iter().map(|&s| (s, 0.0)).collect();
    x.resize(n, (0.0, 0.0));
    fft(&mut x, false);
    let peak = x.iter().fold(0.0_f64, |p, &(re, im)| p.max(re.hypot(im)));
    // A floor 100 dB down: a zero has no logarithm.
    x.iter_mut()
        .for_each(|c| *c = (c.0.hypot(c.1).max(peak * 1e-5).ln(), 0.0));
    fft(&mut x, true);
    for (q, c) in x.iter_mut().enumerate() {
        let weight = match q {
            0 => 1.0,
            q if q < n / 2 => 2.0,
            q if q == n / 2 => 1.0,
            _ => 0.0,
        };
        *c = (c.0 * weight / n as f64, 0.0);
    }
    x
}

/// An in-place radix-2 FFT of `x` (a power of two long); `inverse` leaves out the 1 / n.
fn fft(x: &mut [(f64, f64)], inverse: bool) {
    let n = x.len();
    let mut j = 0;
    for i in 1..n {
        let mut bit = n >> 1;
        while j & bit != 0 {
            j ^= bit;
            bit >>= 1;
        }
        j |= bit;
        if i < j {
            x.swap(i, j);
        }
    }
    let sign = if inverse { 1.0 } else { -1.0 };
    let twiddles: Vec<(f64, f64)> = (0..n / 2)
        .map(|k| {
            let (sin, cos) = (sign * 2.0 * PI * k as f64 / n as f64).sin_cos();
            (cos, sin)
        })
        .collect();
    let mut len = 2;
    while len <= n {
        let stride = n / len;
        for start in (0..n).step_by(len) {
            for k in 0..len / 2 {
                let (cos, sin) = twiddles[k * stride];
                let (a, b) = (x[start + k], x[start + k + len / 2]);
                let turned = (b.0 * cos - b.1 * sin, b.0 * sin + b.1 * cos);
                x[start + k] = (a.0 + turned.0, a.1 + turned.1);
                x[start + k + len / 2] = (a.0 - turned.0, a.1 - turned.1);
            }
        }
        len <<= 1;
    }
}

fn sinc(x: f64) -> f64 {
    if x.abs() < 1e-12 {
        1.0
    } else {
        (PI * x).sin() / (PI * x)
    }
}

/// The Kaiser window at `u` in -1..=1, before its division by I0(KAISER_BETA) (a constant:
/// the resampler divides once).
fn kaiser_unscaled(u: f64) -> f64 {
    bessel_i0(KAISER_BETA * (1.0 - u * u).max(0.0).sqrt())
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

/// Every set in `bytes`, checked.
fn parse_sets(bytes: &[u8]) -> Result<Vec<Hrtf>, HrtfError> {
    let mut reader = Reader { rest: bytes };
    if reader
        .take(MAGIC.len(), "the magic bytes")
        .map_err(|_| HrtfError::BadMagic)?
        != MAGIC
    {
        return Err(HrtfError::BadMagic);
    }
    let count = reader.u32("the number of sets")?;
    if count == 0 {
        return Err(HrtfError::NoSets);
    }
    let sets = (0..count as usize)
        .map(|set| parse_set(&mut reader, set))
        .collect::<Result<Vec<_>, _>>()?;
    match reader.rest.len() {
        0 => Ok(sets),
        extra => Err(HrtfError::TrailingBytes(extra)),
    }
}

/// One set, read and checked.
fn parse_set(reader: &mut Reader, set: usize) -> Result<Hrtf, HrtfError> {
    let invalid = |problem: String| HrtfError::InvalidSet { set, problem };
    let sample_rate = reader.u32("a set's sample rate")?;
    let directions = reader.u32("a set's number of directions")? as usize;
    let taps = reader.u32("a set's number of taps")? as usize;
    if !RATES.contains(&sample_rate) {
        return Err(invalid(format!("sample rate {sample_rate} Hz")));
    }
    if directions == 0 || taps == 0 {
        return Err(invalid(format!("{directions} directions of {taps} taps")));
    }
    let mut hrtf = Hrtf {
        sample_rate,
        taps,
        azimuths: Vec::new(),
        delays: Vec::new(),
        left: Vec::new(),
        right: Vec::new(),
    };
    for _ in 0..directions {
        // Reading before storing bounds every allocation by the bytes actually there.
        let azimuth = reader.f32s(1, "an azimuth")?[0];
        let delays = reader.f32s(2, "a direction's delays")?;
        let left = reader.f32s(taps, "a left response")?;
        let right = reader.f32s(taps, "a right response")?;
        check_direction(&hrtf.azimuths, azimuth, &delays, &left, &right).map_err(invalid)?;
        hrtf.azimuths.push(azimuth);
        hrtf.delays.push([delays[0], delays[1]]);
        hrtf.left.extend(left);
        hrtf.right.extend(right);
    }
    Ok(hrtf)
}

/// A direction must come after the previous one, with plausible delays and finite samples.
fn check_direction(
    previous: &[f32],
    azimuth: f32,
    delays: &[f32],
    left: &[f32],
    right: &[f32],
) -> Result<(), String> {
    if !(0.0..360.0).contains(&azimuth) || previous.last().is_some_and(|&p| azimuth <= p) {
        return Err(format!("azimuth {azimuth} is out of range or order"));
    }
    if !delays.iter().all(|d| (0.0..=MAX_DELAY_S).contains(d)) {
        return Err(format!("delays {delays:?} at azimuth {azimuth}"));
    }
    if !left.iter().chain(right).all(|s| s.is_finite()) {
        return Err(format!("a response at azimuth {azimuth} is not finite"));
    }
    Ok(())
}

/// Reads little-endian values off the front of a byte slice.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize, what: &'static str) -> Result<&'a [u8], HrtfError> {
        if self.rest.len() < len {
            return Err(HrtfError::Truncated(what));
        }
        let (taken, rest) = self.rest.split_at(len);
        self.rest = rest;
        Ok(taken)
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, HrtfError> {
        let bytes = self.take(4, what)?;
        Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    fn f32s(&mut self, count: usize, what: &'static str) -> Result<Vec<f32>, HrtfError> {
        let len = count.checked_mul(4).ok_or(HrtfError::Truncated(what))?;
        let bytes = self.take(len, what)?;
        Ok(bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Left and right responses and delays at `azimuth`.
    fn at(hrtf: &Hrtf, azimuth: f32) -> ([Vec<f32>; 2], (f32, f32)) {
        let (mut left, mut right) = (vec![0.0; hrtf.taps()], vec![0.0; hrtf.taps()]);
        let delays = hrtf.filters(azimuth, &mut left, &mut right);
        ([left, right], delays)
    }

    fn energy(ir: &[f32]) -> f64 {
        ir.iter().map(|&s| f64::from(s) * f64::from(s)).sum()
    }

    fn db(ratio: f64) -> f64 {
        10.0 * ratio.log10()
    }

    /// Energy of `ir` between `low` and `high` Hz, from its spectrum sampled every 25 Hz.
    fn band_energy(ir: &[f32], rate: u32, low: f64, high: f64) -> f64 {
        let mut energy = 0.0;
        let mut hz = low;
        while hz < high {
            let w = 2.0 * PI * hz / f64::from(rate);
            let (re, im) = ir.iter().enumerate().fold((0.0, 0.0), |(re, im), (n, &s)| {
                let phase = w * n as f64;
                (re + f64::from(s) * phase.cos(), im - f64::from(s) * phase.sin())
            });
            energy += re * re + im * im;
            hz += 25.0;
        }
        energy
    }

    /// The stored rates and one that is resampled.
    fn all_rates() -> Vec<Hrtf> {
        [44100, 48000, 96000]
            .map(|rate| Hrtf::kemar(rate).unwrap())
            .into()
    }

    #[test]
    fn kemar_holds_both_rates_compactly() {
        assert!(KEMAR.len() < 200_000, "{} bytes", KEMAR.len());
        let sets = parse_sets(KEMAR).unwrap();
        let rates: Vec<u32> = sets.iter().map(Hrtf::sample_rate).collect();
        assert_eq!(rates, [44100, 48000]);
        for set in &sets {
            assert_eq!(set.azimuths.len(), 72);
            assert!(
                set.max_delay_s() > 0.0003 && set.max_delay_s() < 0.001,
                "{}",
                set.max_delay_s()
            );
        }
    }

    #[test]
    fn a_source_on_the_right_is_louder_and_earlier_on_the_right() {
        for hrtf in all_rates() {
            let ([left, right], (left_delay, right_delay)) = at(&hrtf, 90.0);
            let level = db(energy(&right) / energy(&left));
            assert!(
                level >= 6.0,
                "{} Hz: right only {level:.1} dB louder",
                hrtf.sample_rate()
            );
            assert_eq!(right_delay, 0.0);
            let itd_ms = (left_delay - right_delay) * 1000.0;
            assert!(
                (0.3..=0.9).contains(&itd_ms),
                "{} Hz: ITD {itd_ms} ms",
                hrtf.sample_rate()
            );
        }
    }

    #[test]
    fn a_source_on_the_left_is_the_mirror() {
        for hrtf in all_rates() {
            let ([left, right], (left_delay, right_delay)) = at(&hrtf, 270.0);
            let level = db(energy(&left) / energy(&right));
            assert!(
                level >= 6.0,
                "{} Hz: left only {level:.1} dB louder",
                hrtf.sample_rate()
            );
            assert_eq!(left_delay, 0.0);
            let itd_ms = (right_delay - left_delay) * 1000.0;
            assert!(
                (0.3..=0.9).contains(&itd_ms),
                "{} Hz: ITD {itd_ms} ms",
                hrtf.sample_rate()
            );
        }
    }

    #[test]
    fn front_and_back_are_balanced_but_sound_different() {
        for hrtf in all_rates() {
            let rate = hrtf.sample_rate();
            let tilt = |azimuth: f32| -> f64 {
                let ([left, right], (left_delay, right_delay)) = at(&hrtf, azimuth);
                let balance = db(energy(&left) / energy(&right));
                assert!(
                    balance.abs() <= 2.0,
                    "{rate} Hz, {azimuth} deg: ears {balance:.1} dB apart"
                );
                assert!(
                    (left_delay - right_delay).abs() < 0.0001,
                    "{rate} Hz, {azimuth} deg"
                );
                let high =
                    band_energy(&left, rate, 4000.0, 16000.0) + band_energy(&right, rate, 4000.0, 16000.0);
                let low = band_energy(&left, rate, 25.0, 1000.0) + band_energy(&right, rate, 25.0, 1000.0);
                db(high / low)
            };
            let difference = tilt(0.0) - tilt(180.0);
            assert!(
                difference.abs() >= 2.0,
                "{rate} Hz: front and back tilts differ by {difference:.1} dB"
            );
        }
    }

    #[test]
    fn between_two_directions_lies_between_them() {
        let hrtf = Hrtf::kemar(48000).unwrap();
        let (front, front_delays) = at(&hrtf, 0.0);
        let (next, next_delays) = at(&hrtf, 5.0);
        let (mid, mid_delays) = at(&hrtf, 2.5);
        for ear in 0..2 {
            for ((&m, &a), &b) in mid[ear].iter().zip(&front[ear]).zip(&next[ear]) {
                assert!(
                    m >= a.min(b) - 1e-6 && m <= a.max(b) + 1e-6,
                    "{m} outside {a}..{b}"
                );
                assert!((m - (a + b) / 2.0).abs() < 1e-5, "2.5 deg is not halfway");
            }
        }
        assert_ne!(front, next, "5 deg apart should differ");
        let between = |m: f32, a: f32, b: f32| m >= a.min(b) && m <= a.max(b);
        assert!(between(mid_delays.0, front_delays.0, next_delays.0));
        assert!(between(mid_delays.1, front_delays.1, next_delays.1));
    }

    #[test]
    fn azimuths_wrap_around() {
        let hrtf = Hrtf::kemar(44100).unwrap();
        assert_eq!(at(&hrtf, -90.0), at(&hrtf, 270.0));
        assert_eq!(at(&hrtf, 450.0), at(&hrtf, 90.0));
        assert_eq!(at(&hrtf, f32::NAN), at(&hrtf, 0.0));
        // Between the last direction (355) and the first (0).
        let (mid, _) = at(&hrtf, 357.5);
        let ((last, _), (first, _)) = (at(&hrtf, 355.0), at(&hrtf, 0.0));
        for ((&m, &a), &b) in mid[1].iter().zip(&last[1]).zip(&first[1]) {
            assert!((m - (a + b) / 2.0).abs() < 1e-5);
        }
    }

    #[test]
    fn resampling_keeps_the_response() {
        let stored = Hrtf::kemar(48000).unwrap();
        // Up, and down to a band that ends below 16 kHz.
        for (rate, top_hz) in [(96000, 16000.0), (32000, 12000.0)] {
            let resampled = Hrtf::kemar(rate).unwrap();
            let duration = |hrtf: &Hrtf| hrtf.taps() as f64 / f64::from(hrtf.sample_rate());
            assert!((duration(&resampled) - duration(&stored)).abs() < 1.0 / f64::from(rate));
            assert_eq!(resampled.max_delay_s(), stored.max_delay_s());
            for azimuth in [0.0, 90.0, 225.0] {
                let ((a, _), (b, _)) = (at(&stored, azimuth), at(&resampled, azimuth));
                for ear in 0..2 {
                    // Per band: a response can keep its total and still tilt.
                    for (low, high) in [(100.0, 1000.0), (1000.0, 4000.0), (4000.0, top_hz)] {
                        let band = |ir: &[f32], rate| band_energy(ir, rate, low, high);
                        let change = db(band(&b[ear], rate) / band(&a[ear], 48000));
                        assert!(
                            change.abs() < 0.5,
                            "{rate} Hz, {azimuth} deg, ear {ear}, {low} Hz: {change:.2} dB"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn unsupported_rates_are_errors() {
        for rate in [0, 7999, 384_001, u32::MAX] {
            assert!(matches!(Hrtf::kemar(rate), Err(HrtfError::UnsupportedRate(r)) if r == rate));
        }
    }

    /// A valid file of one set: 2 directions of 3 taps at 48 kHz.
    fn tiny_file() -> Vec<u8> {
        let mut bytes = MAGIC.to_vec();
        let values: [u32; 4] = [1, 48000, 2, 3];
        values
            .iter()
            .for_each(|v| bytes.extend_from_slice(&v.to_le_bytes()));
        let directions: [[f32; 9]; 2] = [
            [0.0, 0.0, 0.0, 1.0, 0.5, 0.0, 1.0, 0.5, 0.0],
            [180.0, 0.0, 0.0, 0.5, 0.2, 0.1, 0.5, 0.2, 0.1],
        ];
        directions
            .iter()
            .flatten()
            .for_each(|v| bytes.extend_from_slice(&v.to_le_bytes()));
        bytes
    }

    #[test]
    fn a_tiny_file_parses_and_interpolates() {
        let hrtf = Hrtf::from_bytes(&tiny_file(), 48000).unwrap();
        assert_eq!((hrtf.taps(), hrtf.max_delay_s()), (3, 0.0));
        let ([left, _], _) = at(&hrtf, 270.0);
        for (got, want) in left.iter().zip([0.75, 0.35, 0.05]) {
            assert!((got - want).abs() < 1e-6, "{left:?}");
        }
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = tiny_file();
        for len in 0..bytes.len() {
            assert!(Hrtf::from_bytes(&bytes[..len], 48000).is_err(), "{len} bytes");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            Hrtf::from_bytes(&longer, 48000),
            Err(HrtfError::TrailingBytes(1))
        ));
        for len in [0, KEMAR.len() / 2, KEMAR.len() - 1] {
            assert!(
                Hrtf::from_bytes(&KEMAR[..len], 48000).is_err(),
                "{len} bytes of KEMAR"
            );
        }
    }

    #[test]
    fn garbage_is_an_error() {
        let with = |offset: usize, value: &[u8]| {
            let mut bytes = tiny_file();
            bytes[offset..offset + value.len()].copy_from_slice(value);
            Hrtf::from_bytes(&bytes, 48000)
        };
        assert!(matches!(with(0, b"PPHRTF02"), Err(HrtfError::BadMagic)));
        assert!(matches!(with(8, &0u32.to_le_bytes()), Err(HrtfError::NoSets)));
        assert!(matches!(
            with(8, &u32::MAX.to_le_bytes()),
            Err(HrtfError::Truncated(_))
        ));
        assert!(matches!(
            with(12, &0u32.to_le_bytes()),
            Err(HrtfError::InvalidSet { .. })
        ));
        assert!(matches!(
            with(16, &u32::MAX.to_le_bytes()),
            Err(HrtfError::Truncated(_))
        ));
        assert!(matches!(
            with(20, &u32::MAX.to_le_bytes()),
            Err(HrtfError::Truncated(_))
        ));
        assert!(matches!(
            with(20, &0u32.to_le_bytes()),
            Err(HrtfError::InvalidSet { .. })
        ));
        // Second azimuth not after the first; a negative delay; a NaN sample.
        assert!(matches!(
            with(60, &0f32.to_le_bytes()),
            Err(HrtfError::InvalidSet { .. })
        ));
        assert!(matches!(
            with(28, &(-1f32).to_le_bytes()),
            Err(HrtfError::InvalidSet { .. })
        ));
        assert!(matches!(
            with(36, &f32::NAN.to_le_bytes()),
            Err(HrtfError::InvalidSet { .. })
        ));
        // Pseudo-random bytes after a valid magic, in many lengths.
        let mut state = 0x2545_f491_u32;
        for len in 0..512 {
            let mut bytes = MAGIC.to_vec();
            bytes.extend((0..len).map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state as u8
            }));
            assert!(Hrtf::from_bytes(&bytes, 48000).is_err());
        }
    }
}
