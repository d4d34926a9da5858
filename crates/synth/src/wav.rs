//! WAV output: 16-bit PCM with deterministic TPDF dither, written to a temporary file beside
//! the target and renamed into place, so a failure never leaves a half-written file.

use crate::Audio;
use std::io::{Cursor, Write};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot write {path}: {reason}")]
    Io { path: String, reason: String },
}

/// TPDF dither for sample `i`: the difference of two uniform values from a counter-based
/// hash, so the result is deterministic and the conversion can run on several threads.
fn dither(i: u64) -> f32 {
    let z = photophone_rng::counter_hash(i);
    let a = (z >> 40) as f32 / (1u64 << 24) as f32;
    let b = ((z >> 8) & 0xFF_FFFF) as f32 / (1u64 << 24) as f32;
    a - b
}

fn to_i16(samples: &[f32], first_index: usize, out: &mut [i16]) {
    for (k, (o, &x)) in out.iter_mut().zip(samples).enumerate() {
        let v = (x * 32767.0 + dither((first_index + k) as u64)).clamp(-32768.0, 32767.0);
        *o = round_to_nearest(v) as i16;
    }
}

/// Rounds |x| < 2²² to the nearest integer (ties to even): adding and removing 1.5 × 2²³
/// leaves no fraction bits. The same as `round` except at exact halves, which dithered
/// samples practically never are; `round` is a library call per sample on baseline x86-64,
/// and was a fifth of encoding.
#[inline(always)]
fn round_to_nearest(x: f32) -> f32 {
    const SHIFT: f32 = 12_582_912.0;
    (x + SHIFT) - SHIFT
}

/// Encodes interleaved stereo as a 16-bit WAV file in memory.
pub fn encode_wav(audio: &Audio) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: audio.sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    // Quantise on two threads (a 30 s render is 2.6 M samples).
    let mut pcm = vec![0i16; audio.samples.len()];
    let half = (audio.samples.len() / 2) & !1;
    let (a, b) = pcm.split_at_mut(half);
    std::thread::scope(|s| {
        s.spawn(|| to_i16(&audio.samples[..half], 0, a));
        to_i16(&audio.samples[half..], half, b);
    });
    let mut bytes = Vec::with_capacity(44 + pcm.len() * 2);
    {
        let mut w = hound::WavWriter::new(Cursor::new(&mut bytes), spec).expect("in-memory WAV header");
        let mut i16w = w.get_i16_writer(pcm.len() as u32);
        for &v in &pcm {
            i16w.write_sample(v);
        }
        i16w.flush().expect("in-memory WAV");
        w.finalize().expect("in-memory WAV");
    }
    bytes
}

/// Encodes mono samples in [-1, 1] as a 16-bit WAV file in memory (no dither: for model output
/// that is already quantised).
pub fn encode_wav_mono(samples: &[f32], sample_rate: u32) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut bytes = Vec::with_capacity(44 + samples.len() * 2);
    {
        let mut w = hound::WavWriter::new(Cursor::new(&mut bytes), spec).expect("in-memory WAV header");
        let mut i16w = w.get_i16_writer(samples.len() as u32);
        for &x in samples {
            i16w.write_sample((x * 32767.0).round().clamp(-32768.0, 32767.0) as i16);
        }
        i16w.flush().expect("in-memory WAV");
        w.finalize().expect("in-memory WAV");
    }
    bytes
}

/// Writes bytes to `path` atomically: a temporary file in the same directory, then a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let err = |reason: String| WriteError::Io {
        path: path.display().to_string(),
        reason,
    };
    if path.is_dir() {
        return Err(err("is a directory".into()));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".photophone-")
        .suffix(".part")
        .tempfile_in(dir)
        .map_err(|e| err(e.to_string()))?;
    tmp.write_all(bytes).map_err(|e| err(e.to_string()))?;
    // Temporary files are created private (0600); the result should be an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = tmp
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    tmp.as_file().sync_all().map_err(|e| err(e.to_string()))?;
    tmp.persist(path).map_err(|e| err(e.error.to_string()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_to_the_nearest_integer() {
        let mut x = -32768.0f32;
        while x <= 32767.0 {
            assert_eq!(round_to_nearest(x), x.round_ties_even(), "{x}");
            x += 0.123;
        }
        for x in [-32768.0, -2.5, -0.5, -0.49, 0.0, 0.49, 0.5, 1.5, 32767.0, 32766.5] {
            assert_eq!(round_to_nearest(x), x.round_ties_even(), "{x}");
        }
    }
}
