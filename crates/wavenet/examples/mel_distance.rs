//! The log-mel distance of the 8-second experiment between two clips (both resampled to
//! 16 kHz mono, aligned at their first sample, cut to the shorter): mean absolute dB
//! difference over 64 mel bands (`compare::mel_distance_db`).
//! Usage: cargo run --release -p photophone-wavenet --example mel_distance -- A.wav B.wav
use photophone_wavenet::{audio, compare};
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 2 {
        eprintln!("usage: mel_distance A.wav B.wav");
        std::process::exit(2);
    }
    let load = |p: &str| {
        let (x, rate) = audio::decode_mono(Path::new(p)).unwrap_or_else(|e| {
            eprintln!("error: {e}");
            std::process::exit(2)
        });
        audio::resample(&x, rate, 16_000)
    };
    let (a, b) = (load(&args[0]), load(&args[1]));
    println!("{:.2} dB", compare::mel_distance_db(&a, &b, 16_000, 64));
}
