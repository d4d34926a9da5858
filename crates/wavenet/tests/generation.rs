//! Fast generation (per-layer queues) against naive recomputation of the receptive field.

use photophone_wavenet::generate::{naive_logits, naive_logits_conditioned, sample, Generator, StepCond};
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
    let uniform = train::uniform;
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

#[test]
fn conditioned_fast_generation_gives_exactly_the_naive_samples_and_follows_the_training_pass() {
    let mut c = Config::tiny();
    c.dilations = vec![1, 2, 4, 8, 16, 1, 2, 4, 8, 16];
    c.quantization_channels = 64;
    c.local_condition_channels = 5;
    let m = Model::new(c.clone(), 8);
    let silence = 32;
    let cond_row = |t: usize| -> Vec<f32> { (0..5).map(|k| ((t * (k + 1)) as f32 * 0.013).sin()).collect() };
    let uniform = train::uniform;
    // 2,000 fast-generated samples with conditioning row `cond(t)` at step t.
    let fast_with = |cond: &dyn Fn(usize) -> Vec<f32>| {
        let mut rng = 5u64;
        let mut gen = Generator::new(&m, 1, silence);
        let (mut out, mut x) = (Vec::new(), silence);
        for t in 0..2000 {
            let row = cond(t);
            let step = StepCond {
                local: Some(&row),
                global: None,
            };
            let logits = gen.step_conditioned(&[x], step).to_vec();
            x = sample(&logits, 1.0, uniform(&mut rng));
            out.push(x);
        }
        out
    };
    let fast = fast_with(&cond_row);
    let mut rng = 5u64;
    let (mut naive, mut history, mut local) = (Vec::new(), vec![silence], cond_row(0));
    for t in 0..2000 {
        let logits = naive_logits_conditioned(&m, &history, &local, silence);
        let x = sample(&logits, 1.0, uniform(&mut rng));
        naive.push(x);
        history.push(x);
        local.extend(cond_row(t + 1));
    }
    assert_eq!(fast, naive);
    // The conditioning matters: other conditioning, other samples.
    let other = fast_with(&|t| cond_row(t).iter().map(|v| -v).collect());
    assert_ne!(fast, other);
    // And the generator's conditioned logits are the training pass's.
    let outputs = 40;
    let mut ws = Workspace::new(&c, outputs);
    ws.capture_logits(&c);
    let n_in = ws.inputs;
    let xs: Vec<u32> = (0..=n_in).map(|i| ((i * 11 + i * i / 7) % 64) as u32).collect();
    let lc: Vec<f32> = (0..n_in).flat_map(cond_row).collect();
    let mut grads = vec![0f32; m.num_params()];
    forward_backward(
        &m,
        &mut ws,
        &xs,
        Conditioning {
            global: None,
            local: Some(&lc),
        },
        &mut grads,
        1.0,
    );
    let mut gen = Generator::new(&m, 1, 3);
    let mut worst = 0f32;
    for i in 0..n_in {
        let logits = gen
            .step_conditioned(
                &[xs[i]],
                StepCond {
                    local: Some(&lc[i * 5..(i + 1) * 5]),
                    global: None,
                },
            )
            .to_vec();
        let out = i as isize - (n_in - outputs) as isize;
        if out >= 0 {
            let t = &ws.logits[out as usize * 64..(out as usize + 1) * 64];
            worst = worst.max(logits.iter().zip(t).fold(0f32, |m, (a, b)| m.max((a - b).abs())));
        }
    }
    assert!(
        worst < 1e-4,
        "conditioned generation and training disagree by {worst}"
    );
}

#[test]
fn teacher_forced_accuracy_counts_the_naive_argmax_hits() {
    use photophone_wavenet::generate::teacher_forced_accuracy;
    let m = model();
    let q = m.config.quantization_channels;
    let silence = photophone_wavenet::mulaw::encode(0.0, q);
    // A clip the untrained model gets partly right: its own greedy continuation, with every
    // third sample replaced so that some predictions miss.
    let argmax = |l: &[f32]| (0..q).max_by(|&a, &b| l[a].total_cmp(&l[b])).unwrap() as u32;
    let mut clip: Vec<u32> = Vec::new();
    for i in 0..300 {
        let greedy = argmax(&naive_logits(&m, &clip, silence));
        clip.push(if i % 3 == 2 {
            (greedy + 5) % q as u32
        } else {
            greedy
        });
    }
    let hits = (0..clip.len())
        .filter(|&i| argmax(&naive_logits(&m, &clip[..i], silence)) == clip[i])
        .count();
    let expected = hits as f64 / clip.len() as f64;
    assert!(expected > 0.3 && expected < 0.9, "{expected}");
    assert_eq!(teacher_forced_accuracy(&m, &clip, None), expected);
}

#[test]
fn conditioned_teacher_forced_accuracy_counts_the_naive_argmax_hits() {
    use photophone_wavenet::generate::teacher_forced_accuracy;
    let mut c = Config::tiny();
    c.dilations = vec![1, 2, 4, 8, 1, 2, 4, 8];
    c.quantization_channels = 64;
    c.local_condition_channels = 3;
    let m = Model::new(c, 4);
    let silence = 32;
    let local: Vec<f32> = (0..200 * 3).map(|i| ((i * 7) as f32 * 0.05).sin()).collect();
    let argmax = |l: &[f32]| (0..64).max_by(|&a, &b| l[a].total_cmp(&l[b])).unwrap() as u32;
    // The model's own greedy continuation with every fourth sample changed, so some miss.
    let mut clip: Vec<u32> = Vec::new();
    for i in 0..200 {
        let greedy = argmax(&naive_logits_conditioned(&m, &clip, &local[..i * 3], silence));
        clip.push(if i % 4 == 3 { (greedy + 9) % 64 } else { greedy });
    }
    let hits = (0..clip.len())
        .filter(|&i| {
            argmax(&naive_logits_conditioned(
                &m,
                &clip[..i],
                &local[..i * 3],
                silence,
            )) == clip[i]
        })
        .count();
    let expected = hits as f64 / clip.len() as f64;
    assert!(expected > 0.5 && expected < 0.9, "{expected}");
    assert_eq!(teacher_forced_accuracy(&m, &clip, Some(&local)), expected);
    // Without its conditioning the same model scores differently: the rows are used.
    assert_ne!(teacher_forced_accuracy(&m, &clip, None), expected);
}
