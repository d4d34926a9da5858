//! The WaveNet: parameters in one flat buffer with a named layout, and hand-written forward
//! and backward passes over time-major, channel-last buffers allocated once per window size.
//!
//! Shapes (R residual, D dilation, S skip, H head, Q classes channels; rows are time steps):
//! - embedding (the width-2 causal convolution over the one-hot input, as a lookup):
//!   `h0[i] = E0[x[i]] + E1[x[i+1]] + b`
//! - layer with dilation d: `z[i] = h[i]·Wf0 + h[i+d]·Wf1 + bf (+ c·Wl + g·Wg)`,
//!   `a = tanh(z_filter) ⊙ σ(z_gate)`, `h'[i] = h[i+d] + a[i]·Wr + br`, `skip += a·Ws + bs`
//!   (skip only over the last T rows, which are the outputs)
//! - head: `logits = relu(relu(skip)·W1 + b1)·W2 + b2`, softmax cross-entropy.

use crate::config::Config;
use crate::kernels;
use crate::math::{matmul, matmul_st, View};

/// One named tensor inside the flat parameter buffer.
#[derive(Clone, Debug)]
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

/// What one forward/backward pass measured.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PassStats {
    /// Summed cross-entropy in nats.
    pub loss_sum: f64,
    /// Correct arg-max predictions.
    pub correct: usize,
    pub count: usize,
}

/// Largest total size of kept layer inputs; beyond it they are rebuilt in backward.
const KEEP_INPUTS_BYTES: usize = 256 << 20;

/// Rows of the head processed at once (keeps its buffers small).
const HEAD_CHUNK: usize = 1024;

/// One worker thread's private buffers: its share of the weight gradients (summed in a fixed
/// order at the end, so results are deterministic for a given thread count) and head scratch.
struct ThreadScratch {
    grads: Vec<f32>,
    y2: Vec<f32>,
    probs: Vec<f32>,
    dy2: Vec<f32>,
    dskip: Vec<f32>,
    colsum: Vec<f32>,
    a_chunk: Vec<f32>,
    colsum_s: Vec<f32>,
    stats: PassStats,
}

/// Buffers for one window size, allocated once and reused every step.
pub struct Workspace {
    /// Input samples per window (outputs + receptive field - 1).
    pub inputs: usize,
    pub outputs: usize,
    rows: Vec<usize>,
    /// Layer inputs. When they fit in [`KEEP_INPUTS_BYTES`], every h_l is kept (`h[l]`);
    /// otherwise two buffers are used in turn (`h[l % 2]`) and backward rebuilds each h_l
    /// from h_{l+1} (h_l[d..] = h_{l+1} − residual_l), which keeps an `ibab` step under 2 GB.
    h: Vec<Vec<f32>>,
    keep_inputs: bool,
    /// The first `dilation` rows of every h_l, which the residual path does not carry.
    h_heads: Vec<Vec<f32>>,
    /// Residual recomputation scratch.
    rtmp: Vec<f32>,
    act: Vec<Vec<f32>>,
    a: Vec<f32>,
    da: Vec<f32>,
    dz: Vec<f32>,
    skip: Vec<f32>,
    dh: [Vec<f32>; 2],
    zbias: Vec<f32>,
    threads: Vec<ThreadScratch>,
    /// When non-empty (`outputs × classes`), the next pass copies its logits here.
    pub logits: Vec<f32>,
}

impl Workspace {
    /// Buffers for windows with `outputs` predicted samples, worked on by the current rayon
    /// pool's threads.
    pub fn new(c: &Config, outputs: usize) -> Workspace {
        Self::with_threads(c, outputs, rayon::current_num_threads())
    }

    pub fn with_threads(c: &Config, outputs: usize, threads: usize) -> Workspace {
        let inputs = outputs + c.receptive_field() - 1;
        let mut rows = vec![inputs - 1];
        for &d in &c.dilations {
            rows.push(rows.last().unwrap() - d);
        }
        let (r, d, s) = (c.residual_channels, c.dilation_channels, c.skip_channels);
        let chunk = HEAD_CHUNK.min(outputs);
        let params = Layout::new(c).total;
        let keep_inputs = rows.iter().map(|&n| n * r * 4).sum::<usize>() <= KEEP_INPUTS_BYTES;
        Workspace {
            inputs,
            outputs,
            h: if keep_inputs {
                rows.iter().map(|&n| vec![0.0; n * r]).collect()
            } else {
                vec![vec![0.0; rows[0] * r], vec![0.0; rows[0] * r]]
            },
            keep_inputs,
            h_heads: c.dilations.iter().map(|&dil| vec![0.0; dil * r]).collect(),
            rtmp: vec![0.0; rows[1] * r],
            act: rows[1..].iter().map(|&n| vec![0.0; n * 2 * d]).collect(),
            a: vec![0.0; rows[1] * d],
            da: vec![0.0; rows[1] * d],
            dz: vec![0.0; rows[1] * 2 * d],
            skip: vec![0.0; outputs * s],
            dh: [vec![0.0; rows[0] * r], vec![0.0; rows[0] * r]],
            zbias: vec![0.0; 2 * d],
            threads: (0..threads.max(1))
                .map(|_| ThreadScratch {
                    grads: vec![0.0; params],
                    y2: vec![0.0; chunk * c.head_channels],
                    probs: vec![0.0; chunk * c.quantization_channels],
                    dy2: vec![0.0; chunk * c.head_channels],
                    dskip: vec![0.0; chunk * s],
                    colsum: vec![0.0; 2 * d],
                    a_chunk: vec![0.0; chunk * d],
                    colsum_s: vec![0.0; s],
                    stats: PassStats::default(),
                })
                .collect(),
            logits: Vec::new(),
            rows,
        }
    }

    /// Switches to rebuilding layer inputs in backward (the large-model path) whatever the
    /// size; for tests of that path on small models.
    pub fn rebuilding_inputs(mut self) -> Workspace {
        let r = self.h[0].len() / self.rows[0];
        self.h = vec![vec![0.0; self.rows[0] * r], vec![0.0; self.rows[0] * r]];
        self.keep_inputs = false;
        self
    }

    /// Makes every following pass keep its logits in [`Workspace::logits`] (for checks
    /// against reference implementations).
    pub fn capture_logits(&mut self, c: &Config) {
        self.logits = vec![0.0; self.outputs * c.quantization_channels];
    }
}

/// Conditioning inputs for one window.
#[derive(Clone, Copy, Default)]
pub struct Conditioning<'a> {
    /// `global_condition_channels` values.
    pub global: Option<&'a [f32]>,
    /// `inputs × local_condition_channels`, row j aligned with input sample j.
    pub local: Option<&'a [f32]>,
}

fn add_row_bias(m: &mut [f32], bias: &[f32]) {
    for row in m.chunks_exact_mut(bias.len()) {
        for (x, b) in row.iter_mut().zip(bias) {
            *x += b;
        }
    }
}

fn add_col_sums(dst: &mut [f32], m: &[f32]) {
    for row in m.chunks_exact(dst.len()) {
        for (d, x) in dst.iter_mut().zip(row) {
            *d += x;
        }
    }
}

/// `a = t ⊙ σ` from stored activations `[t | σ]` (rows × 2d).
fn gate_product(act: &[f32], a: &mut [f32], d: usize) {
    for (arow, row) in a.chunks_exact_mut(d).zip(act.chunks_exact(2 * d)) {
        for ((o, t), sg) in arow.iter_mut().zip(&row[..d]).zip(&row[d..]) {
            *o = t * sg;
        }
    }
}

/// Backward of `y = x · W + b` over `rows` rows (`W` at `w` in `p`, `k × n`): adds `xᵀ·dy` and
/// the column sums of `dy` to the gradients, and writes `dx = dy · Wᵀ`.
#[allow(clippy::too_many_arguments)]
fn dense_backward(
    p: &[f32],
    g: &mut [f32],
    w: usize,
    b: Option<usize>,
    x: &[f32],
    dy: &[f32],
    dx: &mut [f32],
    rows: usize,
) {
    let (k, n) = (x.len() / rows, dy.len() / rows);
    matmul_st(
        &mut g[w..],
        true,
        View::new(x, rows, k).t(),
        View::new(dy, rows, n),
    );
    if let Some(b) = b {
        add_col_sums(&mut g[b..b + n], dy);
    }
    matmul_st(dx, false, View::new(dy, rows, n), View::new(&p[w..], k, n).t());
}

/// Zeroes gradients where the ReLU's output was not positive.
fn relu_mask(grad: &mut [f32], out: &[f32]) {
    for (g, y) in grad.iter_mut().zip(out) {
        if *y <= 0.0 {
            *g = 0.0;
        }
    }
}

/// A buffer shared by the worker threads, each of which touches only its own rows.
#[derive(Clone, Copy)]
struct Rows {
    ptr: *mut f32,
    len: usize,
}
// SAFETY: `Rows` is only used inside `for_each_part`, where every thread reads shared
// (unchanging) rows or writes rows no other thread touches in the same phase.
unsafe impl Send for Rows {}
unsafe impl Sync for Rows {}

impl Rows {
    fn of(v: &mut [f32]) -> Rows {
        Rows {
            ptr: v.as_mut_ptr(),
            len: v.len(),
        }
    }
    /// Rows `start..end` of width `w`.
    ///
    /// SAFETY: the caller guarantees no other thread writes these elements concurrently.
    #[allow(clippy::mut_from_ref)]
    unsafe fn get(&self, start: usize, end: usize, w: usize) -> &mut [f32] {
        assert!(start <= end && end * w <= self.len, "row range out of bounds");
        std::slice::from_raw_parts_mut(self.ptr.add(start * w), (end - start) * w)
    }
}

/// Splits `0..n` into `parts` contiguous ranges.
fn part(n: usize, parts: usize, i: usize) -> (usize, usize) {
    (n * i / parts, n * (i + 1) / parts)
}

/// Runs `f(part_index)` for every part on the rayon pool and waits for all.
fn for_each_part(parts: usize, f: impl Fn(usize) + Sync) {
    if parts == 1 {
        f(0);
        return;
    }
    rayon::scope(|s| {
        for i in 1..parts {
            let f = &f;
            s.spawn(move |_| f(i));
        }
        f(0);
    });
}

/// Forward and backward over one window `x` (`ws.inputs + 1` class indices: the inputs and,
/// shifted by one, the targets). Adds gradients (scaled by `grad_scale`, e.g. 1 / outputs in
/// the batch) into `grads`. Returns the loss and accuracy over the window's outputs.
///
/// Threads split the time rows: every GEMM and element-wise pass of a layer runs on each
/// thread's rows (single-threaded GEMMs), and weight gradients go to per-thread buffers summed
/// at the end. Splitting by hand beat the GEMM crate's own threading on these tall, thin
/// matrices.
pub fn forward_backward(
    model: &Model,
    ws: &mut Workspace,
    x: &[u32],
    cond: Conditioning,
    grads: &mut [f32],
    grad_scale: f32,
) -> PassStats {
    let c = &model.config;
    let lay = &model.layout;
    let p = &model.params[..];
    let (r, d, s, hc, q) = (
        c.residual_channels,
        c.dilation_channels,
        c.skip_channels,
        c.head_channels,
        c.quantization_channels,
    );
    let d2 = 2 * d;
    let n_in = ws.inputs;
    let t_out = ws.outputs;
    assert_eq!(x.len(), n_in + 1, "window length");
    assert_eq!(grads.len(), p.len());
    if let Some(l) = cond.local {
        assert_eq!(
            l.len(),
            n_in * c.local_condition_channels,
            "local conditioning length"
        );
    }
    if let Some(g) = cond.global {
        assert_eq!(g.len(), c.global_condition_channels, "global conditioning length");
    }
    let rows = ws.rows.clone();
    let parts = ws.threads.len();
    for t in &mut ws.threads {
        t.grads.fill(0.0);
        t.stats = PassStats::default();
    }
    let scratch = ws.threads.as_mut_ptr() as usize;
    // SAFETY: part i only ever touches `threads[i]`.
    let scratch_of = |i: usize| unsafe { &mut *(scratch as *mut ThreadScratch).add(i) };

    // Embedding: a lookup is the one-hot convolution without multiplying zeros.
    {
        let h0 = Rows::of(&mut ws.h[0]);
        for_each_part(parts, |i| {
            let (lo, hi) = part(rows[0], parts, i);
            // SAFETY: rows lo..hi belong to this part.
            let out = unsafe { h0.get(lo, hi, r) };
            for (k, o) in out.chunks_exact_mut(r).enumerate() {
                let (a, b) = (x[lo + k] as usize, x[lo + k + 1] as usize);
                let old = &p[lay.embed_old + a * r..lay.embed_old + (a + 1) * r];
                let new = &p[lay.embed_new + b * r..lay.embed_new + (b + 1) * r];
                for j in 0..r {
                    o[j] = old[j] + new[j];
                }
                if let Some(bo) = lay.embed_bias {
                    for j in 0..r {
                        o[j] += p[bo + j];
                    }
                }
            }
        });
    }

    for (l, li) in lay.layers.iter().enumerate() {
        let dil = li.dilation;
        let n = rows[l + 1];
        ws.zbias.fill(0.0);
        if let Some(b) = li.filter_gate_bias {
            ws.zbias.copy_from_slice(&p[b..b + d2]);
        }
        if let (Some(wg), Some(g)) = (li.global, cond.global) {
            // Global conditioning is a per-window bias: g·Wg.
            let mut gz = vec![0f32; d2];
            matmul(
                &mut gz,
                false,
                View::new(g, 1, g.len()),
                View::new(&p[wg..], g.len(), d2),
            );
            ws.zbias.iter_mut().zip(&gz).for_each(|(z, v)| *z += v);
        }
        let zbias = &ws.zbias;
        let (hi_in, hi_out) = if ws.keep_inputs {
            (l, l + 1)
        } else {
            (l % 2, (l + 1) % 2)
        };
        let (lo_buf, hi_buf) = ws.h.split_at_mut(hi_in.max(hi_out));
        let (h, h_next) = if hi_in < hi_out {
            (&lo_buf[hi_in], &mut hi_buf[0])
        } else {
            (&hi_buf[0], &mut lo_buf[hi_out])
        };
        let h = &h[..rows[l] * r];
        if !ws.keep_inputs {
            ws.h_heads[l].copy_from_slice(&h[..dil * r]);
        }
        let h_next = Rows::of(&mut h_next[..n * r]);
        let act = Rows::of(&mut ws.act[l]);
        let a_rows = Rows::of(&mut ws.a);
        for_each_part(parts, |i| {
            let (lo, hi) = part(n, parts, i);
            let m = hi - lo;
            // SAFETY: rows lo..hi of act, a and h_next belong to this part.
            let (z, a, hn) = unsafe { (act.get(lo, hi, d2), a_rows.get(lo, hi, d), h_next.get(lo, hi, r)) };
            matmul_st(
                z,
                false,
                View::new(&h[lo * r..], m, r),
                View::new(&p[li.filter_gate_old..], r, d2),
            );
            matmul_st(
                z,
                true,
                View::new(&h[(lo + dil) * r..], m, r),
                View::new(&p[li.filter_gate_new..], r, d2),
            );
            if let (Some(wl), Some(local)) = (li.local, cond.local) {
                let cl = c.local_condition_channels;
                let off = n_in - n + lo;
                matmul_st(
                    z,
                    true,
                    View::new(&local[off * cl..], m, cl),
                    View::new(&p[wl..], cl, d2),
                );
            }
            kernels::gate_forward(z, zbias, a, d);
            // The last layer's residual output feeds nothing (as in ibab's model): skip it.
            if l + 1 < lay.layers.len() {
                hn.copy_from_slice(&h[(lo + dil) * r..(hi + dil) * r]);
                matmul_st(hn, true, View::new(a, m, d), View::new(&p[li.residual..], d, r));
                if let Some(b) = li.residual_bias {
                    add_row_bias(hn, &p[b..b + r]);
                }
            }
        });
    }

    // Head, per part and chunk; `skip` becomes d(loss)/d(skip) on the way back.
    let targets = &x[n_in + 1 - t_out..];
    {
        let skip = Rows::of(&mut ws.skip);
        let ws_act = &ws.act;
        // Skip biases of all layers add up to one bias.
        let skip_bias_sum: Option<Vec<f32>> = lay.layers[0].skip_bias.map(|_| {
            let mut sum = vec![0f32; s];
            for li in &lay.layers {
                let b = li.skip_bias.expect("biases are all or none");
                sum.iter_mut().zip(&p[b..b + s]).for_each(|(x, v)| *x += v);
            }
            sum
        });
        let capture = if ws.logits.is_empty() {
            None
        } else {
            Some(Rows::of(&mut ws.logits))
        };
        for_each_part(parts, |i| {
            let (lo, hi) = part(t_out, parts, i);
            let ts = scratch_of(i);
            let mut start = lo;
            while start < hi {
                let m = HEAD_CHUNK.min(hi - start);
                // SAFETY: rows start..start+m are this part's.
                let sk = unsafe { skip.get(start, start + m, s) };
                // The skip sum of these output rows over all layers, while the chunk stays in
                // cache (summing layer by layer over all rows streams the whole T × S buffer
                // through memory once per layer, which starved the GEMMs on `ibab`).
                sk.fill(0.0);
                for (l, li) in lay.layers.iter().enumerate() {
                    let first = rows[l + 1] - t_out + start;
                    let ach = &mut ts.a_chunk[..m * d];
                    gate_product(&ws_act[l][first * d2..(first + m) * d2], ach, d);
                    matmul_st(sk, true, View::new(ach, m, d), View::new(&p[li.skip..], d, s));
                }
                if let Some(bias) = &skip_bias_sum {
                    add_row_bias(sk, bias);
                }
                sk.iter_mut().for_each(|v| *v = v.max(0.0));
                let y2 = &mut ts.y2[..m * hc];
                matmul_st(y2, false, View::new(sk, m, s), View::new(&p[lay.head1..], s, hc));
                if let Some(b) = lay.head1_bias {
                    add_row_bias(y2, &p[b..b + hc]);
                }
                y2.iter_mut().for_each(|v| *v = v.max(0.0));
                let probs = &mut ts.probs[..m * q];
                matmul_st(
                    probs,
                    false,
                    View::new(y2, m, hc),
                    View::new(&p[lay.head2..], hc, q),
                );
                if let Some(b) = lay.head2_bias {
                    add_row_bias(probs, &p[b..b + q]);
                }
                if let Some(cap) = capture {
                    // SAFETY: rows start..start+m are this part's.
                    unsafe { cap.get(start, start + m, q) }.copy_from_slice(probs);
                }
                let (loss, correct) = kernels::softmax_xent(probs, q, &targets[start..start + m], grad_scale);
                ts.stats.loss_sum += loss;
                ts.stats.correct += correct;
                ts.stats.count += m;
                let g = &mut ts.grads;
                // Back through both dense layers of the head, each followed by its ReLU's mask.
                let dy2 = &mut ts.dy2[..m * hc];
                dense_backward(p, g, lay.head2, lay.head2_bias, y2, probs, dy2, m);
                relu_mask(dy2, y2);
                let dskip = &mut ts.dskip[..m * s];
                dense_backward(p, g, lay.head1, lay.head1_bias, sk, dy2, dskip, m);
                relu_mask(dskip, sk);
                sk.copy_from_slice(dskip);
                // Skip weight gradients of every layer while this chunk of d(skip) is in cache.
                ts.colsum_s.fill(0.0);
                add_col_sums(&mut ts.colsum_s, sk);
                for (l, li) in lay.layers.iter().enumerate() {
                    let first = rows[l + 1] - t_out + start;
                    let ach = &mut ts.a_chunk[..m * d];
                    gate_product(&ws_act[l][first * d2..(first + m) * d2], ach, d);
                    matmul_st(
                        &mut g[li.skip..],
                        true,
                        View::new(ach, m, d).t(),
                        View::new(sk, m, s),
                    );
                    if let Some(b) = li.skip_bias {
                        g[b..b + s]
                            .iter_mut()
                            .zip(&ts.colsum_s)
                            .for_each(|(x, v)| *x += v);
                    }
                }
                start += m;
            }
        });
    }

    // Back through the layers. dh[cur] holds d(loss)/d(h_{l+1}); the last layer's residual
    // output feeds nothing.
    let mut cur = 0;
    ws.dh[cur][..rows[lay.layers.len()] * r].fill(0.0);
    for (l, li) in lay.layers.iter().enumerate().rev() {
        let dil = li.dilation;
        let n = rows[l + 1];
        let first_out = n - t_out;
        let act = &ws.act[l][..];
        let h = &ws.h[if ws.keep_inputs { l } else { l % 2 }][..rows[l] * r];
        let dskip = &ws.skip[..];
        let (dh_a, dh_b) = ws.dh.split_at_mut(1);
        let (dh_next, dh_prev) = if cur == 0 {
            (&dh_a[0], &mut dh_b[0])
        } else {
            (&dh_b[0], &mut dh_a[0])
        };
        let dh_next = &dh_next[..n * r];
        let dh_prev = Rows::of(&mut dh_prev[..rows[l] * r]);
        let a_rows = Rows::of(&mut ws.a);
        let da_rows = Rows::of(&mut ws.da);
        let dz_rows = Rows::of(&mut ws.dz);
        // Phase 1: per-row gradients, weight gradients, and the parts of d(h_l) that land on
        // rows d.. (residual path and the new tap).
        for_each_part(parts, |i| {
            let (lo, hi) = part(n, parts, i);
            let m = hi - lo;
            let ts = scratch_of(i);
            let g = &mut ts.grads;
            // SAFETY: rows lo..hi of a, da, dz and rows lo+dil..hi+dil of dh_prev are this part's.
            let (a, da, dz) = unsafe {
                (
                    a_rows.get(lo, hi, d),
                    da_rows.get(lo, hi, d),
                    dz_rows.get(lo, hi, d2),
                )
            };
            let act = &act[lo * d2..hi * d2];
            let dhn = &dh_next[lo * r..hi * r];
            let last = l + 1 == lay.layers.len();
            // da = dh_next·Wrᵀ (+ dskip·Wsᵀ on the output rows); then one fused pass gives
            // dz and a; then the weight gradients that need a.
            if last {
                da.fill(0.0);
            } else {
                matmul_st(
                    da,
                    false,
                    View::new(dhn, m, r),
                    View::new(&p[li.residual..], d, r).t(),
                );
            }
            let (so, se) = (lo.max(first_out), hi);
            let ds = if so < se {
                &dskip[(so - first_out) * s..(se - first_out) * s]
            } else {
                &dskip[..0]
            };
            if so < se {
                matmul_st(
                    &mut da[(so - lo) * d..],
                    true,
                    View::new(ds, se - so, s),
                    View::new(&p[li.skip..], d, s).t(),
                );
            }
            kernels::gate_backward(act, da, dz, a, d);
            if !last {
                matmul_st(
                    &mut g[li.residual..],
                    true,
                    View::new(a, m, d).t(),
                    View::new(dhn, m, r),
                );
                if let Some(b) = li.residual_bias {
                    add_col_sums(&mut g[b..b + r], dhn);
                }
            }
            matmul_st(
                &mut g[li.filter_gate_old..],
                true,
                View::new(&h[lo * r..], m, r).t(),
                View::new(dz, m, d2),
            );
            matmul_st(
                &mut g[li.filter_gate_new..],
                true,
                View::new(&h[(lo + dil) * r..], m, r).t(),
                View::new(dz, m, d2),
            );
            ts.colsum.fill(0.0);
            add_col_sums(&mut ts.colsum, dz);
            if let Some(b) = li.filter_gate_bias {
                g[b..b + d2].iter_mut().zip(&ts.colsum).for_each(|(x, v)| *x += v);
            }
            if let (Some(wl), Some(local)) = (li.local, cond.local) {
                let cl = c.local_condition_channels;
                let off = n_in - n + lo;
                matmul_st(
                    &mut g[wl..],
                    true,
                    View::new(&local[off * cl..], m, cl).t(),
                    View::new(dz, m, d2),
                );
            }
            if let (Some(wg), Some(gv)) = (li.global, cond.global) {
                matmul_st(
                    &mut g[wg..],
                    true,
                    View::new(gv, 1, gv.len()).t(),
                    View::new(&ts.colsum, 1, d2),
                );
            }
            // SAFETY: rows lo+dil..hi+dil of dh_prev are this part's in this phase.
            let out = unsafe { dh_prev.get(lo + dil, hi + dil, r) };
            out.copy_from_slice(dhn);
            matmul_st(
                out,
                true,
                View::new(dz, m, d2),
                View::new(&p[li.filter_gate_new..], r, d2).t(),
            );
        });
        // Phase 2: the old tap lands on rows 0..n; rows 0..dil had nothing from phase 1.
        // SAFETY: no part is running.
        unsafe { dh_prev.get(0, dil, r) }.fill(0.0);
        let dz_all = &ws.dz[..n * d2];
        for_each_part(parts, |i| {
            let (lo, hi) = part(n, parts, i);
            // SAFETY: rows lo..hi of dh_prev are this part's in this phase.
            let out = unsafe { dh_prev.get(lo, hi, r) };
            matmul_st(
                out,
                true,
                View::new(&dz_all[lo * d2..], hi - lo, d2),
                View::new(&p[li.filter_gate_old..], r, d2).t(),
            );
        });
        cur = 1 - cur;
        // Rebuild h_{l-1} from h_l for the next layer down (unless all inputs were kept).
        if l > 0 && !ws.keep_inputs {
            let prev = &lay.layers[l - 1];
            let pd = prev.dilation;
            let (h0, h1) = ws.h.split_at_mut(1);
            let (h_l, h_prev) = if l % 2 == 0 {
                (&h0[0], &mut h1[0])
            } else {
                (&h1[0], &mut h0[0])
            };
            let h_l = &h_l[..n * r];
            h_prev[..pd * r].copy_from_slice(&ws.h_heads[l - 1]);
            let h_prev = Rows::of(&mut h_prev[..(n + pd) * r]);
            let act_prev = &ws.act[l - 1][..];
            let a_rows = Rows::of(&mut ws.a);
            let r_rows = Rows::of(&mut ws.rtmp);
            for_each_part(parts, |i| {
                let (lo, hi) = part(n, parts, i);
                // SAFETY: rows lo..hi of a and rtmp, rows pd+lo..pd+hi of h_prev are this part's.
                let (a, rt, out) = unsafe {
                    (
                        a_rows.get(lo, hi, d),
                        r_rows.get(lo, hi, r),
                        h_prev.get(pd + lo, pd + hi, r),
                    )
                };
                gate_product(&act_prev[lo * d2..hi * d2], a, d);
                matmul_st(
                    rt,
                    false,
                    View::new(a, hi - lo, d),
                    View::new(&p[prev.residual..], d, r),
                );
                if let Some(b) = prev.residual_bias {
                    add_row_bias(rt, &p[b..b + r]);
                }
                for ((o, x), y) in out.iter_mut().zip(&h_l[lo * r..hi * r]).zip(rt.iter()) {
                    *o = x - y;
                }
            });
        }
    }

    // Embedding gradients (rows scatter into table rows: done on one thread).
    let dh0 = &ws.dh[cur][..rows[0] * r];
    let g = &mut ws.threads[0].grads;
    for i in 0..rows[0] {
        let (a, b) = (x[i] as usize, x[i + 1] as usize);
        let gr = &dh0[i * r..(i + 1) * r];
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
    let mut stats = PassStats::default();
    for t in &ws.threads {
        grads.iter_mut().zip(&t.grads).for_each(|(a, b)| *a += b);
        stats.loss_sum += t.stats.loss_sum;
        stats.correct += t.stats.correct;
        stats.count += t.stats.count;
    }
    stats
}
