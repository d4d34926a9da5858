//! Training audio: any common format (WAV, FLAC, OGG/Vorbis, MP3 via symphonia), mixed to
//! mono, resampled to the model rate (rubato), leading and trailing silence trimmed.

use rubato::{
    FftFixedIn, Resampler, SincFixedIn, SincInterpolationParameters, SincInterpolationType, WindowFunction,
};
use std::path::{Path, PathBuf};
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::DecoderOptions;
use symphonia::core::errors::Error as SymErr;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::io::ReadBytes;

pub use crate::audio_error::{AudioError, Corrupt, Unsupported};

fn io_error(path: &Path, source: std::io::Error) -> AudioError {
    AudioError::Io {
        path: path.display().to_string(),
        source,
    }
}

const EXTENSIONS: [&str; 7] = ["wav", "wave", "flac", "ogg", "oga", "mp3", "aiff"];

/// The audio files of a path: the file itself, or a folder's audio files in name order.
pub fn audio_files(path: &Path) -> Result<Vec<PathBuf>, AudioError> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => AudioError::NotFound {
            path: path.display().to_string(),
        },
        _ => io_error(path, e),
    })?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| io_error(path, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(AudioError::NoAudioFiles {
            path: path.display().to_string(),
        });
    }
    Ok(files)
}

/// Decodes a file to mono samples at its own rate.
pub fn decode_mono(path: &Path) -> Result<(Vec<f32>, u32), AudioError> {
    let bytes = std::fs::read(path).map_err(|e| io_error(path, e))?;
    decode_mono_bytes(bytes, &path.display().to_string())
}

/// Decodes audio held in memory (the container is told by its first bytes); errors name it
/// `label`.
pub fn decode_mono_bytes(bytes: Vec<u8>, label: &str) -> Result<(Vec<f32>, u32), AudioError> {
    if bytes.is_empty() {
        return Err(AudioError::corrupt(label, Corrupt::Empty));
    }
    if let Some(problem) = crate::audio_guard::implausible_metadata(&bytes) {
        return Err(AudioError::corrupt(label, Corrupt::Metadata(problem)));
    }
    let corrupt = |e: SymErr| AudioError::corrupt(label, Corrupt::Decode(e));
    let kind = crate::audio_guard::container(&bytes)
        .ok_or_else(|| AudioError::unsupported(label, Unsupported::Format))?;
    let start = crate::audio_guard::audio_start(&bytes, kind);
    let mss = MediaSourceStream::new(Box::new(std::io::Cursor::new(bytes)), Default::default());
    let mut mss = mss;
    if start > 0 {
        mss.ignore_bytes(start as u64)
            .map_err(|e| corrupt(SymErr::IoError(e)))?;
    }
    // The reader the first bytes name, rather than symphonia's probe: the probe searches the
    // whole file for any marker and reads metadata (ID3v2 frames, Vorbis comments) with
    // declared lengths it does not check (see audio_guard.rs).
    let options = FormatOptions::default();
    use crate::audio_guard::Container;
    use symphonia::default::formats::{FlacReader, MpaReader, OggReader, WavReader};
    let format: Box<dyn FormatReader> = match kind {
        Container::Wav => Box::new(WavReader::try_new(mss, &options).map_err(corrupt)?),
        Container::Flac => Box::new(FlacReader::try_new(mss, &options).map_err(corrupt)?),
        Container::Ogg => Box::new(OggReader::try_new(mss, &options).map_err(corrupt)?),
        Container::Mpeg => Box::new(MpaReader::try_new(mss, &options).map_err(corrupt)?),
    };
    decode_format(format, label)
}

fn decode_format(mut format: Box<dyn FormatReader>, label: &str) -> Result<(Vec<f32>, u32), AudioError> {
    let track = format
        .default_track()
        .ok_or_else(|| AudioError::unsupported(label, Unsupported::NoTrack))?;
    let track_id = track.id;
    let rate = track
        .codec_params
        .sample_rate
        .ok_or_else(|| AudioError::unsupported(label, Unsupported::UnknownRate))?;
    if !(1_000..=768_000).contains(&rate) {
        return Err(AudioError::unsupported(label, Unsupported::Rate(rate)));
    }
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .map_err(|e| AudioError::unsupported(label, Unsupported::Codec(e)))?;
    let mut mono = Vec::new();
    loop {
        let packet = match format.next_packet() {
            Ok(p) => p,
            Err(SymErr::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(SymErr::ResetRequired) => break,
            Err(e) => return Err(AudioError::corrupt(label, Corrupt::Decode(e))),
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = decoder
            .decode(&packet)
            .map_err(|e| AudioError::corrupt(label, Corrupt::Decode(e)))?;
        let spec = *decoded.spec();
        let channels = spec.channels.count().max(1);
        let mut buf = SampleBuffer::<f32>::new(decoded.capacity() as u64, spec);
        buf.copy_interleaved_ref(decoded);
        mono.extend(
            buf.samples()
                .chunks_exact(channels)
                .map(|f| f.iter().sum::<f32>() / channels as f32),
        );
    }
    if mono.is_empty() {
        return Err(AudioError::corrupt(label, Corrupt::NoSamples));
    }
    if mono.iter().any(|x| !x.is_finite()) {
        return Err(AudioError::corrupt(label, Corrupt::NonFinite));
    }
    Ok((mono, rate))
}

/// Band-limited resampling with rubato (FFT-based where the rates share a factor, sinc otherwise).
pub fn resample(x: &[f32], from: u32, to: u32) -> Vec<f32> {
    if from == to || x.is_empty() || from == 0 || to == 0 {
        return x.to_vec();
    }
    // The FFT resampler for rates with a common factor (44.1 and 48 kHz to 16 kHz: exact and
    // fast); for rates without one (say 44,101 Hz) its FFT sizes grow with the rates
    // themselves (a fuzzed WAV took seconds and hundreds of MB), so those get a sinc resampler.
    let gcd = {
        let (mut a, mut b) = (from, to);
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    };
    if from / gcd <= 4096 && to / gcd <= 4096 {
        run(
            FftFixedIn::<f32>::new(from as usize, to as usize, 1024, 2, 1).expect("valid resampler settings"),
            x,
            from,
            to,
        )
    } else {
        let params = SincInterpolationParameters {
            sinc_len: 128,
            f_cutoff: 0.95,
            oversampling_factor: 256,
            interpolation: SincInterpolationType::Cubic,
            window: WindowFunction::BlackmanHarris2,
        };
        let r = SincFixedIn::<f32>::new(to as f64 / from as f64, 1.0, params, 1024, 1)
            .expect("valid resampler settings");
        run(r, x, from, to)
    }
}

fn run(mut r: impl Resampler<f32>, x: &[f32], from: u32, to: u32) -> Vec<f32> {
    let delay = r.output_delay();
    let mut out = Vec::with_capacity(x.len() * to as usize / from as usize + 2048);
    let mut pos = 0;
    while pos + r.input_frames_next() <= x.len() {
        let n = r.input_frames_next();
        out.extend_from_slice(&r.process(&[&x[pos..pos + n]], None).expect("resample")[0]);
        pos += n;
    }
    if pos < x.len() {
        out.extend_from_slice(&r.process_partial(Some(&[&x[pos..]]), None).expect("resample")[0]);
    }
    out.extend_from_slice(&r.process_partial::<&[f32]>(None, None).expect("resample")[0]);
    let expected = (x.len() as u64 * to as u64 / from as u64) as usize;
    out.drain(..delay.min(out.len()));
    out.truncate(expected);
    out
}

/// Drops leading and trailing samples quieter than 40 dB under the clip's peak.
pub fn trim_silence(x: &[f32]) -> &[f32] {
    let peak = x.iter().fold(0f32, |m, v| m.max(v.abs()));
    let threshold = peak * 0.01;
    let start = x.iter().position(|v| v.abs() > threshold).unwrap_or(x.len());
    let end = x
        .iter()
        .rposition(|v| v.abs() > threshold)
        .map_or(start, |e| e + 1);
    &x[start..end.max(start)]
}

/// Loads a clip or folder for a model: mono, at `rate`, trimmed.
pub fn load_clips(path: &Path, rate: u32) -> Result<Vec<Vec<f32>>, AudioError> {
    let mut clips = Vec::new();
    for f in audio_files(path)? {
        let (x, from) = decode_mono(&f)?;
        let y = resample(&x, from, rate);
        let trimmed = trim_silence(&y);
        if trimmed.is_empty() {
            return Err(AudioError::Silent {
                path: f.display().to_string(),
            });
        }
        clips.push(trimmed.to_vec());
    }
    Ok(clips)
}
