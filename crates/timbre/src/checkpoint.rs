//! A timbre folder: `checkpoint/` holds `model.safetensors` (weights), `optimizer.safetensors`
//! (Adam's moments), `config.json` (shapes and the format version) and `state.json` (step, RNG,
//! learning rate, the training clip's summary). Written as wavenet's checkpoints are: into a
//! temporary folder beside the target, synced, and swapped in with renames, so a process
//! killed at any moment leaves the previous or the new checkpoint complete.

use crate::model::{Config, Model};
use photophone_wavenet::train::Adam;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const CURRENT: &str = "checkpoint";
const PREVIOUS: &str = "checkpoint.old";

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("{path}: {reason}")]
    Io { path: String, reason: String },
    #[error("{path}: not a photophone timbre (no checkpoint inside)")]
    Missing { path: String },
    #[error("{path}: corrupt or incompatible timbre: {reason}")]
    Corrupt { path: String, reason: String },
}

/// The training clip as the model heard it: what rendering needs besides the weights.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClipSummary {
    /// Seconds of audio, and of it the seconds trained on.
    pub seconds: f64,
    pub used_seconds: f64,
    /// Loudness (A-weighted dB) of sounding frames: 10th, 50th and 95th percentiles.
    pub loudness_db: [f32; 3],
    /// f0 range of voiced frames (Hz): 5th and 95th percentiles.
    pub f0_hz: [f32; 2],
    /// How the player shapes notes: what a score played in this timbre imitates.
    #[serde(default)]
    pub articulation: crate::perform::Articulation,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    pub step: u64,
    pub rng: u64,
    pub learning_rate: f32,
    pub batch: usize,
    pub window: usize,
    pub seed: u64,
    pub last_loss: Option<f64>,
    pub adam_t: u64,
    pub clip: ClipSummary,
}

fn io(path: &Path, e: impl std::fmt::Display) -> CheckpointError {
    CheckpointError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// The model's tensor layout as a safetensors file (wavenet's encoding: one format for both).
fn tensors(model: &Model, data: &[f32], prefix: &str) -> Vec<u8> {
    photophone_wavenet::checkpoint::encode_tensors(&model.layout, data, prefix)
        .expect("f32 tensors serialise")
}

fn read_tensors(path: &Path, model: &Model, prefix: &str) -> Result<Vec<f32>, CheckpointError> {
    let bytes = std::fs::read(path).map_err(|e| io(path, e))?;
    photophone_wavenet::checkpoint::decode_tensors(&bytes, &model.layout, model.num_params(), prefix).map_err(
        |reason| CheckpointError::Corrupt {
            path: path.display().to_string(),
            reason,
        },
    )
}

/// Saves model, optimiser and state into `dir/checkpoint` atomically.
pub fn save(dir: &Path, model: &Model, adam: &Adam, state: &TrainState) -> Result<(), CheckpointError> {
    let model_bytes = tensors(model, &model.params, "");
    let m = tensors(model, &adam.m, "m.");
    let v = tensors(model, &adam.v, "v.");
    let config = serde_json::to_string_pretty(&model.config).expect("json");
    let state = TrainState {
        adam_t: adam.t,
        ..state.clone()
    };
    let state = serde_json::to_string_pretty(&state).expect("json");
    let files = photophone_wavenet::checkpoint::Files {
        model: &model_bytes,
        adam_m: &m,
        adam_v: &v,
        config: &config,
        state: &state,
    };
    photophone_wavenet::checkpoint::write_atomically(dir, &files).map_err(|(path, e)| io(&path, e))
}

pub struct Loaded {
    pub model: Model,
    pub adam: Adam,
    pub state: TrainState,
}

/// Loads the timbre in `dir` (the previous checkpoint if a save was cut short).
pub fn load(dir: &Path) -> Result<Loaded, CheckpointError> {
    if !dir.exists() {
        return Err(io(dir, "no such file or folder"));
    }
    let Some(ck) = [CURRENT, PREVIOUS]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.join("state.json").exists())
    else {
        return Err(CheckpointError::Missing {
            path: dir.display().to_string(),
        });
    };
    let corrupt = |p: &Path, reason: String| CheckpointError::Corrupt {
        path: p.display().to_string(),
        reason,
    };
    let read = |p: &Path| std::fs::read(p).map_err(|e| io(p, e));
    let cfg_path = ck.join("config.json");
    let config: Config =
        serde_json::from_slice(&read(&cfg_path)?).map_err(|e| corrupt(&cfg_path, e.to_string()))?;
    config.validate().map_err(|e| corrupt(&cfg_path, e))?;
    let state_path = ck.join("state.json");
    let state: TrainState =
        serde_json::from_slice(&read(&state_path)?).map_err(|e| corrupt(&state_path, e.to_string()))?;
    let mut model = Model::new(config, 0);
    model.params = read_tensors(&ck.join("model.safetensors"), &model, "")?;
    let m = read_tensors(&ck.join("optimizer.safetensors"), &model, "m.")?;
    let v = read_tensors(&ck.join("optimizer_v.safetensors"), &model, "v.")?;
    let adam = Adam {
        m,
        v,
        t: state.adam_t,
    };
    Ok(Loaded { model, adam, state })
}
