//! The numeric kernels: a safe row-major wrapper over the `gemm` crate, and vectorisable
//! transcendental functions.
//!
//! Why hand-written: measured on the reference 2-core machine, PyTorch took 298–391 ms per
//! `small` training step, candle 1,060–1,250 ms and burn 860–922 ms, while a bare forward/backward
//! over `gemm` took 226–266 ms. The GEMMs were never the frameworks' problem; per-op
//! allocation, unfused element-wise passes and scalar `tanh`/`exp` were. So this crate keeps
//! the GEMMs in a well-kept crate and writes the rest as fused passes over preallocated buffers.

use gemm::Parallelism;

/// A row-major matrix view: `rows × cols`, element (i, j) at `i * row_stride + j * col_stride`.
#[derive(Clone, Copy)]
pub struct View<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
    pub row_stride: usize,
    pub col_stride: usize,
}

impl<'a> View<'a> {
    /// A dense row-major matrix.
    pub fn new(data: &'a [f32], rows: usize, cols: usize) -> View<'a> {
        View {
            data,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }
    /// The transpose, without moving data.
    pub fn t(self) -> View<'a> {
        View {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
        }
    }
    fn check(&self) {
        if self.rows > 0 && self.cols > 0 {
            let last = (self.rows - 1) * self.row_stride + (self.cols - 1) * self.col_stride;
            assert!(last < self.data.len(), "matrix view out of bounds");
        }
    }
}

/// Sets flush-to-zero and denormals-are-zero on the calling thread. Training drives some
/// activations and Adam moments into the subnormal range, where every operation on them
/// takes a slow microcode path: measured here, a `small`-shaped run (4,000-sample windows,
/// batch 2) slowed from 0.11 to 0.40 s per step within 2,400 steps; with flushing it stayed at
/// 0.11 s for 5,600 steps. Subnormals carry no useful signal for training.
pub fn flush_denormals_on_this_thread() {
    #[cfg(target_arch = "x86_64")]
    {
        let mut csr: u32 = 0;
        // SAFETY: reads and writes this thread's MXCSR register only.
        unsafe {
            std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack));
            csr |= 0x8040; // FTZ (bit 15) | DAZ (bit 6)
            std::arch::asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack));
        }
    }
}

/// Sets flush-to-zero and denormals-are-zero on the calling thread and every rayon worker.
pub fn flush_denormals() {
    flush_denormals_on_this_thread();
    rayon::broadcast(|_| flush_denormals_on_this_thread());
}

fn parallelism(m: usize, n: usize, k: usize) -> Parallelism {
    let t = rayon::current_num_threads();
    // Threading tiny products costs more than it saves.
    if t <= 1 || m * n * k < 64 * 64 * 64 {
        Parallelism::None
    } else {
        Parallelism::Rayon(t)
    }
}

/// `c (rows × cols, dense row-major) = [c +] a · b`, threaded by the GEMM crate for large
/// products.
pub fn matmul(c: &mut [f32], accumulate: bool, a: View, b: View) {
    gemm_into(c, accumulate, a, b, true)
}

/// As [`matmul`], on the calling thread only (the caller splits the work itself).
pub fn matmul_st(c: &mut [f32], accumulate: bool, a: View, b: View) {
    gemm_into(c, accumulate, a, b, false)
}

#[cfg(feature = "bench")]
fn gemm_into(c: &mut [f32], accumulate: bool, a: View, b: View, threaded: bool) {
    let started = std::time::Instant::now();
    gemm_call(c, accumulate, a, b, threaded);
    counters::add(
        2 * (a.rows * a.cols * b.cols) as u64,
        started.elapsed().as_nanos() as u64,
    );
}

#[cfg(not(feature = "bench"))]
fn gemm_into(c: &mut [f32], accumulate: bool, a: View, b: View, threaded: bool) {
    gemm_call(c, accumulate, a, b, threaded);
}

/// GEMM work done so far, for benchmarks (the `bench` feature): the rate the GEMMs reach
/// inside a training step. Off by default: two shared atomics and a clock read per GEMM.
#[cfg(feature = "bench")]
pub mod counters {
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

    static FLOP: AtomicU64 = AtomicU64::new(0);
    static NANOS: AtomicU64 = AtomicU64::new(0);

    pub(super) fn add(flop: u64, nanos: u64) {
        FLOP.fetch_add(flop, Relaxed);
        NANOS.fetch_add(nanos, Relaxed);
    }

    /// (floating-point operations, nanoseconds summed over calling threads).
    pub fn gemm() -> (u64, u64) {
        (FLOP.load(Relaxed), NANOS.load(Relaxed))
    }
}

fn gemm_call(c: &mut [f32], accumulate: bool, a: View, b: View, threaded: bool) {
    assert_eq!(a.cols, b.rows, "inner dimensions");
    let (m, n, k) = (a.rows, b.cols, a.cols);
    assert!(c.len() >= m * n, "output too small");
    a.check();
    b.check();
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            c[..m * n].fill(0.0);
        }
        return;
    }
    // SAFETY: bounds of all three operands were checked above; `c` does not alias `a` or `b`
    // (it is a distinct `&mut`).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a.col_stride as isize,
            a.row_stride as isize,
            b.data.as_ptr(),
            b.col_stride as isize,
            b.row_stride as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            if threaded {
                parallelism(m, n, k)
            } else {
                Parallelism::None
            },
        );
    }
}

/// `exp(x)` to about 2 ulp for f32, branch-free so loops over slices vectorise
/// (Cody–Waite range reduction and a degree-6 polynomial, as in Cephes `expf`).
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.3, 88.7);
    // Round to nearest by the 1.5·2^23 trick: `f32::round` is a libm call that stops the
    // loop from vectorising.
    const SHIFTER: f32 = 12_582_912.0;
    let n = (x * std::f32::consts::LOG2_E + SHIFTER) - SHIFTER;
    let r = x - n * 0.693_359_4 + n * 2.121_944_4e-4;
    let r2 = r * r;
    let p = 1.987_569_1e-4f32;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 0.5;
    let y = p * r2 + r + 1.0;
    // Scale by 2^n through the exponent bits.
    let bits = ((n as i32 + 127) as u32) << 23;
    y * f32::from_bits(bits)
}

/// `σ(x) = (1 + tanh(x/2)) / 2`.
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    0.5 + 0.5 * tanh(0.5 * x)
}

/// `tanh(x)` as the 13/6 rational minimax approximation Eigen (and so TensorFlow and PyTorch's
/// CPU kernels) use: a few ulp, no `exp`, one division, and it vectorises.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    let x = x.clamp(-7.905_311, 7.905_311);
    let x2 = x * x;
    let p = -2.760_768_5e-16f32;
    let p = p * x2 + 2.000_188e-13;
    let p = p * x2 - 8.604_672e-11;
    let p = p * x2 + 5.122_297e-8;
    let p = p * x2 + 1.485_722_4e-5;
    let p = p * x2 + 6.372_619_3e-4;
    let p = p * x2 + 4.893_524_6e-3;
    let q = 1.198_258_4e-6f32;
    let q = q * x2 + 1.185_347_1e-4;
    let q = q * x2 + 2.268_434_6e-3;
    let q = q * x2 + 4.893_525e-3;
    x * p / q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_functions_match_std() {
        let mut worst = (0f32, 0f32, 0f32);
        // The full range where f32 exp is normal (the fast version clamps outside it).
        for i in -34_000..34_000 {
            let x = i as f32 * 0.0025;
            let e = (exp(x) - x.exp()).abs() / x.exp();
            let t = (tanh(x) - x.tanh()).abs();
            let s = (sigmoid(x) - 1.0 / (1.0 + (-x).exp())).abs();
            worst = (worst.0.max(e), worst.1.max(t), worst.2.max(s));
        }
        assert!(worst.0 < 4e-7 && worst.1 < 4e-7 && worst.2 < 3e-7, "{worst:?}");
    }

    #[test]
    fn matmul_with_transposes() {
        // a: 2x3, b: 3x2
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let b = [7.0, 8.0, 9.0, 10.0, 11.0, 12.0];
        let mut c = [0f32; 4];
        matmul(&mut c, false, View::new(&a, 2, 3), View::new(&b, 3, 2));
        assert_eq!(c, [58.0, 64.0, 139.0, 154.0]);
        // aᵀ (3x2) · a (2x3) = 3x3
        let mut d = [0f32; 9];
        matmul(&mut d, false, View::new(&a, 2, 3).t(), View::new(&a, 2, 3));
        assert_eq!(d, [17.0, 22.0, 27.0, 22.0, 29.0, 36.0, 27.0, 36.0, 45.0]);
        matmul(&mut c, true, View::new(&a, 2, 3), View::new(&b, 3, 2));
        assert_eq!(c, [116.0, 128.0, 278.0, 308.0]);
    }
}
