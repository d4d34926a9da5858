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

/// Encodes interleaved stereo as a 16-bit WAV file in memory.
pub fn encode_wav(audio: &Audio) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: audio.sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut bytes = Vec::with_capacity(44 + audio.samples.len() * 2);
    {
        let mut w = hound::WavWriter::new(Cursor::new(&mut bytes), spec).expect("in-memory WAV header");
        let mut i16w = w.get_i16_writer(audio.samples.len() as u32);
        // TPDF dither from a fixed-seed xorshift: deterministic output for identical input.
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut rnd = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 24) as f32
        };
        for &x in &audio.samples {
            let d = rnd() - rnd();
            let v = (x * 32767.0 + d).round().clamp(-32768.0, 32767.0);
            i16w.write_sample(v as i16);
        }
        i16w.flush().expect("in-memory WAV");
        w.finalize().expect("in-memory WAV");
    }
    bytes
}

/// Writes bytes to `path` atomically: a temporary file in the same directory, then a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let err = |reason: String| WriteError::Io { path: path.display().to_string(), reason };
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
        let _ = tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    tmp.as_file().sync_all().map_err(|e| err(e.to_string()))?;
    tmp.persist(path).map_err(|e| err(e.error.to_string()))?;
    Ok(())
}
