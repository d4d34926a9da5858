//! Scores generated audio against the clip a model was trained on (the 8-second experiment).
//! Usage: clip_report CLIP MODEL_DIR PRIME_SECONDS FREE.wav [MEL_MODEL_DIR RESYNTH.wav]
//!   MODEL_DIR     the unconditioned model: its teacher-forced accuracy over the whole clip
//!   FREE.wav      free-running generation that continues CLIP after its first PRIME_SECONDS
//!   MEL_MODEL_DIR the mel-conditioned model: its teacher-forced accuracy, fed the clip's mel
//!   RESYNTH.wav   its re-synthesis of CLIP from its start
//! Prints one line per figure and exits 1 when a goal of the experiment is missed.
use photophone_wavenet::{audio, checkpoint, compare, features, generate, mulaw, Model};
use std::path::Path;

const BANDS: usize = 64;

fn load(path: &str, rate: u32) -> Vec<f32> {
    let (x, from) = audio::decode_mono(Path::new(path)).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    });
    audio::resample(&x, from, rate)
}

fn load_model(dir: &str) -> Model {
    checkpoint::load(Path::new(dir))
        .unwrap_or_else(|e| {
            eprintln!("error: {e}");
            std::process::exit(2)
        })
        .model
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 4 {
        eprintln!("usage: clip_report CLIP MODEL_DIR PRIME_SECONDS FREE.wav [MEL_MODEL_DIR RESYNTH.wav]");
        std::process::exit(2);
    }
    let model = load_model(&args[1]);
    let rate = model.config.sample_rate;
    let q = model.config.quantization_channels;
    let prime_s: f32 = args[2].parse().expect("PRIME_SECONDS");
    // The clip exactly as training and priming saw it: mono, resampled, trimmed.
    let clip = audio::load_clips(Path::new(&args[0]), rate)
        .unwrap_or_else(|e| {
            eprintln!("error: {e}");
            std::process::exit(2)
        })
        .swap_remove(0);

    let mut ok = true;
    let classes: Vec<u32> = clip.iter().map(|&v| mulaw::encode(v, q)).collect();
    let accuracy = generate::teacher_forced_accuracy(&model, &classes, None);
    println!(
        "teacher-forced next-sample accuracy over the whole clip (clean inputs): {:.1} % (goal >= 90 %)",
        accuracy * 100.0
    );
    ok &= accuracy >= 0.9;
    // The model hears and speaks 8-bit mu-law, whose quantisation noise alone fills the
    // quiet high bands of a clean clip: the reference is the clip as the model sees it, and
    // the distance to the clip itself is shown beside it.
    let mu: Vec<f32> = classes.iter().map(|&c| mulaw::decode(c, q)).collect();
    println!(
        "reference: the clip through {q}-class mu-law (it is {:.2} dB from the clip itself: the quantisation floor)",
        compare::mel_distance_db(&mu, &clip, rate, BANDS)
    );

    let free = load(&args[3], rate);
    let skip = (prime_s * rate as f32) as usize;
    let n = free.len().min(clip.len().saturating_sub(skip));
    let free = &free[..n];
    let (target, target_clean) = (&mu[skip..skip + n], &clip[skip..skip + n]);
    let noise = compare::loudness_matched_noise(target, 1);
    let d_free = compare::mel_distance_db(free, target, rate, BANDS);
    let d_noise = compare::mel_distance_db(&noise, target, rate, BANDS);
    let ratio = d_free / d_noise;
    let (c_free, c_noise) = (
        compare::mel_distance_db(free, target_clean, rate, BANDS),
        compare::mel_distance_db(&noise, target_clean, rate, BANDS),
    );
    println!(
        "free-running: {:.2} s after a {prime_s} s prime: log-mel distance {d_free:.2} dB, loudness-matched white noise {d_noise:.2} dB, ratio {ratio:.2} (goal <= 0.50); to the clip itself {c_free:.2} vs {c_noise:.2} dB, ratio {:.2}",
        n as f32 / rate as f32,
        c_free / c_noise
    );
    ok &= ratio <= 0.5;
    let windows = compare::windows(free, target, rate, BANDS, 0.5);
    let silent: Vec<String> = windows
        .iter()
        .filter(|w| w.is_silent())
        .map(|w| format!("{:.1}", w.start_s + prime_s))
        .collect();
    let blown: Vec<String> = windows
        .iter()
        .filter(|w| w.is_blow_up())
        .map(|w| format!("{:.1}", w.start_s + prime_s))
        .collect();
    let lost: Vec<String> = windows
        .iter()
        .filter(|w| w.is_lost())
        .map(|w| format!("{:.1}", w.start_s + prime_s))
        .collect();
    let worst = windows.iter().map(|w| w.distance_db).fold(0f32, f32::max);
    let level = windows.iter().map(|w| w.level_db);
    let (lo, hi) = level.fold((f32::MAX, f32::MIN), |(a, b), v| (a.min(v), b.max(v)));
    let flat = windows.iter().map(|w| w.flatness).fold(0f32, f32::max);
    println!(
        "free-running, per 0.5 s window: level {lo:+.1}..{hi:+.1} dB vs the clip, max flatness {flat:.3} (noise ~0.5), worst window {worst:.2} dB; silent at [{}] s, blown up at [{}] s, hardly closer than noise at [{}] s",
        silent.join(", "),
        blown.join(", "),
        lost.join(", ")
    );
    ok &= silent.is_empty() && blown.is_empty() && lost.is_empty();
    let per_window: Vec<String> = windows.iter().map(|w| format!("{:.1}", w.distance_db)).collect();
    println!(
        "free-running, distance per 0.5 s window (dB): {}",
        per_window.join(" ")
    );

    if let (Some(dir), Some(path)) = (args.get(4), args.get(5)) {
        let mel_model = load_model(dir);
        let c = &mel_model.config;
        let local = features::mel_conditioning(&clip, rate, c.local_condition_channels);
        let accuracy = generate::teacher_forced_accuracy(&mel_model, &classes, Some(&local));
        let resynth = load(path, rate);
        let d = compare::mel_distance_db(&resynth, &mu, rate, BANDS);
        println!(
            "mel-conditioned model: teacher-forced accuracy {:.1} %; re-synthesis: {:.2} s, log-mel distance {d:.2} dB (goal <= 3.00); to the clip itself {:.2} dB",
            accuracy * 100.0,
            resynth.len().min(clip.len()) as f32 / rate as f32,
            compare::mel_distance_db(&resynth, &clip, rate, BANDS)
        );
        ok &= d <= 3.0;
    }
    println!("{}", if ok { "all goals met" } else { "goal missed" });
    std::process::exit(if ok { 0 } else { 1 });
}
