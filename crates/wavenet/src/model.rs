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
use crate::math::{self, matmul, View};

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
        let mut state = seed ^ 0x853C_49E6_748F_EA9B;
        for e in &layout.entries {
            if e.name.ends_with(".bias") {
                continue;
            }
            // Glorot-uniform over (fan_in, fan_out) = the matrix's (rows, cols).
            let (fan_in, fan_out) = (e.shape[0], e.shape[1]);
            let limit = (6.0 / (fan_in + fan_out) as f32).sqrt();
            for p in &mut params[e.offset..e.offset + e.len] {
                state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^= z >> 31;
                let u = (z >> 40) as f32 / (1u64 << 24) as f32;
                *p = (2.0 * u - 1.0) * limit;
            }
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

/// Buffers for one window size, allocated once and reused every step.
pub struct Workspace {
    /// Input samples per window (outputs + receptive field - 1).
    pub inputs: usize,
    pub outputs: usize,
    rows: Vec<usize>,
    h: Vec<Vec<f32>>,
    act: Vec<Vec<f32>>,
    a: Vec<f32>,
    skip: Vec<f32>,
    dz: Vec<f32>,
    dh: [Vec<f32>; 2],
    y2: Vec<f32>,
    probs: Vec<f32>,
    dy2: Vec<f32>,
    zbias: Vec<f32>,
}

/// Rows of the head processed at once (keeps its buffers small).
const HEAD_CHUNK: usize = 2048;

impl Workspace {
    pub fn new(c: &Config, outputs: usize) -> Workspace {
        let inputs = outputs + c.receptive_field() - 1;
        let mut rows = vec![inputs - 1];
        for &d in &c.dilations {
            rows.push(rows.last().unwrap() - d);
        }
        debug_assert_eq!(*rows.last().unwrap(), outputs);
        let (r, d, s) = (c.residual_channels, c.dilation_channels, c.skip_channels);
        let chunk = HEAD_CHUNK.min(outputs);
        Workspace {
            inputs,
            outputs,
            h: rows.iter().map(|&n| vec![0.0; n * r]).collect(),
            act: rows[1..].iter().map(|&n| vec![0.0; n * 2 * d]).collect(),
            a: vec![0.0; rows[1] * d],
            skip: vec![0.0; outputs * s],
            dz: vec![0.0; rows[1] * 2 * d],
            dh: [vec![0.0; rows[0] * r], vec![0.0; rows[0] * r]],
            y2: vec![0.0; chunk * c.head_channels],
            probs: vec![0.0; chunk * c.quantization_channels],
            dy2: vec![0.0; chunk * c.head_channels],
            zbias: vec![0.0; 2 * d],
            rows,
        }
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
    let rows = ws.rows.clone();

    // Embedding: a lookup is the one-hot convolution without multiplying zeros.
    {
        let h0 = &mut ws.h[0];
        for i in 0..rows[0] {
            let (a, b) = (x[i] as usize, x[i + 1] as usize);
            let old = &p[lay.embed_old + a * r..lay.embed_old + (a + 1) * r];
            let new = &p[lay.embed_new + b * r..lay.embed_new + (b + 1) * r];
            let out = &mut h0[i * r..(i + 1) * r];
            for k in 0..r {
                out[k] = old[k] + new[k];
            }
            if let Some(bo) = lay.embed_bias {
                for k in 0..r {
                    out[k] += p[bo + k];
                }
            }
        }
    }

    ws.skip.fill(0.0);
    for (l, li) in lay.layers.iter().enumerate() {
        let dil = li.dilation;
        let n = rows[l + 1];
        let (h_lo, h_hi) = ws.h.split_at_mut(l + 1);
        let h = &h_lo[l];
        let act = &mut ws.act[l];
        // z = h[i]·Wf0 + h[i+d]·Wf1 (+ local), into `act` (then activated in place).
        matmul(
            act,
            false,
            View::new(&h[..n * r], n, r),
            View::new(&p[li.filter_gate_old..], r, d2),
        );
        matmul(
            act,
            true,
            View::new(&h[dil * r..], n, r),
            View::new(&p[li.filter_gate_new..], r, d2),
        );
        if let (Some(wl), Some(local)) = (li.local, cond.local) {
            let cl = c.local_condition_channels;
            let off = n_in - n;
            matmul(
                act,
                true,
                View::new(&local[off * cl..], n, cl),
                View::new(&p[wl..], cl, d2),
            );
        }
        ws.zbias.fill(0.0);
        if let Some(b) = li.filter_gate_bias {
            ws.zbias.copy_from_slice(&p[b..b + d2]);
        }
        if let (Some(wg), Some(g)) = (li.global, cond.global) {
            let mut gz = vec![0f32; d2];
            matmul(
                &mut gz,
                false,
                View::new(g, 1, g.len()),
                View::new(&p[wg..], g.len(), d2),
            );
            for (z, v) in ws.zbias.iter_mut().zip(&gz) {
                *z += v;
            }
        }
        // Fused bias + gate: store tanh(filter) and σ(gate); a = their product.
        let a = &mut ws.a[..n * d];
        for (row, arow) in act.chunks_exact_mut(d2).zip(a.chunks_exact_mut(d)) {
            for k in 0..d {
                let t = math::tanh(row[k] + ws.zbias[k]);
                let g = math::sigmoid(row[d + k] + ws.zbias[d + k]);
                row[k] = t;
                row[d + k] = g;
                arow[k] = t * g;
            }
        }
        // Residual: h'[i] = h[i+d] + a·Wr + br.
        let h_next = &mut h_hi[0];
        h_next.copy_from_slice(&h[dil * r..(dil + n) * r]);
        matmul(
            h_next,
            true,
            View::new(a, n, d),
            View::new(&p[li.residual..], d, r),
        );
        if let Some(b) = li.residual_bias {
            add_row_bias(h_next, &p[b..b + r]);
        }
        // Skip over the output rows.
        matmul(
            &mut ws.skip,
            true,
            View::new(&a[(n - t_out) * d..], t_out, d),
            View::new(&p[li.skip..], d, s),
        );
        if let Some(b) = li.skip_bias {
            add_row_bias(&mut ws.skip, &p[b..b + s]);
        }
    }

    // Head, chunk by chunk; on the way back `skip` becomes d(loss)/d(skip).
    let mut stats = PassStats::default();
    let targets = &x[n_in + 1 - t_out..];
    let mut start = 0;
    while start < t_out {
        let m = HEAD_CHUNK.min(t_out - start);
        let skip = &mut ws.skip[start * s..(start + m) * s];
        // y1 = relu(skip), in place (skip's sign is all backward needs).
        for v in skip.iter_mut() {
            *v = v.max(0.0);
        }
        let y2 = &mut ws.y2[..m * hc];
        matmul(
            y2,
            false,
            View::new(skip, m, s),
            View::new(&p[lay.head1..], s, hc),
        );
        if let Some(b) = lay.head1_bias {
            add_row_bias(y2, &p[b..b + hc]);
        }
        y2.iter_mut().for_each(|v| *v = v.max(0.0));
        let probs = &mut ws.probs[..m * q];
        matmul(
            probs,
            false,
            View::new(y2, m, hc),
            View::new(&p[lay.head2..], hc, q),
        );
        if let Some(b) = lay.head2_bias {
            add_row_bias(probs, &p[b..b + q]);
        }
        // Softmax cross-entropy; probs becomes d(loss)/d(logits) · scale.
        for (i, row) in probs.chunks_exact_mut(q).enumerate() {
            let target = targets[start + i] as usize;
            let (mut best, mut max) = (0usize, f32::NEG_INFINITY);
            for (k, &v) in row.iter().enumerate() {
                if v > max {
                    max = v;
                    best = k;
                }
            }
            let mut sum = 0f32;
            for v in row.iter_mut() {
                *v = math::exp(*v - max);
                sum += *v;
            }
            let inv = 1.0 / sum;
            stats.loss_sum -= ((row[target] * inv).max(1e-30) as f64).ln();
            stats.correct += (best == target) as usize;
            for v in row.iter_mut() {
                *v *= inv * grad_scale;
            }
            row[target] -= grad_scale;
        }
        stats.count += m;
        // Back through the head.
        matmul(
            &mut grads[lay.head2..],
            true,
            View::new(y2, m, hc).t(),
            View::new(probs, m, q),
        );
        if let Some(b) = lay.head2_bias {
            add_col_sums(&mut grads[b..b + q], probs);
        }
        let dy2 = &mut ws.dy2[..m * hc];
        matmul(
            dy2,
            false,
            View::new(probs, m, q),
            View::new(&p[lay.head2..], hc, q).t(),
        );
        for (g, y) in dy2.iter_mut().zip(y2.iter()) {
            if *y <= 0.0 {
                *g = 0.0;
            }
        }
        matmul(
            &mut grads[lay.head1..],
            true,
            View::new(skip, m, s).t(),
            View::new(dy2, m, hc),
        );
        if let Some(b) = lay.head1_bias {
            add_col_sums(&mut grads[b..b + hc], dy2);
        }
        // d(skip) = dy2·W1ᵀ masked by relu(skip) > 0, written over skip.
        let mut dskip = vec![0f32; m * s];
        matmul(
            &mut dskip,
            false,
            View::new(dy2, m, hc),
            View::new(&p[lay.head1..], s, hc).t(),
        );
        for (sk, ds) in skip.iter_mut().zip(&dskip) {
            *sk = if *sk > 0.0 { *ds } else { 0.0 };
        }
        start += m;
    }
    let dskip = &ws.skip;

    // Back through the layers. dh[cur] holds d(loss)/d(h_{l+1}); the last layer's residual
    // output feeds nothing.
    let mut cur = 0;
    ws.dh[cur][..rows[lay.layers.len()] * r].fill(0.0);
    for (l, li) in lay.layers.iter().enumerate().rev() {
        let dil = li.dilation;
        let n = rows[l + 1];
        let n_prev = rows[l];
        let act = &ws.act[l];
        let h = &ws.h[l];
        let a = &mut ws.a[..n * d];
        for (arow, row) in a.chunks_exact_mut(d).zip(act.chunks_exact(d2)) {
            for k in 0..d {
                arow[k] = row[k] * row[d + k];
            }
        }
        let (dh_a, dh_b) = ws.dh.split_at_mut(1);
        let (dh_next, dh_prev) = if cur == 0 {
            (&dh_a[0], &mut dh_b[0])
        } else {
            (&dh_b[0], &mut dh_a[0])
        };
        let dh_next = &dh_next[..n * r];
        // da = dh_next·Wrᵀ (+ dskip·Wsᵀ on the output rows), built in dz's second half later.
        let da = &mut ws.dz[..n * d2];
        // Use the first n*d floats of dz as da scratch.
        let (da, _) = da.split_at_mut(n * d);
        matmul(
            da,
            false,
            View::new(dh_next, n, r),
            View::new(&p[li.residual..], d, r).t(),
        );
        matmul(
            &mut da[(n - t_out) * d..],
            true,
            View::new(dskip, t_out, s),
            View::new(&p[li.skip..], d, s).t(),
        );
        // Weight gradients of the residual and skip projections.
        matmul(
            &mut grads[li.residual..],
            true,
            View::new(a, n, d).t(),
            View::new(dh_next, n, r),
        );
        if let Some(b) = li.residual_bias {
            add_col_sums(&mut grads[b..b + r], dh_next);
        }
        matmul(
            &mut grads[li.skip..],
            true,
            View::new(&a[(n - t_out) * d..], t_out, d).t(),
            View::new(dskip, t_out, s),
        );
        if let Some(b) = li.skip_bias {
            add_col_sums(&mut grads[b..b + s], dskip);
        }
        // Through the gate: dz = [da·σ·(1−t²) | da·t·σ·(1−σ)]. Rows are processed back to
        // front so da (in dz's front) is read before its slot is overwritten.
        let dz = &mut ws.dz[..n * d2];
        for i in (0..n).rev() {
            for k in (0..d).rev() {
                let g = dz[i * d + k];
                let t = act[i * d2 + k];
                let sg = act[i * d2 + d + k];
                dz[i * d2 + d + k] = g * t * sg * (1.0 - sg);
                dz[i * d2 + k] = g * sg * (1.0 - t * t);
            }
        }
        let dz = &ws.dz[..n * d2];
        matmul(
            &mut grads[li.filter_gate_old..],
            true,
            View::new(&h[..n * r], n, r).t(),
            View::new(dz, n, d2),
        );
        matmul(
            &mut grads[li.filter_gate_new..],
            true,
            View::new(&h[dil * r..], n, r).t(),
            View::new(dz, n, d2),
        );
        if let Some(b) = li.filter_gate_bias {
            add_col_sums(&mut grads[b..b + d2], dz);
        }
        if let (Some(wl), Some(local)) = (li.local, cond.local) {
            let cl = c.local_condition_channels;
            let off = n_in - n;
            matmul(
                &mut grads[wl..],
                true,
                View::new(&local[off * cl..], n, cl).t(),
                View::new(dz, n, d2),
            );
        }
        if let (Some(wg), Some(g)) = (li.global, cond.global) {
            let mut colsum = vec![0f32; d2];
            add_col_sums(&mut colsum, dz);
            matmul(
                &mut grads[wg..],
                true,
                View::new(g, 1, g.len()).t(),
                View::new(&colsum, 1, d2),
            );
        }
        // d(h_l): residual path and the new tap land on rows d.., the old tap on rows 0..n.
        let dh_prev = &mut dh_prev[..n_prev * r];
        dh_prev[..dil * r].fill(0.0);
        dh_prev[dil * r..].copy_from_slice(dh_next);
        matmul(
            &mut dh_prev[dil * r..],
            true,
            View::new(dz, n, d2),
            View::new(&p[li.filter_gate_new..], r, d2).t(),
        );
        matmul(
            dh_prev,
            true,
            View::new(dz, n, d2),
            View::new(&p[li.filter_gate_old..], r, d2).t(),
        );
        cur = 1 - cur;
    }

    // Embedding gradients.
    let dh0 = &ws.dh[cur][..rows[0] * r];
    for i in 0..rows[0] {
        let (a, b) = (x[i] as usize, x[i + 1] as usize);
        let g = &dh0[i * r..(i + 1) * r];
        for k in 0..r {
            grads[lay.embed_old + a * r + k] += g[k];
            grads[lay.embed_new + b * r + k] += g[k];
        }
        if let Some(bo) = lay.embed_bias {
            for k in 0..r {
                grads[bo + k] += g[k];
            }
        }
    }
    stats
}
