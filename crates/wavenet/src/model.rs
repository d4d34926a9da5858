//! The WaveNet's parameters: one flat buffer with a named layout. The hand-written passes
//! over them are in [`crate::backprop`] (training) and [`crate::generate`].
//!
//! Shapes (R residual, D dilation, S skip, H head, Q classes channels; rows are time steps):
//! - embedding (the width-2 causal convolution over the one-hot input, as a lookup):
//!   `h0[i] = E0[x[i]] + E1[x[i+1]] + b`
//! - layer with dilation d: `z[i] = h[i]·Wf0 + h[i+d]·Wf1 + bf (+ c·Wl + g·Wg)`,
//!   `a = tanh(z_filter) ⊙ σ(z_gate)`, `h'[i] = h[i+d] + a[i]·Wr + br`, `skip += a·Ws + bs`
//!   (skip only over the last T rows, which are the outputs)
//! - head: `logits = relu(relu(skip)·W1 + b1)·W2 + b2`, softmax cross-entropy.

use crate::config::Config;

pub use crate::backprop::{forward_backward, Conditioning, PassStats};
pub use crate::workspace::Workspace;

/// One named tensor inside the flat parameter buffer.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub name: String,
    pub shape: Vec<usize>,
    pub offset: usize,
    pub len: usize,
}

#[derive(Clone, Debug)]
pub struct LayerIdx {
    pub dilation: usize,
    pub filter_gate_old: usize,
    pub filter_gate_new: usize,
    pub filter_gate_bias: Option<usize>,
    pub residual: usize,
    pub residual_bias: Option<usize>,
    pub skip: usize,
    pub skip_bias: Option<usize>,
    pub global: Option<usize>,
    pub local: Option<usize>,
}

/// Where each tensor lives in the flat buffer.
#[derive(Clone, Debug)]
pub struct Layout {
    pub entries: Vec<Entry>,
    pub embed_old: usize,
    pub embed_new: usize,
    pub embed_bias: Option<usize>,
    pub layers: Vec<LayerIdx>,
    pub head1: usize,
    pub head1_bias: Option<usize>,
    pub head2: usize,
    pub head2_bias: Option<usize>,
    pub total: usize,
}

impl Layout {
    pub fn new(c: &Config) -> Layout {
        let mut entries = Vec::new();
        let mut total = 0;
        let mut add = |name: String, shape: Vec<usize>| {
            let len = shape.iter().product();
            entries.push(Entry {
                name,
                shape,
                offset: total,
                len,
            });
            total += len;
            total - len
        };
        let (q, r, d2, d, s, h) = (
            c.quantization_channels,
            c.residual_channels,
            2 * c.dilation_channels,
            c.dilation_channels,
            c.skip_channels,
            c.head_channels,
        );
        let bias = c.use_biases;
        let embed_old = add("embed.old".into(), vec![q, r]);
        let embed_new = add("embed.new".into(), vec![q, r]);
        let embed_bias = bias.then(|| add("embed.bias".into(), vec![r]));
        let mut layers = Vec::new();
        for (i, &dilation) in c.dilations.iter().enumerate() {
            let p = format!("layers.{i}");
            layers.push(LayerIdx {
                dilation,
                filter_gate_old: add(format!("{p}.filter_gate.old"), vec![r, d2]),
                filter_gate_new: add(format!("{p}.filter_gate.new"), vec![r, d2]),
                filter_gate_bias: bias.then(|| add(format!("{p}.filter_gate.bias"), vec![d2])),
                residual: add(format!("{p}.residual.weight"), vec![d, r]),
                residual_bias: bias.then(|| add(format!("{p}.residual.bias"), vec![r])),
                skip: add(format!("{p}.skip.weight"), vec![d, s]),
                skip_bias: bias.then(|| add(format!("{p}.skip.bias"), vec![s])),
                global: (c.global_condition_channels > 0).then(|| {
                    add(
                        format!("{p}.global.weight"),
                        vec![c.global_condition_channels, d2],
                    )
                }),
                local: (c.local_condition_channels > 0)
                    .then(|| add(format!("{p}.local.weight"), vec![c.local_condition_channels, d2])),
            });
        }
        let head1 = add("head.1.weight".into(), vec![s, h]);
        let head1_bias = bias.then(|| add("head.1.bias".into(), vec![h]));
        let head2 = add("head.2.weight".into(), vec![h, q]);
        let head2_bias = bias.then(|| add("head.2.bias".into(), vec![q]));
        Layout {
            entries,
            embed_old,
            embed_new,
            embed_bias,
            layers,
            head1,
            head1_bias,
            head2,
            head2_bias,
            total,
        }
    }
}

/// Parameters, deterministically initialised from a seed.
#[derive(Clone)]
pub struct Model {
    pub config: Config,
    pub layout: Layout,
    pub params: Vec<f32>,
}

impl Model {
    pub fn new(config: Config, seed: u64) -> Model {
        let layout = Layout::new(&config);
        let mut params = vec![0f32; layout.total];
        // Its own seed scrambling (not `SplitMix64::seeded`): checkpoints' weights depend on it.
        let mut rng = photophone_rng::SplitMix64::from_state(seed ^ 0x853C_49E6_748F_EA9B);
        for e in &layout.entries {
            if e.name.ends_with(".bias") {
                continue;
            }
            // Glorot-uniform over (fan_in, fan_out) = the matrix's (rows, cols).
            let (fan_in, fan_out) = (e.shape[0], e.shape[1]);
            let limit = (6.0 / (fan_in + fan_out) as f32).sqrt();
            for p in &mut params[e.offset..e.offset + e.len] {
                *p = (2.0 * rng.unit_f32() - 1.0) * limit;
            }
        }
        Model {
            config,
            layout,
            params,
        }
    }

    /// Sets the local-conditioning projections to zero: training then starts from the
    /// unconditioned model and lets the conditioning in as it proves useful (with Glorot
    /// weights, 40 mel bands add about as much noise to every gate as the signal path
    /// carries). The gradients of these weights are not zero, so they still learn.
    pub fn zero_local_conditioning(&mut self) {
        let n = self.config.local_condition_channels * 2 * self.config.dilation_channels;
        for l in &self.layout.layers {
            if let Some(off) = l.local {
                self.params[off..off + n].fill(0.0);
            }
        }
    }

    pub fn num_params(&self) -> usize {
        self.params.len()
    }
}
