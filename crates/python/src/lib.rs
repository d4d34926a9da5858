//! `photophone._native`: the photophone library for Python. Every function decodes the photo
//! from bytes the way `photophone render`/`analyze` decode a file and calls the same library
//! code, so the WAV, MIDI and JSON are byte-for-byte what the CLI writes. Work runs with the
//! GIL released, so Python threads (and Beam's DoFns) render in parallel.
//!
//! Documents (`analyze`, `score`) cross as JSON text, parsed by the Python wrapper
//! (`photophone/__init__.py`): the serialisation is then the CLI's own.

use photophone::{compose, Options, Photo, Style};
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

create_exception!(
    photophone,
    PhotoError,
    PyValueError,
    "A photo that cannot be used: empty, not an image, corrupt or truncated, or over the size \
     limits. The message is the one line `photophone` prints for the same file."
);

fn photo_error(e: photophone::PhotoError) -> PyErr {
    PhotoError::new_err(e.to_string())
}

fn options(style: &str, seconds: f64, seed: u64, rate: u32) -> PyResult<Options> {
    let style: Style = style.parse().map_err(PyValueError::new_err)?;
    Options::checked(style, seconds, seed, rate).map_err(|e| PyValueError::new_err(e.to_string()))
}

fn load(data: &[u8], options: &Options) -> Result<Photo, photophone::PhotoError> {
    photophone::load_for(data, "photo", options)
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).expect("photophone's documents serialise")
}

/// The `photophone analyze --json` document as JSON text (full-resolution decode, like the CLI).
#[pyfunction]
#[pyo3(signature = (data, style, seed, seconds, name))]
fn analyze_json(
    py: Python<'_>,
    data: &[u8],
    style: &str,
    seed: u64,
    seconds: f64,
    name: &str,
) -> PyResult<String> {
    let opts = options(style, seconds, seed, photophone::synth::DEFAULT_SAMPLE_RATE)?;
    py.detach(|| {
        let photo = photophone::analysis::load_bytes_at(data, name, photophone::analysis::Resolution::Full)?;
        Ok(json(&photophone::report(&photo, &opts)))
    })
    .map_err(photo_error)
}

/// The score (what plays, when, and why) as JSON text.
#[pyfunction]
#[pyo3(signature = (data, style, seed, seconds))]
fn score_json(py: Python<'_>, data: &[u8], style: &str, seed: u64, seconds: f64) -> PyResult<String> {
    let opts = options(style, seconds, seed, photophone::synth::DEFAULT_SAMPLE_RATE)?;
    py.detach(|| Ok(json(&photophone::compose_photo(&load(data, &opts)?, &opts).1)))
        .map_err(photo_error)
}

/// The WAV file `photophone render [--timbre T]` writes.
#[pyfunction]
#[pyo3(signature = (data, seconds, style, seed, rate, timbre=None))]
fn render<'py>(
    py: Python<'py>,
    data: &[u8],
    seconds: f64,
    style: &str,
    seed: u64,
    rate: u32,
    timbre: Option<std::path::PathBuf>,
) -> PyResult<Bound<'py, PyBytes>> {
    let opts = options(style, seconds, seed, rate)?;
    // A timbre that cannot be loaded is a ValueError with the CLI's line.
    let timbre = timbre
        .map(|dir| photophone::Timbre::load(&dir).map_err(|e| PyValueError::new_err(e.to_string())))
        .transpose()?;
    let wav = py
        .detach(|| {
            let photo = load(data, &opts)?;
            let rendering = match &timbre {
                Some(t) => photophone::timbre::render_with_timbre(&photo, &opts, t),
                None => photophone::render(&photo, &opts),
            };
            Ok(photophone::wav_bytes(&rendering))
        })
        .map_err(photo_error)?;
    Ok(PyBytes::new(py, &wav))
}

/// The Standard MIDI File `photophone render --midi` writes.
#[pyfunction]
#[pyo3(signature = (data, seconds, style, seed))]
fn midi<'py>(
    py: Python<'py>,
    data: &[u8],
    seconds: f64,
    style: &str,
    seed: u64,
) -> PyResult<Bound<'py, PyBytes>> {
    let opts = options(style, seconds, seed, photophone::synth::DEFAULT_SAMPLE_RATE)?;
    let smf = py
        .detach(|| {
            Ok(compose::midi::to_midi_bytes(
                &photophone::compose_photo(&load(data, &opts)?, &opts).1,
            ))
        })
        .map_err(photo_error)?;
    Ok(PyBytes::new(py, &smf))
}

/// One decode, one analysis: the report, and the WAV and/or MIDI when asked for (what a
/// batch needs per photo). The report describes the photo as decoded for rendering (large
/// JPEGs at reduced scale), i.e. the analysis the music was made from.
#[pyfunction]
#[pyo3(signature = (data, seconds, style, seed, rate, wav, midi))]
#[allow(clippy::type_complexity, clippy::too_many_arguments)] // the Python signature
fn process<'py>(
    py: Python<'py>,
    data: &[u8],
    seconds: f64,
    style: &str,
    seed: u64,
    rate: u32,
    wav: bool,
    midi: bool,
) -> PyResult<(String, Option<Bound<'py, PyBytes>>, Option<Bound<'py, PyBytes>>)> {
    let opts = options(style, seconds, seed, rate)?;
    let (report, wav, smf) = py
        .detach(|| {
            let photo = load(data, &opts)?;
            let (report, score) = photophone::report_and_score(&photo, &opts);
            let smf = midi.then(|| compose::midi::to_midi_bytes(&score));
            let wav = wav.then(|| {
                let mastered = photophone::synth::render(&score, opts.sample_rate);
                photophone::synth::wav::encode_wav(&mastered.audio)
            });
            Ok((json(&report), wav, smf))
        })
        .map_err(photo_error)?;
    let bytes = |b: Option<Vec<u8>>| b.map(|b| PyBytes::new(py, &b));
    Ok((report, bytes(wav), bytes(smf)))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("PhotoError", m.py().get_type::<PhotoError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(analyze_json, m)?)?;
    m.add_function(wrap_pyfunction!(score_json, m)?)?;
    m.add_function(wrap_pyfunction!(render, m)?)?;
    m.add_function(wrap_pyfunction!(midi, m)?)?;
    m.add_function(wrap_pyfunction!(process, m)?)?;
    Ok(())
}
