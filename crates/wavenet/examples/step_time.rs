//! Median milliseconds of one forward+backward pass (no optimizer) for a preset.
//! Usage: cargo run --release -p photophone-wavenet --example step_time -- [small|ibab|tiny] [STEPS]
use photophone_wavenet::{forward_backward, Conditioning, Config, Model, Workspace};
use std::time::Instant;

fn main() {
    let preset = std::env::args().nth(1).unwrap_or_else(|| "small".into());
    let steps: usize = std::env::args().nth(2).map(|s| s.parse().unwrap()).unwrap_or(5);
    let config = Config::preset(&preset).expect("preset");
    let model = Model::new(config.clone(), 1);
    let mut ws = Workspace::new(&config, config.sample_size);
    let x: Vec<u32> = (0..=ws.inputs)
        .map(|i| ((i * 31 + i / 7) % config.quantization_channels) as u32)
        .collect();
    let mut grads = vec![0f32; model.num_params()];
    let mut times = Vec::new();
    for _ in 0..steps + 1 {
        grads.fill(0.0);
        let t = Instant::now();
        forward_backward(
            &model,
            &mut ws,
            &x,
            Conditioning::default(),
            &mut grads,
            1.0 / config.sample_size as f32,
        );
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.remove(0);
    times.sort_by(f64::total_cmp);
    println!(
        "{preset}: median {:.1} ms per forward+backward ({} params, window {})",
        times[times.len() / 2],
        model.num_params(),
        config.sample_size
    );
}
