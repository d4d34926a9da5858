//! Fast generation (per-layer queues) against naive recomputation of the receptive field.

use photophone_wavenet::generate::{naive_logits, sample, Generator};
use photophone_wavenet::{forward_backward, train, Conditioning, Config, Model, Workspace};

fn model() -> Model {
    let mut c = Config::tiny();
    c.dilations = vec![1, 2, 4, 8, 16, 32, 1, 2, 4, 8, 16, 32];
    c.quantization_channels = 64;
    Model::new(c, 21)
}

#[test]
fn fast_generation_gives_exactly_the_naive_samples() {
    let m = model();
    let silence = 32;
    let temperature = 0.9;
    let mut rng = 99u64;
    let uniform = |rng: &mut u64| (train::next(rng) >> 40) as f32 / (1u64 << 24) as f32;
    let mut gen = Generator::new(&m, 1, silence);
    let mut fast = Vec::new();
    let mut x = silence;
    for _ in 0..2000 {
        let logits = gen.step(&[x]).to_vec();
        x = sample(&logits, temperature, uniform(&mut rng));
        fast.push(x);
    }
    let mut rng = 99u64;
    let mut naive = Vec::new();
    let mut history = vec![silence];
    for _ in 0..2000 {
        let logits = naive_logits(&m, &history, silence);
        let x = sample(&logits, temperature, uniform(&mut rng));
        naive.push(x);
        history.push(x);
    }
    assert_eq!(fast, naive);
    // Not a degenerate stream.
    let distinct: std::collections::BTreeSet<_> = fast.iter().collect();
    assert!(distinct.len() > 10);
}

#[test]
fn generation_logits_match_the_training_forward_pass() {
    let m = model();
    let c = &m.config;
    let outputs = 50;
    let mut ws = Workspace::new(c, outputs);
    ws.capture_logits(c);
    let n_in = ws.inputs;
    let x: Vec<u32> = (0..=n_in).map(|i| ((i * 13 + i * i / 5) % 64) as u32).collect();
    let mut grads = vec![0f32; m.num_params()];
    forward_backward(&m, &mut ws, &x, Conditioning::default(), &mut grads, 1.0);
    // Feed the same inputs to a generator (its silence warm-up lies outside the receptive
    // field of the compared outputs).
    let mut gen = Generator::new(&m, 1, 7);
    let q = c.quantization_channels;
    let mut worst = 0f32;
    for (i, &xi) in x[..n_in].iter().enumerate() {
        let logits = gen.step(&[xi]).to_vec();
        let out = i as isize - (n_in - outputs) as isize;
        if out >= 0 {
            let train = &ws.logits[out as usize * q..(out as usize + 1) * q];
            worst = worst.max(
                logits
                    .iter()
                    .zip(train)
                    .fold(0f32, |m, (a, b)| m.max((a - b).abs())),
            );
        }
    }
    assert!(worst < 1e-4, "generation and training disagree by {worst}");
}

#[test]
fn batched_streams_equal_single_streams() {
    let m = model();
    let mut batch = Generator::new(&m, 3, 32);
    let mut singles: Vec<Generator> = (0..3).map(|_| Generator::new(&m, 1, 32)).collect();
    let mut xs = [1u32, 30, 60];
    for _ in 0..300 {
        let lb = batch.step(&xs).to_vec();
        for (b, g) in singles.iter_mut().enumerate() {
            let ls = g.step(&[xs[b]]).to_vec();
            assert_eq!(&lb[b * 64..(b + 1) * 64], &ls[..]);
        }
        xs = [(xs[0] * 7 + 3) % 64, (xs[1] * 5 + 1) % 64, (xs[2] * 3 + 11) % 64];
    }
}
