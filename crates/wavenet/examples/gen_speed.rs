//! Fast-generation throughput: samples per second and real-time factor (samples/s ÷ model
//! rate) for a preset, one stream and a batch. Generation runs on one core.
//! Usage: cargo run --release -p photophone-wavenet --example gen_speed -- [small|ibab] [SECONDS] [BATCH]
use photophone_wavenet::generate::{generate, Request};
use photophone_wavenet::{Config, Model};
use std::time::Instant;

fn main() {
    let preset = std::env::args().nth(1).unwrap_or_else(|| "small".into());
    let seconds: f64 = std::env::args().nth(2).map(|s| s.parse().unwrap()).unwrap_or(2.0);
    let batch: usize = std::env::args().nth(3).map(|s| s.parse().unwrap()).unwrap_or(16);
    let config = Config::preset(&preset).expect("preset");
    let rate = config.sample_rate as f64;
    let model = Model::new(config, 1);
    for count in [1, batch] {
        let samples = (seconds * rate) as usize;
        let req = Request {
            samples,
            temperature: 1.0,
            seed: 1,
            count,
            prime: &[],
            local: None,
        };
        let t = Instant::now();
        let out = generate(&model, &req, |_| {});
        let s = t.elapsed().as_secs_f64();
        assert_eq!(out.len(), count);
        let per_s = (samples * count) as f64 / s;
        println!(
            "{preset}, {count} stream(s): {per_s:.0} samples/s in total, real-time factor {:.2} ({:.2} per stream)",
            per_s / rate,
            per_s / rate / count as f64
        );
    }
}
