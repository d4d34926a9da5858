//! End-to-end gradients — spectral loss → audio → synthesizer controls → decoder parameters —
//! against central finite differences, for every parameter tensor.

use photophone_timbre::loss::SpectralLoss;
use photophone_timbre::model::{Config, Features, Model};
use photophone_timbre::synth::Synth;
use photophone_timbre::train::{window_loss, Clip};

fn setup() -> (Model, Synth, SpectralLoss, Clip) {
    let config = Config {
        hop: 16,
        harmonics: 6,
        noise_bands: 5,
        hidden: 7,
        layers: 2,
        context: vec![-2, 0, 1],
        ..Config::default()
    };
    let mut model = Model::new(config.clone(), 3);
    // Noise loud enough that its gradients are not lost in rounding.
    let out_bias = model.layout.last().unwrap().offset;
    for p in &mut model.params[out_bias + 1 + config.harmonics..] {
        *p = 0.5;
    }
    let samples = 320;
    let frames = samples / config.hop + 3;
    let f0: Vec<f32> = (0..frames)
        .map(|i| 900.0 + 40.0 * (i as f32 * 0.4).sin())
        .collect();
    let loudness: Vec<f32> = (0..frames)
        .map(|i| -30.0 + 10.0 * (i as f32 * 0.3).cos())
        .collect();
    let mut s = 5u64;
    let audio: Vec<f32> = (0..samples + 2 * config.hop)
        .map(|t| 0.3 * (t as f32 * 0.37).sin() + 0.05 * photophone_wavenet::train::gaussian(&mut s))
        .collect();
    let clip = Clip {
        audio,
        features: Features { f0, loudness },
        starts: vec![0],
    };
    let synth = Synth::new(config.sample_rate, config.hop, config.noise_bands);
    (model, synth, SpectralLoss::new(&[128, 64, 32]), clip)
}

#[test]
fn gradients_match_finite_differences_for_every_tensor() {
    let (model, synth, loss, clip) = setup();
    let samples = 320;
    let mut grads = vec![0f32; model.num_params()];
    window_loss(&model, &synth, &loss, &clip, 1, samples, Some(&mut grads));
    let f = |m: &Model| window_loss(m, &synth, &loss, &clip, 1, samples, None);
    let eps = 1e-3f32;
    let mut worst = 0f32;
    let mut checked = 0;
    for e in &model.layout {
        let mut nonzero = false;
        for k in (0..e.len).step_by((e.len / 8).max(1)) {
            let i = e.offset + k;
            let (mut plus, mut minus) = (model.clone(), model.clone());
            plus.params[i] += eps;
            minus.params[i] -= eps;
            let fd = ((f(&plus) - f(&minus)) / (2.0 * eps as f64)) as f32;
            let an = grads[i];
            // The floor absorbs f32 rounding in the differences of a loss of order 1.
            let err = (fd - an).abs() / (fd.abs().max(an.abs()) + 5e-3);
            assert!(err < 0.03, "{}[{k}]: analytic {an}, numeric {fd}", e.name);
            worst = worst.max(err);
            nonzero |= an != 0.0;
            checked += 1;
        }
        assert!(nonzero, "{}: all checked gradients are zero", e.name);
    }
    eprintln!("{checked} parameters checked, worst relative error {worst:.2e}");
}
