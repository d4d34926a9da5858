//! One training pass over a window, forward and backward, as a short sequence of named
//! passes over the [`Workspace`]'s time-major, channel-last buffers.
//!
//! Threads split the time rows: every GEMM and element-wise pass of a layer runs on each
//! thread's rows (single-threaded GEMMs), and weight gradients go to per-thread buffers summed
//! at the end (see `rows.rs`). Splitting by hand beat the GEMM crate's own threading on
//! these tall, thin matrices.

mod dense;
mod head;
mod layer_backward;
mod layer_forward;
mod rebuild;

use crate::embed;
use crate::model::Model;
use crate::workspace::Workspace;

/// What one forward/backward pass measured.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PassStats {
    /// Summed cross-entropy in nats.
    pub loss_sum: f64,
    /// Correct arg-max predictions.
    pub correct: usize,
    pub count: usize,
}

/// Conditioning inputs for one window.
#[derive(Clone, Copy, Default)]
pub struct Conditioning<'a> {
    /// `global_condition_channels` values.
    pub global: Option<&'a [f32]>,
    /// `inputs × local_condition_channels`, row j aligned with input sample j.
    pub local: Option<&'a [f32]>,
}

/// Forward and backward over one window `x` (`ws.inputs + 1` class indices: the inputs and,
/// shifted by one, the targets). Adds gradients (scaled by `grad_scale`, e.g. 1 / outputs in
/// the batch) into `grads`. Returns the loss and accuracy over the window's outputs.
pub fn forward_backward(
    model: &Model,
    ws: &mut Workspace,
    x: &[u32],
    cond: Conditioning,
    grads: &mut [f32],
    grad_scale: f32,
) -> PassStats {
    check_inputs(model, ws, x, cond, grads);
    for t in &mut ws.threads {
        t.grads.fill(0.0);
        t.stats = PassStats::default();
    }
    let layers = model.layout.layers.len();
    let r = model.config.residual_channels;
    let parts = ws.parts();
    embed::forward(model, x, ws.rows[0], &mut ws.h[0], parts);
    for l in 0..layers {
        layer_forward::run(model, ws, l, cond);
    }
    // The head leaves d(loss)/d(skip) in `ws.skip`.
    head::run(model, ws, &x[ws.inputs + 1 - ws.outputs..], grad_scale);
    // dh[cur] holds d(loss)/d(h_{l+1}); the last layer's residual output feeds nothing.
    let mut cur = 0;
    ws.dh[cur][..ws.rows[layers] * r].fill(0.0);
    for l in (0..layers).rev() {
        layer_backward::run(model, ws, l, cur, cond);
        cur = 1 - cur;
        if l > 0 && !ws.keep_inputs {
            rebuild::run(model, ws, l);
        }
    }
    let dh0 = &ws.dh[cur][..ws.rows[0] * r];
    embed::backward(model, x, dh0, &mut ws.threads[0].grads);
    gather(ws, grads)
}

fn check_inputs(model: &Model, ws: &Workspace, x: &[u32], cond: Conditioning, grads: &[f32]) {
    let c = &model.config;
    assert_eq!(x.len(), ws.inputs + 1, "window length");
    assert_eq!(grads.len(), model.params.len());
    if let Some(l) = cond.local {
        assert_eq!(
            l.len(),
            ws.inputs * c.local_condition_channels,
            "local conditioning length"
        );
    }
    if let Some(g) = cond.global {
        assert_eq!(g.len(), c.global_condition_channels, "global conditioning length");
    }
}

/// Adds the threads' gradients to `grads` in thread order (so the sum is the same every run)
/// and totals their statistics.
fn gather(ws: &Workspace, grads: &mut [f32]) -> PassStats {
    let mut stats = PassStats::default();
    for t in &ws.threads {
        grads.iter_mut().zip(&t.grads).for_each(|(a, b)| *a += b);
        stats.loss_sum += t.stats.loss_sum;
        stats.correct += t.stats.correct;
        stats.count += t.stats.count;
    }
    stats
}
