//! The head, forward and backward in one go per chunk of output rows (so the chunk stays in
//! cache): the skip sum over all layers, two dense layers with ReLUs, softmax cross-entropy,
//! and back to d(loss)/d(skip) (left in `ws.skip`) and the skip weights' gradients.

use super::dense::{add_col_sums, add_row_bias, dense_backward, gate_product, relu_mask, Dense};
use crate::kernels;
use crate::math::{matmul_st, View};
use crate::model::{Layout, Model};
use crate::rows::{for_each_part, part, PerPart, Rows};
use crate::workspace::{ThreadScratch, Workspace, HEAD_CHUNK};

/// Runs the head over every output row; `targets` holds one class per output.
pub(super) fn run(model: &Model, ws: &mut Workspace, targets: &[u32], grad_scale: f32) {
    let (t_out, parts, s, q) = (
        ws.outputs,
        ws.parts(),
        model.config.skip_channels,
        model.config.quantization_channels,
    );
    let head = Head::new(model, &ws.rows, &ws.act, t_out);
    let skip = Rows::of(&mut ws.skip);
    let capture = (!ws.logits.is_empty()).then(|| Rows::of(&mut ws.logits));
    let threads = PerPart::of(&mut ws.threads);
    for_each_part(parts, |i| {
        let (lo, hi) = part(t_out, parts, i);
        // SAFETY: part i takes only scratch i.
        let ts = unsafe { threads.get(i) };
        let mut start = lo;
        while start < hi {
            let m = HEAD_CHUNK.min(hi - start);
            // SAFETY: rows start..start+m are this part's.
            let sk = unsafe { skip.get(start, start + m, s) };
            head.skip_sum(ts, sk, start);
            head.forward(ts, sk);
            let logits = &mut ts.probs[..m * q];
            if let Some(cap) = capture {
                // SAFETY: rows start..start+m are this part's.
                unsafe { cap.get(start, start + m, q) }.copy_from_slice(logits);
            }
            // The logits become d(loss)/d(logits) in place.
            let (loss, correct) = kernels::softmax_xent(logits, q, &targets[start..start + m], grad_scale);
            ts.stats.loss_sum += loss;
            ts.stats.correct += correct;
            ts.stats.count += m;
            head.backward(ts, sk);
            head.skip_grads(ts, sk, start);
            start += m;
        }
    });
}

/// What every chunk reads: the weights, shapes and the layers' gate activations.
struct Head<'a> {
    p: &'a [f32],
    lay: &'a Layout,
    rows: &'a [usize],
    act: &'a [Vec<f32>],
    t_out: usize,
    skip_bias: Option<Vec<f32>>,
    head1: Dense,
    head2: Dense,
    d: usize,
    s: usize,
    hc: usize,
    q: usize,
}

impl<'a> Head<'a> {
    fn new(model: &'a Model, rows: &'a [usize], act: &'a [Vec<f32>], t_out: usize) -> Head<'a> {
        let (c, lay, p) = (&model.config, &model.layout, &model.params[..]);
        Head {
            p,
            lay,
            rows,
            act,
            t_out,
            skip_bias: skip_bias_sum(lay, p, c.skip_channels),
            head1: Dense {
                weight: lay.head1,
                bias: lay.head1_bias,
            },
            head2: Dense {
                weight: lay.head2,
                bias: lay.head2_bias,
            },
            d: c.dilation_channels,
            s: c.skip_channels,
            hc: c.head_channels,
            q: c.quantization_channels,
        }
    }

    /// The gate output `a` of layer `l` for the chunk's `m` rows from output row `start`,
    /// into the thread's `a_chunk`.
    fn gate_rows<'t>(&self, a_chunk: &'t mut [f32], l: usize, start: usize, m: usize) -> &'t [f32] {
        let (d, d2) = (self.d, 2 * self.d);
        let first = self.rows[l + 1] - self.t_out + start;
        let ach = &mut a_chunk[..m * d];
        gate_product(&self.act[l][first * d2..(first + m) * d2], ach, d);
        ach
    }

    /// `sk` = the skip sum of these output rows over all layers. Summing per chunk while it
    /// stays in cache: summing layer by layer over all rows streams the whole T × S buffer
    /// through memory once per layer, which starved the GEMMs on `ibab`.
    fn skip_sum(&self, ts: &mut ThreadScratch, sk: &mut [f32], start: usize) {
        let (d, s, m) = (self.d, self.s, sk.len() / self.s);
        sk.fill(0.0);
        for (l, li) in self.lay.layers.iter().enumerate() {
            let ach = self.gate_rows(&mut ts.a_chunk, l, start, m);
            matmul_st(
                sk,
                true,
                View::new(ach, m, d),
                View::new(&self.p[li.skip..], d, s),
            );
        }
        if let Some(bias) = &self.skip_bias {
            add_row_bias(sk, bias);
        }
        sk.iter_mut().for_each(|v| *v = v.max(0.0));
    }

    /// `relu(skip)` (in `sk`) → `y2 = relu(sk·W1 + b1)` → logits `y2·W2 + b2` (in `ts.probs`).
    fn forward(&self, ts: &mut ThreadScratch, sk: &[f32]) {
        let (p, lay) = (self.p, self.lay);
        let (s, hc, q, m) = (self.s, self.hc, self.q, sk.len() / self.s);
        let y2 = &mut ts.y2[..m * hc];
        matmul_st(y2, false, View::new(sk, m, s), View::new(&p[lay.head1..], s, hc));
        if let Some(b) = lay.head1_bias {
            add_row_bias(y2, &p[b..b + hc]);
        }
        y2.iter_mut().for_each(|v| *v = v.max(0.0));
        let logits = &mut ts.probs[..m * q];
        matmul_st(
            logits,
            false,
            View::new(y2, m, hc),
            View::new(&p[lay.head2..], hc, q),
        );
        if let Some(b) = lay.head2_bias {
            add_row_bias(logits, &p[b..b + q]);
        }
    }

    /// Back through both dense layers, each followed by its ReLU's mask: from d(logits) (in
    /// `ts.probs`) to d(skip), which replaces the skip sum in `sk`.
    fn backward(&self, ts: &mut ThreadScratch, sk: &mut [f32]) {
        let (hc, q, m) = (self.hc, self.q, sk.len() / self.s);
        let g = &mut ts.grads;
        let (y2, dlogits) = (&ts.y2[..m * hc], &ts.probs[..m * q]);
        let dy2 = &mut ts.dy2[..m * hc];
        dense_backward(self.p, g, self.head2, y2, dlogits, dy2, m);
        relu_mask(dy2, y2);
        let dskip = &mut ts.dskip[..sk.len()];
        dense_backward(self.p, g, self.head1, sk, dy2, dskip, m);
        relu_mask(dskip, sk);
        sk.copy_from_slice(dskip);
    }

    /// Skip weight gradients of every layer while this chunk of d(skip) (`dsk`) is in cache.
    fn skip_grads(&self, ts: &mut ThreadScratch, dsk: &[f32], start: usize) {
        let (d, s, m) = (self.d, self.s, dsk.len() / self.s);
        ts.colsum_s.fill(0.0);
        add_col_sums(&mut ts.colsum_s, dsk);
        for (l, li) in self.lay.layers.iter().enumerate() {
            let ach = self.gate_rows(&mut ts.a_chunk, l, start, m);
            let g = &mut ts.grads;
            matmul_st(
                &mut g[li.skip..],
                true,
                View::new(ach, m, d).t(),
                View::new(dsk, m, s),
            );
            if let Some(b) = li.skip_bias {
                g[b..b + s]
                    .iter_mut()
                    .zip(&ts.colsum_s)
                    .for_each(|(x, v)| *x += v);
            }
        }
    }
}

/// The skip biases of all layers add up to one bias (None without biases).
fn skip_bias_sum(lay: &Layout, p: &[f32], s: usize) -> Option<Vec<f32>> {
    lay.layers[0].skip_bias.map(|_| {
        let mut sum = vec![0f32; s];
        for li in &lay.layers {
            let b = li.skip_bias.expect("biases are all or none");
            sum.iter_mut().zip(&p[b..b + s]).for_each(|(x, v)| *x += v);
        }
        sum
    })
}
