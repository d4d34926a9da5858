//! Median milliseconds of one training step (forward + backward + clipping + Adam) for a
//! preset, on random data, with the GEMM FLOP rate.
//! Usage: cargo run --release -p photophone-wavenet --features bench --example step_time -- [small|ibab|tiny] [STEPS]
use photophone_wavenet::math::{counters, matmul, View};
use photophone_wavenet::{Adam, Config, Dataset, Model, Trainer};
use std::time::Instant;

/// Multiply-adds of the GEMMs in one forward pass over a window with `t` outputs.
fn forward_macs(c: &Config, t: usize) -> f64 {
    let (r, d, s, h, q) = (
        c.residual_channels,
        c.dilation_channels,
        c.skip_channels,
        c.head_channels,
        c.quantization_channels,
    );
    let mut rows = t + c.receptive_field() - 2;
    let mut macs = 0.0;
    for &dil in &c.dilations {
        rows -= dil;
        macs +=
            rows as f64 * (2.0 * r as f64 * 2.0 * d as f64 + d as f64 * r as f64) + t as f64 * (d * s) as f64;
    }
    macs + t as f64 * (s * h + h * q) as f64
}

fn main() {
    let preset = std::env::args().nth(1).unwrap_or_else(|| "small".into());
    let steps: usize = std::env::args().nth(2).map(|s| s.parse().unwrap()).unwrap_or(5);
    let config = Config::preset(&preset).expect("preset");
    let clip: Vec<u32> = (0..config.sample_size + 10)
        .map(|i| ((i * 31 + i / 7) % config.quantization_channels) as u32)
        .collect();
    let data = Dataset::new(vec![clip], config.receptive_field(), config.sample_size, 128).unwrap();
    let model = Model::new(config.clone(), 1);
    let n = model.num_params();
    let mut trainer = Trainer::new(model, Adam::new(n), &data, 1e-3, 1, 1, 0);
    // The machine's sgemm ceiling on all threads: a large square product through the same crate.
    let big = 1536;
    let (x, y) = (vec![1.0f32; big * big], vec![0.5f32; big * big]);
    let mut z = vec![0.0f32; big * big];
    matmul(&mut z, false, View::new(&x, big, big), View::new(&y, big, big));
    let t = Instant::now();
    for _ in 0..3 {
        matmul(&mut z, false, View::new(&x, big, big), View::new(&y, big, big));
    }
    let ceiling = 3.0 * 2.0 * (big as f64).powi(3) / t.elapsed().as_secs_f64() / 1e9;
    trainer.step(&data).unwrap();
    let (f0, n0) = counters::gemm();
    let mut times = Vec::new();
    for _ in 0..steps + 1 {
        let t = Instant::now();
        trainer.step(&data).unwrap();
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let (f1, n1) = counters::gemm();
    let threads = rayon::current_num_threads() as f64;
    // Per-thread GEMM time summed; divide by the threads that ran in parallel.
    let gemm_rate = (f1 - f0) as f64 / ((n1 - n0) as f64 / threads) / 1.0;
    let gemm_share = (n1 - n0) as f64 / threads / 1e6 / times.iter().sum::<f64>();
    times.remove(0);
    times.sort_by(f64::total_cmp);
    let ms = times[times.len() / 2];
    // Backward does two GEMMs per forward GEMM (input and weight gradients).
    let gflop = 3.0 * 2.0 * forward_macs(&config, data.outputs) / 1e9;
    println!(
        "photophone {preset}: median {ms:.1} ms/step ({} threads), {gflop:.1} GFLOP/step, {:.0} GFLOP/s overall; \
         inside the GEMMs {gemm_rate:.0} GFLOP/s = {:.0} % of this machine's sgemm ceiling ({ceiling:.0} GFLOP/s), \
         GEMMs {:.0} % of the step",
        rayon::current_num_threads(),
        gflop / (ms / 1e3),
        100.0 * gemm_rate / ceiling,
        100.0 * gemm_share
    );
}
