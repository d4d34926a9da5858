//! Checkpoints: `model.safetensors` (weights, named as in [`crate::model::Layout`]),
//! `optimizer.safetensors` (Adam moments), `config.json`, `state.json` (step, RNG, metrics).
//!
//! Written into a temporary directory beside the target and swapped in with renames, so a
//! process killed at any moment leaves either the previous or the new checkpoint complete:
//! `DIR/checkpoint` is the current one, `DIR/checkpoint.old` exists only mid-swap and is what
//! [`load`] falls back to.

use crate::config::Config;
use crate::model::{Entry, Layout, Model};
use crate::train::Adam;
use safetensors::tensor::{Dtype, SafeTensorError, SafeTensors, TensorView};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Encode {
        path: String,
        #[source]
        source: SafeTensorError,
    },
    #[error("{path}: not a photophone model folder (no checkpoint inside)")]
    Missing { path: String },
    #[error("{path}: corrupt checkpoint: {reason}")]
    Corrupt { path: String, reason: String },
}

/// Training state besides weights and moments.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    pub step: u64,
    pub rng: u64,
    pub learning_rate: f32,
    pub seed: u64,
    pub last_loss: Option<f64>,
    /// Cosine learning-rate decay to 5 % over this many steps (none if absent).
    #[serde(default)]
    pub decay_steps: Option<u64>,
}

pub const CURRENT: &str = "checkpoint";
const PREVIOUS: &str = "checkpoint.old";

fn io(path: &Path, e: std::io::Error) -> CheckpointError {
    CheckpointError::Io {
        path: path.display().to_string(),
        source: e,
    }
}

fn encode_error(path: &Path, source: SafeTensorError) -> CheckpointError {
    CheckpointError::Encode {
        path: path.display().to_string(),
        source,
    }
}

fn to_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn tensors_bytes(layout: &Layout, data: &[f32], prefix: &str) -> Result<Vec<u8>, SafeTensorError> {
    encode_tensors(&layout.entries, data, prefix)
}

/// The named tensors of a flat parameter buffer as a safetensors file (f32, little-endian),
/// each name after `prefix`. Shared with the timbre crate's checkpoints.
pub fn encode_tensors(entries: &[Entry], data: &[f32], prefix: &str) -> Result<Vec<u8>, SafeTensorError> {
    let bytes: Vec<(String, Vec<u8>, Vec<usize>)> = entries
        .iter()
        .map(|e| {
            (
                format!("{prefix}{}", e.name),
                to_bytes(&data[e.offset..e.offset + e.len]),
                e.shape.clone(),
            )
        })
        .collect();
    let views: Vec<(String, TensorView)> = bytes
        .iter()
        .map(|(n, b, s)| {
            (
                n.clone(),
                TensorView::new(Dtype::F32, s.clone(), b).expect("shape matches bytes"),
            )
        })
        .collect();
    safetensors::serialize(views, None)
}

/// A flat parameter buffer of `total` values back from a safetensors file: every entry present
/// with its shape, f32, finite. `Err` is the reason, for the caller's own error type.
pub fn decode_tensors(
    bytes: &[u8],
    entries: &[Entry],
    total: usize,
    prefix: &str,
) -> Result<Vec<f32>, String> {
    let st = SafeTensors::deserialize(bytes).map_err(|e| e.to_string())?;
    let mut out = vec![0f32; total];
    for e in entries {
        let name = format!("{prefix}{}", e.name);
        let t = st.tensor(&name).map_err(|_| format!("tensor {name} missing"))?;
        if t.dtype() != Dtype::F32 || t.shape() != e.shape.as_slice() {
            return Err(format!(
                "tensor {name} has shape {:?}, expected {:?} f32",
                t.shape(),
                e.shape
            ));
        }
        for (o, c) in out[e.offset..e.offset + e.len]
            .iter_mut()
            .zip(t.data().chunks_exact(4))
        {
            *o = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        }
    }
    if out.iter().any(|x| !x.is_finite()) {
        return Err("non-finite values".into());
    }
    Ok(out)
}

fn read_tensors(path: &Path, layout: &Layout, prefix: &str) -> Result<Vec<f32>, CheckpointError> {
    let bytes = std::fs::read(path).map_err(|e| io(path, e))?;
    decode_tensors(&bytes, &layout.entries, layout.total, prefix).map_err(|reason| CheckpointError::Corrupt {
        path: path.display().to_string(),
        reason,
    })
}

/// Writes the model's weights alone (e.g. for the PyTorch reference).
pub fn write_weights(path: &Path, model: &Model) -> Result<(), CheckpointError> {
    let bytes = tensors_bytes(&model.layout, &model.params, "").map_err(|e| encode_error(path, e))?;
    std::fs::write(path, bytes).map_err(|e| io(path, e))
}

pub fn read_weights(path: &Path, model: &mut Model) -> Result<(), CheckpointError> {
    model.params = read_tensors(path, &model.layout, "")?;
    Ok(())
}

/// Saves a complete checkpoint into `dir` atomically.
pub fn save(dir: &Path, model: &Model, adam: &Adam, state: &TrainState) -> Result<(), CheckpointError> {
    let model_bytes = tensors_bytes(&model.layout, &model.params, "").map_err(|e| encode_error(dir, e))?;
    // Second file for v keeps each file a plain name → tensor map of the layout.
    let m = tensors_bytes(&model.layout, &adam.m, "m.").map_err(|e| encode_error(dir, e))?;
    let v = tensors_bytes(&model.layout, &adam.v, "v.").map_err(|e| encode_error(dir, e))?;
    let config = serde_json::to_string_pretty(&model.config).expect("config serialises");
    let mut s = serde_json::to_value(state).expect("state serialises");
    s["adam"] = serde_json::json!({ "t": adam.t });
    let state = serde_json::to_string_pretty(&s).expect("json");
    let files = Files {
        model: &model_bytes,
        adam_m: &m,
        adam_v: &v,
        config: &config,
        state: &state,
    };
    write_atomically(dir, &files).map_err(|(path, e)| io(&path, e))
}

/// The five files of a checkpoint folder (a WaveNet's or a timbre's).
pub struct Files<'a> {
    pub model: &'a [u8],
    pub adam_m: &'a [u8],
    pub adam_v: &'a [u8],
    pub config: &'a str,
    pub state: &'a str,
}

/// Writes `files` as `dir/checkpoint` atomically: into a temporary folder beside it, each file
/// synced, then swapped in with renames (the old one kept as `checkpoint.old` until the new one
/// is in place), so a process killed at any moment leaves a complete checkpoint. Timbres are
/// written the same way. An error names the path it happened on.
pub fn write_atomically(dir: &Path, files: &Files) -> Result<(), (PathBuf, std::io::Error)> {
    let files = [
        ("model.safetensors", files.model),
        ("optimizer.safetensors", files.adam_m),
        ("optimizer_v.safetensors", files.adam_v),
        ("config.json", files.config.as_bytes()),
        ("state.json", files.state.as_bytes()),
    ];
    std::fs::create_dir_all(dir).map_err(at(dir))?;
    let tmp = tempfile::Builder::new()
        .prefix(".checkpoint-")
        .tempdir_in(dir)
        .map_err(at(dir))?;
    for (name, bytes) in files {
        let p = tmp.path().join(name);
        std::fs::write(&p, bytes).map_err(at(&p))?;
        std::fs::File::open(&p)
            .and_then(|f| f.sync_all())
            .map_err(at(&p))?;
    }
    let tmp_path: PathBuf = tmp.keep();
    let current = dir.join(CURRENT);
    let previous = dir.join(PREVIOUS);
    if previous.exists() {
        std::fs::remove_dir_all(&previous).map_err(at(&previous))?;
    }
    if current.exists() {
        std::fs::rename(&current, &previous).map_err(at(&current))?;
    }
    std::fs::rename(&tmp_path, &current).map_err(at(&current))?;
    if previous.exists() {
        std::fs::remove_dir_all(&previous).map_err(at(&previous))?;
    }
    Ok(())
}

/// An I/O error's path, for [`write_atomically`]'s callers to name.
fn at(path: &Path) -> impl FnOnce(std::io::Error) -> (PathBuf, std::io::Error) + '_ {
    move |e| (path.to_path_buf(), e)
}

/// A loaded checkpoint.
pub struct Loaded {
    pub model: Model,
    pub adam: Adam,
    pub state: TrainState,
}

/// Loads the checkpoint in `dir` (falling back to the previous one if a save was cut short).
pub fn load(dir: &Path) -> Result<Loaded, CheckpointError> {
    let chosen = [CURRENT, PREVIOUS]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.join("state.json").exists());
    let Some(ck) = chosen else {
        return Err(CheckpointError::Missing {
            path: dir.display().to_string(),
        });
    };
    let corrupt = |p: &Path, reason: String| CheckpointError::Corrupt {
        path: p.display().to_string(),
        reason,
    };
    let cfg_path = ck.join("config.json");
    let config: Config = serde_json::from_slice(&std::fs::read(&cfg_path).map_err(|e| io(&cfg_path, e))?)
        .map_err(|e| corrupt(&cfg_path, e.to_string()))?;
    config.validate().map_err(|e| corrupt(&cfg_path, e.to_string()))?;
    let state_path = ck.join("state.json");
    let value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&state_path).map_err(|e| io(&state_path, e))?)
            .map_err(|e| corrupt(&state_path, e.to_string()))?;
    let state: TrainState =
        serde_json::from_value(value.clone()).map_err(|e| corrupt(&state_path, e.to_string()))?;
    let t = value["adam"]["t"]
        .as_u64()
        .ok_or_else(|| corrupt(&state_path, "adam.t missing".into()))?;
    let mut model = Model::new(config, 0);
    model.params = read_tensors(&ck.join("model.safetensors"), &model.layout, "")?;
    let m = read_tensors(&ck.join("optimizer.safetensors"), &model.layout, "m.")?;
    let v = read_tensors(&ck.join("optimizer_v.safetensors"), &model.layout, "v.")?;
    Ok(Loaded {
        adam: Adam { m, v, t },
        model,
        state,
    })
}
