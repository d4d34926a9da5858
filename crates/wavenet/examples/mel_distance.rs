//! The log-mel distance of the 8-second experiment between two clips (both resampled to
//! 16 kHz mono, aligned at their first sample, cut to the shorter): mean absolute dB
//! difference over 64 mel bands (`compare::mel_distance_db`). With `--mu-law` both go
//! through 256-class mu-law first, as the experiment's reference and every generation do.
//! `--per-band` also prints the mean difference of each band, low to high, to see where a
//! distance comes from.
//! Usage: cargo run --release -p photophone-wavenet --example mel_distance -- [--mu-law] [--per-band] A.wav B.wav
use photophone_wavenet::{audio, compare, mulaw};
use std::path::Path;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut flag = |name: &str| {
        let found = args.iter().position(|a| a == name);
        found.map(|i| args.remove(i)).is_some()
    };
    let (mu_law, per_band) = (flag("--mu-law"), flag("--per-band"));
    if args.len() != 2 {
        eprintln!("usage: mel_distance [--mu-law] [--per-band] A.wav B.wav");
        std::process::exit(2);
    }
    let load = |p: &str| {
        let (x, rate) = audio::decode_mono(Path::new(p)).unwrap_or_else(|e| {
            eprintln!("error: {e}");
            std::process::exit(2)
        });
        let x = audio::resample(&x, rate, 16_000);
        if mu_law {
            x.iter()
                .map(|&v| mulaw::decode(mulaw::encode(v, 256), 256))
                .collect()
        } else {
            x
        }
    };
    let (a, b) = (load(&args[0]), load(&args[1]));
    println!("{:.2} dB", compare::mel_distance_db(&a, &b, 16_000, 64));
    if per_band {
        let bands: Vec<String> = compare::mel_distance_per_band_db(&a, &b, 16_000, 64)
            .iter()
            .map(|d| format!("{d:.1}"))
            .collect();
        println!("per band (dB, low to high): {}", bands.join(" "));
    }
}
