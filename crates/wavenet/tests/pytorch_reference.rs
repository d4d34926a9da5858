//! photophone's WaveNet against the PyTorch reference in bench/wavenet_ref.py (nn.Conv1d,
//! torch.optim.Adam) on the same weights: logits, and the weights after one Adam step.
//! Optional: skipped, with the reason printed, where bench/setup_torch.sh has not been run
//! (PyTorch is a ~5 GB install, not part of CI).

use photophone_wavenet::checkpoint;
use photophone_wavenet::train::{clip_global_norm, Adam};
use photophone_wavenet::{forward_backward, Conditioning, Config, Model, Workspace};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::path::PathBuf;
use std::process::Command;

fn python() -> Option<PathBuf> {
    let py = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../bench/.venv/bin/python");
    let ok = py.exists()
        && Command::new(&py)
            .args(["-c", "import torch, safetensors"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
    if ok {
        Some(py)
    } else {
        eprintln!("SKIPPED: PyTorch reference not installed (run bench/setup_torch.sh)");
        None
    }
}

fn read(path: &std::path::Path, name: &str) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    st.tensor(name)
        .unwrap()
        .data()
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn rel_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    let scale = b.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-6);
    a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs())) / scale
}

#[test]
fn matches_pytorch_logits_and_one_adam_step() {
    let Some(py) = python() else { return };
    let mut c = Config::tiny();
    c.dilations = vec![1, 2, 4, 8, 16, 1, 2, 4, 8, 16];
    c.residual_channels = 16;
    c.dilation_channels = 16;
    c.skip_channels = 32;
    c.head_channels = 32;
    c.quantization_channels = 64;
    c.global_condition_channels = 3;
    c.local_condition_channels = 4;
    let outputs = 300;
    let model = Model::new(c.clone(), 9);
    let mut ws = Workspace::new(&c, outputs);
    ws.capture_logits(&c);
    let n_in = ws.inputs;
    let x: Vec<u32> = (0..=n_in).map(|i| ((i * 7 + (i * i) / 3) % 64) as u32).collect();
    let global = vec![0.5f32, -0.25, 1.0];
    let local: Vec<f32> = (0..n_in * 4).map(|i| ((i as f32) * 0.11).sin()).collect();

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.json"), serde_json::to_string(&c).unwrap()).unwrap();
    std::fs::write(dir.path().join("step.json"), r#"{"lr": 0.001}"#).unwrap();
    checkpoint::write_weights(&dir.path().join("model.safetensors"), &model).unwrap();
    let xb: Vec<u8> = x.iter().flat_map(|&v| (v as i64).to_le_bytes()).collect();
    let gb: Vec<u8> = global.iter().flat_map(|v| v.to_le_bytes()).collect();
    let lb: Vec<u8> = local.iter().flat_map(|v| v.to_le_bytes()).collect();
    let window = safetensors::serialize(
        vec![
            ("x", TensorView::new(Dtype::I64, vec![x.len()], &xb).unwrap()),
            ("global", TensorView::new(Dtype::F32, vec![3], &gb).unwrap()),
            ("local", TensorView::new(Dtype::F32, vec![n_in, 4], &lb).unwrap()),
        ],
        None,
    )
    .unwrap();
    std::fs::write(dir.path().join("window.safetensors"), window).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../bench/wavenet_ref.py");
    let out = Command::new(&py)
        .arg(&script)
        .arg("check")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "reference failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprint!("{}", String::from_utf8_lossy(&out.stdout));

    let mut grads = vec![0f32; model.num_params()];
    let cond = Conditioning {
        global: Some(&global),
        local: Some(&local),
    };
    // The large-model path (layer inputs rebuilt in backward), which ibab takes.
    let mut rebuilt = Workspace::new(&c, outputs).rebuilding_inputs();
    let mut rebuilt_grads = vec![0f32; model.num_params()];
    forward_backward(
        &model,
        &mut rebuilt,
        &x,
        cond,
        &mut rebuilt_grads,
        1.0 / outputs as f32,
    );
    let stats = forward_backward(&model, &mut ws, &x, cond, &mut grads, 1.0 / outputs as f32);
    eprintln!("photophone: loss {:.6}", stats.loss_sum / outputs as f64);
    let ref_logits = read(&dir.path().join("ref_logits.safetensors"), "logits");
    let d_logits = rel_diff(&ws.logits, &ref_logits);
    eprintln!("logits: max difference {d_logits:.2e} of the largest logit");
    assert!(d_logits < 1e-4);

    for (path, mut g) in [("kept inputs", grads), ("rebuilt inputs", rebuilt_grads)] {
        let mut after = model.clone();
        clip_global_norm(&mut g, 1.0);
        Adam::new(after.num_params()).step(&mut after.params, &g, 1e-3);
        let ref_path = dir.path().join("ref_after_adam.safetensors");
        let mut worst = (0f32, String::new());
        for e in &model.layout.entries {
            let r = read(&ref_path, &e.name);
            let ours = &after.params[e.offset..e.offset + e.len];
            let d = ours.iter().zip(&r).fold(0f32, |m, (a, b)| m.max((a - b).abs()));
            if d > worst.0 {
                worst = (d, e.name.clone());
            }
        }
        eprintln!(
            "{path}: weights after one Adam step: max difference {:.2e} ({})",
            worst.0, worst.1
        );
        assert!(worst.0 < 1e-4, "{path}: {worst:?}");
    }
}
