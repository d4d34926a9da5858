//! Fused element-wise passes, compiled twice: for the baseline x86-64 target and for AVX2+FMA
//! (chosen at run time), so the same binary runs everywhere and uses 8-lane vectors where it
//! can.

use crate::math::{exp, sigmoid, tanh};

#[inline(always)]
fn gate_forward_impl(z: &mut [f32], bias: &[f32], a: &mut [f32], d: usize) {
    // Three flat loops per row: each is a plain zip that vectorises reliably.
    let (bf, bg) = bias.split_at(d);
    for (row, arow) in z.chunks_exact_mut(2 * d).zip(a.chunks_exact_mut(d)) {
        let (f, g) = row.split_at_mut(d);
        for (v, b) in f.iter_mut().zip(bf) {
            *v = tanh(*v + b);
        }
        for (v, b) in g.iter_mut().zip(bg) {
            *v = sigmoid(*v + b);
        }
        for ((o, t), s) in arow.iter_mut().zip(f.iter()).zip(g.iter()) {
            *o = t * s;
        }
    }
}

#[inline(always)]
fn gate_backward_impl(act: &[f32], da: &[f32], dz: &mut [f32], a: &mut [f32], d: usize) {
    for (((row, darow), dzrow), arow) in act
        .chunks_exact(2 * d)
        .zip(da.chunks_exact(d))
        .zip(dz.chunks_exact_mut(2 * d))
        .zip(a.chunks_exact_mut(d))
    {
        let (t, s) = row.split_at(d);
        let (dzf, dzg) = dzrow.split_at_mut(d);
        for ((o, t), s) in arow.iter_mut().zip(t).zip(s) {
            *o = t * s;
        }
        for (((o, g), t), s) in dzf.iter_mut().zip(darow).zip(t).zip(s) {
            *o = g * s * (1.0 - t * t);
        }
        for (((o, g), t), s) in dzg.iter_mut().zip(darow).zip(t).zip(s) {
            *o = g * t * s * (1.0 - s);
        }
    }
}

/// Softmax cross-entropy over rows of `logits` (in place: becomes `scale · (p − onehot)`).
#[inline(always)]
fn softmax_xent_impl(logits: &mut [f32], q: usize, targets: &[u32], scale: f32) -> (f64, usize) {
    let (mut loss, mut correct) = (0f64, 0usize);
    for (row, &target) in logits.chunks_exact_mut(q).zip(targets) {
        let max = row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        let target = target as usize;
        let is_best = row[target] == max;
        let mut sum = 0f32;
        for v in row.iter_mut() {
            *v = exp(*v - max);
            sum += *v;
        }
        let inv = 1.0 / sum;
        loss -= ((row[target] * inv).max(1e-30) as f64).ln();
        correct += is_best as usize;
        let s = inv * scale;
        for v in row.iter_mut() {
            *v *= s;
        }
        row[target] -= scale;
    }
    (loss, correct)
}

#[cfg(target_arch = "x86_64")]
mod v3 {
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn gate_forward(z: &mut [f32], bias: &[f32], a: &mut [f32], d: usize) {
        super::gate_forward_impl(z, bias, a, d)
    }
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn gate_backward(act: &[f32], da: &[f32], dz: &mut [f32], a: &mut [f32], d: usize) {
        super::gate_backward_impl(act, da, dz, a, d)
    }
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn softmax_xent(logits: &mut [f32], q: usize, targets: &[u32], scale: f32) -> (f64, usize) {
        super::softmax_xent_impl(logits, q, targets, scale)
    }
}

#[inline]
fn has_v3() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `z` (rows × 2d, filter | gate pre-activations without bias) becomes `[tanh | σ]` of
/// `z + bias`; `a = tanh ⊙ σ`.
pub fn gate_forward(z: &mut [f32], bias: &[f32], a: &mut [f32], d: usize) {
    #[cfg(target_arch = "x86_64")]
    if has_v3() {
        // SAFETY: the CPU supports AVX2 and FMA (checked above).
        return unsafe { v3::gate_forward(z, bias, a, d) };
    }
    gate_forward_impl(z, bias, a, d)
}

/// `dz = [da ⊙ σ ⊙ (1 − t²) | da ⊙ t ⊙ σ ⊙ (1 − σ)]` from stored `act = [t | σ]`, and
/// the gate output `a = t ⊙ σ` again (cheaper to recompute than to keep).
pub fn gate_backward(act: &[f32], da: &[f32], dz: &mut [f32], a: &mut [f32], d: usize) {
    #[cfg(target_arch = "x86_64")]
    if has_v3() {
        // SAFETY: the CPU supports AVX2 and FMA (checked above).
        return unsafe { v3::gate_backward(act, da, dz, a, d) };
    }
    gate_backward_impl(act, da, dz, a, d)
}

/// Returns (summed loss in nats, correct arg-max predictions).
pub fn softmax_xent(logits: &mut [f32], q: usize, targets: &[u32], scale: f32) -> (f64, usize) {
    #[cfg(target_arch = "x86_64")]
    if has_v3() {
        // SAFETY: the CPU supports AVX2 and FMA (checked above).
        return unsafe { v3::softmax_xent(logits, q, targets, scale) };
    }
    softmax_xent_impl(logits, q, targets, scale)
}
