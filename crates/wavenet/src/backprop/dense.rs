//! Row-wise helpers the passes share: biases, column sums, the gate product and the backward
//! of a dense layer.

use crate::math::{matmul_st, View};

pub(super) fn add_row_bias(m: &mut [f32], bias: &[f32]) {
    for row in m.chunks_exact_mut(bias.len()) {
        for (x, b) in row.iter_mut().zip(bias) {
            *x += b;
        }
    }
}

pub(super) fn add_col_sums(dst: &mut [f32], m: &[f32]) {
    for row in m.chunks_exact(dst.len()) {
        for (d, x) in dst.iter_mut().zip(row) {
            *d += x;
        }
    }
}

/// `a = t ⊙ σ` from stored activations `[t | σ]` (rows × 2d).
pub(super) fn gate_product(act: &[f32], a: &mut [f32], d: usize) {
    for (arow, row) in a.chunks_exact_mut(d).zip(act.chunks_exact(2 * d)) {
        for ((o, t), sg) in arow.iter_mut().zip(&row[..d]).zip(&row[d..]) {
            *o = t * sg;
        }
    }
}

/// Where a dense layer's weight (`k × n`) and optional bias live in the parameter buffer.
#[derive(Clone, Copy)]
pub(super) struct Dense {
    pub weight: usize,
    pub bias: Option<usize>,
}

/// Backward of `y = x · W + b` over `rows` rows (`W` in `p`): adds `xᵀ·dy` and the column sums
/// of `dy` to the gradients `g`, and writes `dx = dy · Wᵀ`.
pub(super) fn dense_backward(
    p: &[f32],
    g: &mut [f32],
    layer: Dense,
    x: &[f32],
    dy: &[f32],
    dx: &mut [f32],
    rows: usize,
) {
    let (k, n) = (x.len() / rows, dy.len() / rows);
    let w = layer.weight;
    matmul_st(
        &mut g[w..],
        true,
        View::new(x, rows, k).t(),
        View::new(dy, rows, n),
    );
    if let Some(b) = layer.bias {
        add_col_sums(&mut g[b..b + n], dy);
    }
    matmul_st(dx, false, View::new(dy, rows, n), View::new(&p[w..], k, n).t());
}

/// Zeroes gradients where the ReLU's output was not positive.
pub(super) fn relu_mask(grad: &mut [f32], out: &[f32]) {
    for (g, y) in grad.iter_mut().zip(out) {
        if *y <= 0.0 {
            *g = 0.0;
        }
    }
}
