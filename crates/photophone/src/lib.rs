//! photophone: photo → music.
//!
//! ```no_run
//! let photo = photophone::default_photo();
//! let options = photophone::Options::default();
//! // Whole piece, mastered to −16 LUFS:
//! let rendering = photophone::render(&photo, &options);
//! std::fs::write("coffee.wav", photophone::synth::wav::encode_wav(&rendering.mastered.audio)).unwrap();
//! // Or streaming, block by block, with a cross-fade to another photo:
//! let mut stream = photophone::stream(&photo, &options);
//! let mut block = vec![0.0f32; 2 * 4096];
//! stream.render(&mut block);
//! stream.switch_to(photophone::compose_photo(&photo, &photophone::Options { seed: 7, ..options }).1, 2.0);
//! ```
//!
//! The pipeline is three library crates, re-exported here: [`analysis`] (decode, measure),
//! [`compose`] (decide key, mode, tempo, notes — with reasons), [`synth`] (render, stream).
#![forbid(unsafe_code)]

pub use photophone_analysis as analysis;
pub use photophone_compose as compose;
pub use photophone_synth as synth;

pub use analysis::{Analysis, Photo, PhotoError};
pub use compose::{Score, Style};
pub use synth::{Mastered, Stream};

#[cfg(feature = "timbre")]
pub mod timbre;
#[cfg(feature = "timbre")]
pub use photophone_timbre::Timbre;

use serde::Serialize;
use std::time::{Duration, Instant};

/// The embedded default photo: "coffee" by Rachel Michetti, CC0, via scikit-image's sample
/// data (see assets/LICENSE-coffee.txt).
pub const DEFAULT_PHOTO_PNG: &[u8] = include_bytes!("../assets/coffee.png");
pub const DEFAULT_PHOTO_NAME: &str = "coffee";

pub fn default_photo() -> Photo {
    analysis::load_bytes(DEFAULT_PHOTO_PNG, DEFAULT_PHOTO_NAME).expect("the embedded photo decodes")
}

/// A large photo-like JPEG for benchmarks and tests (12 MP at 4000×3000): the embedded photo
/// scaled up with fine grain added, so the encoder and decoder see real-photo-like detail.
pub fn large_test_jpeg(width: u32, height: u32) -> Vec<u8> {
    let photo = default_photo();
    let full = photo
        .full
        .as_ref()
        .expect("the embedded photo is decoded in full");
    photo_like_jpeg(full, width, height, 0x1234_5678)
}

/// `source` scaled to `width`×`height` with fine grain (seeded) added, as a quality-90 JPEG:
/// benchmark photos of any size from small real ones.
pub fn photo_like_jpeg(source: &image::RgbImage, width: u32, height: u32, seed: u32) -> Vec<u8> {
    use image::{imageops, Rgb};
    let mut big = imageops::resize(source, width, height, imageops::FilterType::Triangle);
    let mut state = seed;
    for p in big.pixels_mut() {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let grain = ((state >> 24) % 13) as i16 - 6;
        *p = Rgb(p.0.map(|c| (c as i16 + grain).clamp(0, 255) as u8));
    }
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&big)
        .expect("encoding to memory cannot fail");
    out
}

/// What to make of a photo.
#[derive(Clone, Debug)]
pub struct Options {
    pub style: Style,
    pub seconds: f64,
    pub seed: u64,
    pub sample_rate: u32,
}

/// Options a user typed (CLI flags, Python keywords) that are out of range.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum OptionsError {
    #[error("seconds must be between 0 and 3600, got {0}")]
    Seconds(f64),
    #[error("rate must be between 8000 and 192000 Hz, got {0}")]
    SampleRate(u32),
}

impl Options {
    /// Options checked against the ranges every front end accepts.
    pub fn checked(style: Style, seconds: f64, seed: u64, sample_rate: u32) -> Result<Options, OptionsError> {
        if !seconds.is_finite() || seconds <= 0.0 || seconds > 3600.0 {
            return Err(OptionsError::Seconds(seconds));
        }
        if !(8_000..=192_000).contains(&sample_rate) {
            return Err(OptionsError::SampleRate(sample_rate));
        }
        Ok(Options {
            style,
            seconds,
            seed,
            sample_rate,
        })
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            style: Style::Ambient,
            seconds: 30.0,
            seed: 0,
            sample_rate: synth::DEFAULT_SAMPLE_RATE,
        }
    }
}

/// Wall time of each stage of a render.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Timings {
    pub analysis: Duration,
    pub composition: Duration,
    pub synthesis: Duration,
}

pub struct Rendering {
    pub analysis: Analysis,
    pub score: Score,
    pub mastered: Mastered,
    pub timings: Timings,
}

/// How much of a photo a style needs decoded: the ambient style reads only the area-averaged
/// copy (large JPEGs then decode at 1/2–1/8 scale), the classic mapping full-resolution pixels.
pub fn resolution_for(style: Style) -> analysis::Resolution {
    match style {
        Style::Ambient => analysis::Resolution::AnalysisOnly,
        Style::Classic => analysis::Resolution::Full,
    }
}

/// Analyses and composes.
pub fn compose_photo(photo: &Photo, options: &Options) -> (Analysis, Score) {
    let analysis = analysis::analyze(photo);
    let score = compose::compose(photo, &analysis, options.style, options.seconds, options.seed);
    (analysis, score)
}

/// Decodes a photo held in memory at the resolution the options' style needs (what
/// `photophone render` does with a file, so the same bytes give the same music).
pub fn load_for(bytes: &[u8], name: &str, options: &Options) -> Result<Photo, PhotoError> {
    analysis::load_bytes_at(bytes, name, resolution_for(options.style))
}

/// The WAV file `photophone render` writes for a rendering.
pub fn wav_bytes(rendering: &Rendering) -> Vec<u8> {
    synth::wav::encode_wav(&rendering.mastered.audio)
}

/// Analyses, composes and renders the whole piece.
pub fn render(photo: &Photo, options: &Options) -> Rendering {
    render_by(photo, options, |score| synth::render(score, options.sample_rate))
}

/// Analyses and composes, then `synthesise`s the score, timing each stage.
pub(crate) fn render_by(
    photo: &Photo,
    options: &Options,
    synthesise: impl FnOnce(&Score) -> synth::Mastered,
) -> Rendering {
    let t0 = Instant::now();
    let analysis = analysis::analyze(photo);
    let t1 = Instant::now();
    let score = compose::compose(photo, &analysis, options.style, options.seconds, options.seed);
    let t2 = Instant::now();
    let mastered = synthesise(&score);
    let t3 = Instant::now();
    Rendering {
        analysis,
        score,
        mastered,
        timings: Timings {
            analysis: t1 - t0,
            composition: t2 - t1,
            synthesis: t3 - t2,
        },
    }
}

/// A real-time stream of the photo's music.
pub fn stream(photo: &Photo, options: &Options) -> Stream {
    let (_, score) = compose_photo(photo, options);
    Stream::new(score, options.sample_rate)
}

/// `photophone analyze --json`: schema documented in the README.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub photo: PhotoInfo,
    pub analysis: Analysis,
    pub music: MusicSummary,
    pub classic: ClassicSummary,
}

#[derive(Clone, Debug, Serialize)]
pub struct PhotoInfo {
    pub name: String,
    pub width: u32,
    pub height: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct MusicSummary {
    pub style: Style,
    pub key: Option<String>,
    pub tonic: Option<String>,
    pub mode: Option<compose::Mode>,
    pub tempo_bpm: Option<f32>,
    pub layers: Vec<String>,
    pub decisions: Vec<compose::Decision>,
    /// The layers a learnt timbre plays (`analyze --timbre`); absent without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timbre: Option<TimbreLayers>,
}

/// Which of the arrangement's layers a learnt timbre plays (its reasons are among the
/// decisions, topics "timbre …").
#[derive(Clone, Debug, Serialize)]
pub struct TimbreLayers {
    /// The timbre folder as given.
    pub path: String,
    /// "lead" and, where the instrument reaches low enough, "bass" (a line of chord roots in
    /// place of the drone); empty in the classic style.
    pub plays: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ClassicSummary {
    pub threshold: i32,
    pub feature_pixels: Vec<compose::ClassicFeaturePixel>,
}

/// Everything `analyze` reports, for the given style's musical decisions.
pub fn report(photo: &Photo, options: &Options) -> Report {
    report_and_score(photo, options).0
}

/// The report and the score it describes, from one analysis (what the web page needs: the
/// report to show, the score to play).
pub fn report_and_score(photo: &Photo, options: &Options) -> (Report, Score) {
    let (analysis, score) = compose_photo(photo, options);
    let feature_pixels = compose::classic_feature_pixels(photo);
    let music = match &score.arrangement {
        compose::Arrangement::Ambient(a) => MusicSummary {
            style: Style::Ambient,
            key: Some(a.key.name()),
            tonic: Some(compose::theory::NOTE_NAMES[a.key.tonic as usize].to_string()),
            mode: Some(a.key.mode),
            tempo_bpm: Some(a.tempo_bpm),
            layers: vec!["drone".into(), "pad".into(), "lead".into(), "texture".into()],
            decisions: score.decisions.clone(),
            timbre: None,
        },
        compose::Arrangement::Classic(_) => MusicSummary {
            style: Style::Classic,
            key: None,
            tonic: None,
            mode: None,
            tempo_bpm: None,
            layers: vec!["sine oscillators".into()],
            decisions: score.decisions.clone(),
            timbre: None,
        },
    };
    let report = Report {
        schema_version: 1,
        photo: PhotoInfo {
            name: photo.name.clone(),
            width: photo.width(),
            height: photo.height(),
        },
        analysis,
        music,
        classic: ClassicSummary {
            threshold: analysis::trackingjs::DEFAULT_THRESHOLD,
            feature_pixels,
        },
    };
    (report, score)
}
