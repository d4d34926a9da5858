//! Analytic gradients against central finite differences, for every parameter tensor,
//! conditioning weights included.

use photophone_wavenet::{forward_backward, Conditioning, Config, Model, Workspace};

fn setup() -> (Model, Vec<u32>, Vec<f32>, Vec<f32>, usize) {
    let mut c = Config::tiny();
    c.dilations = vec![1, 2, 4, 1, 2];
    c.residual_channels = 4;
    c.dilation_channels = 3;
    c.skip_channels = 5;
    c.head_channels = 6;
    c.quantization_channels = 7;
    c.global_condition_channels = 2;
    c.local_condition_channels = 3;
    let outputs = 9;
    let model = Model::new(c.clone(), 42);
    let n_in = outputs + c.receptive_field() - 1;
    let x: Vec<u32> = (0..=n_in).map(|i| ((i * 5 + i * i) % 7) as u32).collect();
    let global = vec![0.7, -0.4];
    let local: Vec<f32> = (0..n_in * 3).map(|i| ((i as f32) * 0.37).sin()).collect();
    (model, x, global, local, outputs)
}

fn loss(model: &Model, x: &[u32], g: &[f32], l: &[f32], outputs: usize) -> f64 {
    let mut ws = Workspace::new(&model.config, outputs);
    let mut grads = vec![0f32; model.num_params()];
    let cond = Conditioning {
        global: Some(g),
        local: Some(l),
    };
    forward_backward(model, &mut ws, x, cond, &mut grads, 1.0).loss_sum
}

#[test]
fn gradients_match_finite_differences_for_every_tensor() {
    let (model, x, g, l, outputs) = setup();
    let mut ws = Workspace::new(&model.config, outputs);
    let mut grads = vec![0f32; model.num_params()];
    let cond = Conditioning {
        global: Some(&g),
        local: Some(&l),
    };
    forward_backward(&model, &mut ws, &x, cond, &mut grads, 1.0);
    let eps = 2e-3f32;
    let mut checked = 0;
    for e in &model.layout.entries {
        // A spread of entries in every tensor.
        let picks: Vec<usize> = (0..e.len).step_by((e.len / 6).max(1)).collect();
        let mut nonzero = false;
        for k in picks {
            let i = e.offset + k;
            let mut plus = model.clone();
            plus.params[i] += eps;
            let mut minus = model.clone();
            minus.params[i] -= eps;
            let fd = ((loss(&plus, &x, &g, &l, outputs) - loss(&minus, &x, &g, &l, outputs))
                / (2.0 * eps as f64)) as f32;
            let an = grads[i];
            assert!(
                (fd - an).abs() <= 3e-3 + 2e-2 * an.abs().max(fd.abs()),
                "{}[{k}]: analytic {an}, finite difference {fd}",
                e.name
            );
            nonzero |= an.abs() > 1e-6;
            checked += 1;
        }
        // The last layer's residual output feeds nothing, as in ibab's model.
        if !e.name.starts_with("layers.4.residual") {
            assert!(nonzero, "{}: all checked gradients are zero", e.name);
        }
    }
    assert!(checked > 100);
}

#[test]
fn rebuilding_layer_inputs_gives_the_same_gradients() {
    let (model, x, g, l, outputs) = setup();
    let cond = Conditioning {
        global: Some(&g),
        local: Some(&l),
    };
    let run = |mut ws: Workspace| {
        let mut grads = vec![0f32; model.num_params()];
        let s = forward_backward(&model, &mut ws, &x, cond, &mut grads, 1.0);
        (s.loss_sum, grads)
    };
    let (l1, g1) = run(Workspace::new(&model.config, outputs));
    let (l2, g2) = run(Workspace::new(&model.config, outputs).rebuilding_inputs());
    assert_eq!(l1, l2, "the forward pass is the same either way");
    let scale = g1.iter().fold(0f32, |m, v| m.max(v.abs()));
    let worst = g1.iter().zip(&g2).fold(0f32, |m, (a, b)| m.max((a - b).abs()));
    assert!(
        worst <= 1e-5 * scale,
        "rebuilt inputs change gradients by {worst} (scale {scale})"
    );
    assert!(g1 != vec![0.0; g1.len()]);
}
