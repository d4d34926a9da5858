//! The decoder: per frame, f0 and loudness at a few surrounding frames → an MLP over the
//! GEMM → the synthesizer's controls (overall amplitude × a softmax over the harmonics below
//! Nyquist, and noise band magnitudes), with DDSP's scaled sigmoid `2·σ(x)^ln10 + 1e-7` on
//! amplitudes. Forward and backward are hand-written over `photophone_wavenet::math` (the
//! project measured candle/burn 3–4× slower than its own GEMM passes).

use crate::synth::Controls;
use photophone_wavenet::math::{matmul, tanh, View};
use serde::{Deserialize, Serialize};

/// The version of the timbre file format this build reads and writes.
pub const FORMAT: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Config {
    pub format: u32,
    pub sample_rate: u32,
    /// Samples per control frame.
    pub hop: usize,
    pub harmonics: usize,
    pub noise_bands: usize,
    pub hidden: usize,
    /// Hidden layers (tanh), at least 1.
    pub layers: usize,
    /// Frame offsets whose f0 and loudness each frame sees: the temporal context that lets
    /// the decoder shape attacks and releases.
    pub context: Vec<i32>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            format: FORMAT,
            sample_rate: 16_000,
            hop: 64,
            harmonics: 60,
            noise_bands: 64,
            hidden: 192,
            layers: 2,
            context: vec![-16, -8, -4, -2, -1, 0, 1, 2, 4, 8, 16],
        }
    }
}

impl Config {
    pub fn validate(&self) -> Result<(), String> {
        if self.format != FORMAT {
            return Err(format!(
                "timbre format {} is not the {FORMAT} this photophone reads",
                self.format
            ));
        }
        let ok = (8_000..=48_000).contains(&self.sample_rate)
            && (16..=1024).contains(&self.hop)
            && (1..=256).contains(&self.harmonics)
            && (1..=256).contains(&self.noise_bands)
            && (1..=2048).contains(&self.hidden)
            && (1..=8).contains(&self.layers)
            && !self.context.is_empty()
            && self.context.len() <= 64
            && self.context.iter().all(|c| c.abs() <= 1000);
        if ok {
            Ok(())
        } else {
            Err("model shape out of range".into())
        }
    }
    pub fn inputs(&self) -> usize {
        2 * self.context.len()
    }
    pub fn outputs(&self) -> usize {
        1 + self.harmonics + self.noise_bands
    }
}

/// The conditioning of a clip: one value per frame.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Features {
    /// Hz, defined everywhere (gaps filled).
    pub f0: Vec<f32>,
    /// A-weighted dB.
    pub loudness: Vec<f32>,
}

impl Features {
    pub fn len(&self) -> usize {
        self.f0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.f0.is_empty()
    }
}

/// Network inputs: octaves from A4, and loudness around a typical playing level.
fn scaled(f: &Features, i: usize) -> [f32; 2] {
    [(f.f0[i] / 440.0).log2(), (f.loudness[i] + 50.0) / 25.0]
}

/// One named tensor inside the flat parameter buffer (wavenet's, so checkpoints share a format).
pub use photophone_wavenet::model::Entry;

#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub config: Config,
    pub layout: Vec<Entry>,
    pub params: Vec<f32>,
}

/// What the backward pass needs from the forward pass.
pub struct Pass {
    rows: usize,
    input: Vec<f32>,
    /// Each hidden layer's output, `rows × hidden`.
    hidden: Vec<Vec<f32>>,
    z: Vec<f32>,
    amp: Vec<f32>,
    probs: Vec<f32>,
}

/// DDSP's `exp_sigmoid`: a positive amplitude with a usable dynamic range.
fn exp_sigmoid(x: f32) -> (f32, f32) {
    let s = 1.0 / (1.0 + (-x).exp());
    let ln10 = std::f32::consts::LN_10;
    let p = s.powf(ln10);
    (2.0 * p + 1e-7, 2.0 * ln10 * p * (1.0 - s))
}

impl Model {
    pub fn new(config: Config, seed: u64) -> Model {
        let (i, h, o) = (config.inputs(), config.hidden, config.outputs());
        let mut shapes = vec![("in.weight".to_string(), vec![i, h]), ("in.bias".into(), vec![h])];
        for l in 1..config.layers {
            shapes.push((format!("hidden{l}.weight"), vec![h, h]));
            shapes.push((format!("hidden{l}.bias"), vec![h]));
        }
        shapes.push(("out.weight".into(), vec![h, o]));
        shapes.push(("out.bias".into(), vec![o]));
        let mut layout = Vec::new();
        let mut offset = 0;
        for (name, shape) in shapes {
            let len = shape.iter().product();
            layout.push(Entry {
                name,
                shape,
                offset,
                len,
            });
            offset += len;
        }
        let mut params = vec![0f32; offset];
        let mut rng = seed ^ 0x5eed_7173;
        for e in &layout {
            if e.shape.len() == 2 {
                // Glorot-style for tanh; the output layer starts small so the first sounds are
                // quiet and smooth.
                let scale = (1.0 / e.shape[0] as f32).sqrt() * if e.name == "out.weight" { 0.1 } else { 1.0 };
                for p in &mut params[e.offset..e.offset + e.len] {
                    *p = photophone_wavenet::train::gaussian(&mut rng) * scale;
                }
            }
        }
        let out_bias = layout.last().expect("out.bias").offset;
        params[out_bias] = -1.0;
        for p in &mut params[out_bias + 1 + config.harmonics..out_bias + o] {
            // Noise starts 60 dB down, as DDSP's −5 offset.
            *p = -5.0;
        }
        Model {
            config,
            layout,
            params,
        }
    }

    pub fn num_params(&self) -> usize {
        self.params.len()
    }

    fn entry(&self, i: usize) -> &[f32] {
        let e = &self.layout[i];
        &self.params[e.offset..e.offset + e.len]
    }

    /// Controls for frames `start..start + rows` of `f` (context read from the whole clip,
    /// clamped at its ends).
    pub fn forward(&self, f: &Features, start: usize, rows: usize) -> (Controls, Pass) {
        let c = &self.config;
        let (ni, h, no) = (c.inputs(), c.hidden, c.outputs());
        let last = f.len() as i64 - 1;
        let mut input = Vec::with_capacity(rows * ni);
        for r in 0..rows {
            for &o in &c.context {
                let j = (start as i64 + r as i64 + o as i64).clamp(0, last) as usize;
                input.extend_from_slice(&scaled(f, j));
            }
        }
        let mut hidden = Vec::with_capacity(c.layers);
        let mut prev: &[f32] = &input;
        let mut width = ni;
        for l in 0..c.layers {
            let (w, b) = (self.entry(2 * l), self.entry(2 * l + 1));
            let mut out = vec![0f32; rows * h];
            matmul(
                &mut out,
                false,
                View::new(prev, rows, width),
                View::new(w, width, h),
            );
            for row in out.chunks_exact_mut(h) {
                for (v, bias) in row.iter_mut().zip(b) {
                    *v = tanh(*v + bias);
                }
            }
            hidden.push(out);
            prev = hidden.last().expect("pushed");
            width = h;
        }
        let (w, b) = (self.entry(2 * c.layers), self.entry(2 * c.layers + 1));
        let mut z = vec![0f32; rows * no];
        matmul(&mut z, false, View::new(prev, rows, h), View::new(w, h, no));
        for row in z.chunks_exact_mut(no) {
            for (v, bias) in row.iter_mut().zip(b) {
                *v += bias;
            }
        }
        let (nh, nb) = (c.harmonics, c.noise_bands);
        let mut controls = Controls::zeros(rows, nh, nb);
        let mut amp = vec![0f32; rows];
        let mut probs = vec![0f32; rows * nh];
        let nyquist = c.sample_rate as f32 / 2.0;
        for r in 0..rows {
            let zr = &z[r * no..(r + 1) * no];
            amp[r] = exp_sigmoid(zr[0]).0;
            let audible = audible(f.f0[start + r], nyquist, nh);
            let p = &mut probs[r * nh..(r + 1) * nh];
            let logits = &zr[1..1 + nh];
            let top = logits[..audible].iter().fold(f32::MIN, |m, &v| m.max(v));
            let mut sum = 0f32;
            for (pk, l) in p.iter_mut().zip(logits).take(audible) {
                *pk = (l - top).exp();
                sum += *pk;
            }
            let out = &mut controls.harmonic[r * nh..(r + 1) * nh];
            for (o, pk) in out.iter_mut().zip(p.iter_mut()).take(audible) {
                *pk /= sum;
                *o = amp[r] * *pk;
            }
            for b in 0..nb {
                controls.noise[r * nb + b] = exp_sigmoid(zr[1 + nh + b]).0;
            }
        }
        let pass = Pass {
            rows,
            input,
            hidden,
            z,
            amp,
            probs,
        };
        (controls, pass)
    }

    /// Adds the gradient of the loss w.r.t. the parameters into `grads`, given its gradient
    /// w.r.t. the controls.
    pub fn backward(&self, pass: &Pass, g: &Controls, grads: &mut [f32]) {
        let c = &self.config;
        let (ni, h, no, nh, nb) = (c.inputs(), c.hidden, c.outputs(), c.harmonics, c.noise_bands);
        let rows = pass.rows;
        let mut gz = vec![0f32; rows * no];
        for r in 0..rows {
            let zr = &pass.z[r * no..(r + 1) * no];
            let gzr = &mut gz[r * no..(r + 1) * no];
            let p = &pass.probs[r * nh..(r + 1) * nh];
            let ga = &g.harmonic[r * nh..(r + 1) * nh];
            // harmonic_k = amp · p_k: through the product, then the softmax (masked entries
            // have p_k = 0 and get no gradient).
            let g_amp: f32 = ga.iter().zip(p).map(|(a, b)| a * b).sum();
            let dot: f32 = ga.iter().zip(p).map(|(a, b)| a * pass.amp[r] * b).sum();
            for k in 0..nh {
                gzr[1 + k] = p[k] * (ga[k] * pass.amp[r] - dot);
            }
            gzr[0] = g_amp * exp_sigmoid(zr[0]).1;
            for b in 0..nb {
                gzr[1 + nh + b] = g.noise[r * nb + b] * exp_sigmoid(zr[1 + nh + b]).1;
            }
        }
        // Output layer, then the hidden layers from the top down.
        let mut upstream = gz;
        let mut width = no;
        for l in (0..=c.layers).rev() {
            let below: &[f32] = if l == 0 { &pass.input } else { &pass.hidden[l - 1] };
            let below_width = if l == 0 { ni } else { h };
            let (we, be) = (&self.layout[2 * l], &self.layout[2 * l + 1]);
            if l < c.layers {
                // Through this layer's tanh: d/dpre = (1 − y²).
                for (gv, y) in upstream.iter_mut().zip(&pass.hidden[l]) {
                    *gv *= 1.0 - y * y;
                }
            }
            matmul(
                &mut grads[we.offset..we.offset + we.len],
                true,
                View::new(below, rows, below_width).t(),
                View::new(&upstream, rows, width),
            );
            let gb = &mut grads[be.offset..be.offset + be.len];
            for row in upstream.chunks_exact(width) {
                for (a, v) in gb.iter_mut().zip(row) {
                    *a += v;
                }
            }
            if l > 0 {
                let w = &self.params[we.offset..we.offset + we.len];
                let mut down = vec![0f32; rows * below_width];
                matmul(
                    &mut down,
                    false,
                    View::new(&upstream, rows, width),
                    View::new(w, below_width, width).t(),
                );
                upstream = down;
                width = below_width;
            }
        }
    }
}

/// Harmonics below Nyquist at `f0` (at least the fundamental).
pub fn audible(f0: f32, nyquist: f32, harmonics: usize) -> usize {
    (((nyquist / f0.max(1.0)).ceil() as usize).saturating_sub(1)).clamp(1, harmonics)
}
