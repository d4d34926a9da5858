//! The embedding: the width-2 causal convolution over the one-hot input, done as a lookup
//! (`h0[i] = E0[x[i]] + E1[x[i+1]] + b`), which is the convolution without multiplying
//! zeros. Training and generation share it, so both add the same numbers in the same order.

use crate::model::Model;
use crate::rows::{for_each_part, part, Rows};

/// Embeds pairs of samples, one row of `residual_channels` per pair (`prev[k]`, `cur[k]`).
#[inline(always)]
pub(crate) fn rows(m: &Model, prev: &[u32], cur: &[u32], out: &mut [f32]) {
    let (lay, p, r) = (&m.layout, &m.params, m.config.residual_channels);
    for ((row, &a), &b) in out.chunks_exact_mut(r).zip(prev).zip(cur) {
        let (a, b) = (a as usize, b as usize);
        let old = &p[lay.embed_old + a * r..lay.embed_old + (a + 1) * r];
        let new = &p[lay.embed_new + b * r..lay.embed_new + (b + 1) * r];
        for ((o, x), y) in row.iter_mut().zip(old).zip(new) {
            *o = x + y;
        }
        if let Some(bo) = lay.embed_bias {
            for (o, v) in row.iter_mut().zip(&p[bo..bo + r]) {
                *o += v;
            }
        }
    }
}

/// The first layer's input for a training window `x`: `n` rows into `h0`, split between
/// `parts` threads.
pub(crate) fn forward(m: &Model, x: &[u32], n: usize, h0: &mut [f32], parts: usize) {
    let r = m.config.residual_channels;
    let h0 = Rows::of(h0);
    for_each_part(parts, |i| {
        let (lo, hi) = part(n, parts, i);
        // SAFETY: rows lo..hi belong to this part.
        let out = unsafe { h0.get(lo, hi, r) };
        rows(m, &x[lo..hi], &x[lo + 1..hi + 1], out);
    });
}

/// Adds the embedding's gradients for d(loss)/d(h0) (`dh0`, one row per input pair) to `g`.
/// Rows scatter into table rows, so this runs on one thread.
pub(crate) fn backward(m: &Model, x: &[u32], dh0: &[f32], g: &mut [f32]) {
    let (lay, r) = (&m.layout, m.config.residual_channels);
    for (i, gr) in dh0.chunks_exact(r).enumerate() {
        let (a, b) = (x[i] as usize, x[i + 1] as usize);
        for k in 0..r {
            g[lay.embed_old + a * r + k] += gr[k];
            g[lay.embed_new + b * r + k] += gr[k];
        }
        if let Some(bo) = lay.embed_bias {
            for k in 0..r {
                g[bo + k] += gr[k];
            }
        }
    }
}
