//! Rendering with a learnt timbre (`photophone render --timbre`): the ambient arrangement's
//! lead line is played by the timbre — pitch and loudness curves made from the score's notes
//! with the training clip's articulation — and the rest is rendered as always; the mix is
//! mastered as always (−16 LUFS, peak ≤ −1 dBFS).

use crate::{analysis, compose, synth, Options, Photo, Rendering, Timings};
use compose::Arrangement;
use photophone_timbre::perform::Note;
use photophone_timbre::Timbre;
use std::time::Instant;

/// The layers a timbre plays in a score (empty: none fits, e.g. the classic style).
pub fn timbre_layers(score: &compose::Score) -> Vec<&'static str> {
    match &score.arrangement {
        Arrangement::Ambient(a) if !a.lead.is_empty() => vec!["lead"],
        _ => Vec::new(),
    }
}

/// The lead line's loudness relative to the rest of the mix (LUFS difference).
const LEAD_OVER_REST_DB: f64 = 0.0;
/// Fades at the line's ends (s), so a note cut by the end of the piece does not click.
const FADE_IN_S: f64 = 0.02;
const FADE_OUT_S: f64 = 0.5;

/// Analyses, composes, and renders with `timbre` playing the lead line.
pub fn render_with_timbre(photo: &Photo, options: &Options, timbre: &Timbre) -> Rendering {
    let t0 = Instant::now();
    let analysis = analysis::analyze(photo);
    let t1 = Instant::now();
    let score = compose::compose(photo, &analysis, options.style, options.seconds, options.seed);
    let t2 = Instant::now();
    let rate = options.sample_rate;
    let mastered = match &score.arrangement {
        Arrangement::Ambient(a) if !a.lead.is_empty() => {
            let mut rest = score.clone();
            if let Arrangement::Ambient(r) = &mut rest.arrangement {
                r.lead_level = 0.0;
            }
            let notes: Vec<Note> = a
                .lead
                .iter()
                .map(|n| Note {
                    start: n.start,
                    duration: n.duration,
                    midi: n.midi,
                    velocity: n.velocity,
                })
                .collect();
            // The timbre line on this thread while the rest renders on another.
            let ((mut audio, rest_lufs), mut lead) = std::thread::scope(|s| {
                let rest = s.spawn(|| synth::render_raw(&rest, rate));
                let lead = timbre.play_at(&notes, score.seconds, rate);
                (rest.join().expect("render thread"), lead)
            });
            fade(&mut lead, rate);
            let stereo: Vec<f32> = lead.iter().flat_map(|&v| [v, v]).collect();
            let lead_lufs = synth::loudness_lufs(&stereo, rate);
            let gain = if lead_lufs.is_finite() && rest_lufs.is_finite() {
                10f64.powf((rest_lufs + LEAD_OVER_REST_DB - lead_lufs) / 20.0) as f32
            } else {
                1.0
            };
            for (o, l) in audio.samples.iter_mut().zip(&stereo) {
                *o += gain * l;
            }
            let loudness = synth::loudness_lufs(&audio.samples, rate);
            synth::master(audio, loudness)
        }
        _ => synth::render(&score, rate),
    };
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

fn fade(x: &mut [f32], rate: u32) {
    let (fin, fout) = (
        (FADE_IN_S * rate as f64) as usize,
        (FADE_OUT_S * rate as f64) as usize,
    );
    let n = x.len();
    for (i, v) in x.iter_mut().take(fin.min(n)).enumerate() {
        *v *= i as f32 / fin as f32;
    }
    for (i, v) in x.iter_mut().rev().take(fout.min(n)).enumerate() {
        *v *= i as f32 / fout as f32;
    }
}
