//! Raw-audio generation with the fast WaveNet algorithm (Paine et al. 2016, "Fast Wavenet
//! Generation Algorithm"): each layer keeps a queue of its last `dilation` inputs, so a new
//! sample costs one row of work per layer (O(layers)) instead of recomputing the whole
//! receptive field (O(2^layers)). [`naive_logits`] is that recomputation, built from the same
//! row functions, and the tests require both to give bit-identical samples.
//!
//! Row products are hand-written vector-times-matrix loops: at one row per call, a GEMM
//! crate's packing and dispatch cost more than the arithmetic.

use crate::math;
use crate::model::Model;

/// `y += x · W` for a row vector `x` (k) and a row-major `W` (k × n).
#[inline]
fn gemv_acc(y: &mut [f32], x: &[f32], w: &[f32]) {
    let n = y.len();
    for (xi, wrow) in x.iter().zip(w.chunks_exact(n)) {
        for (yo, wv) in y.iter_mut().zip(wrow) {
            *yo += xi * wv;
        }
    }
}

/// Per-stream scratch for the row functions.
#[derive(Clone)]
struct RowScratch {
    z: Vec<f32>,
    a: Vec<f32>,
    skip: Vec<f32>,
    y2: Vec<f32>,
}

impl RowScratch {
    fn new(m: &Model) -> RowScratch {
        let c = &m.config;
        RowScratch {
            z: vec![0.0; 2 * c.dilation_channels],
            a: vec![0.0; c.dilation_channels],
            skip: vec![0.0; c.skip_channels],
            y2: vec![0.0; c.head_channels],
        }
    }
}

fn embed_row(m: &Model, prev: u32, cur: u32, out: &mut [f32]) {
    let (lay, p, r) = (&m.layout, &m.params, m.config.residual_channels);
    let (a, b) = (prev as usize, cur as usize);
    for k in 0..r {
        out[k] = p[lay.embed_old + a * r + k] + p[lay.embed_new + b * r + k];
    }
    if let Some(bo) = lay.embed_bias {
        for k in 0..r {
            out[k] += p[bo + k];
        }
    }
}

/// One layer for one time step: reads the layer's input now (`h_new`) and `dilation` steps
/// ago (`h_old`); adds to the skip sum; writes the next layer's input (unless last).
fn layer_row(m: &Model, l: usize, h_old: &[f32], h_new: &[f32], h_next: Option<&mut [f32]>, s: &mut RowScratch) {
    let (lay, p, c) = (&m.layout, &m.params, &m.config);
    let li = &lay.layers[l];
    let (r, d) = (c.residual_channels, c.dilation_channels);
    let d2 = 2 * d;
    match li.filter_gate_bias {
        Some(b) => s.z.copy_from_slice(&p[b..b + d2]),
        None => s.z.fill(0.0),
    }
    gemv_acc(&mut s.z, h_old, &p[li.filter_gate_old..li.filter_gate_old + r * d2]);
    gemv_acc(&mut s.z, h_new, &p[li.filter_gate_new..li.filter_gate_new + r * d2]);
    for k in 0..d {
        s.a[k] = math::tanh(s.z[k]) * math::sigmoid(s.z[d + k]);
    }
    gemv_acc(&mut s.skip, &s.a, &p[li.skip..li.skip + d * c.skip_channels]);
    if let Some(b) = li.skip_bias {
        s.skip.iter_mut().zip(&p[b..b + c.skip_channels]).for_each(|(x, v)| *x += v);
    }
    if let Some(out) = h_next {
        out.copy_from_slice(h_new);
        gemv_acc(out, &s.a, &p[li.residual..li.residual + d * r]);
        if let Some(b) = li.residual_bias {
            out.iter_mut().zip(&p[b..b + r]).for_each(|(x, v)| *x += v);
        }
    }
}

fn head_row(m: &Model, s: &mut RowScratch, logits: &mut [f32]) {
    let (lay, p, c) = (&m.layout, &m.params, &m.config);
    let (sc, hc, q) = (c.skip_channels, c.head_channels, c.quantization_channels);
    s.skip.iter_mut().for_each(|v| *v = v.max(0.0));
    match lay.head1_bias {
        Some(b) => s.y2.copy_from_slice(&p[b..b + hc]),
        None => s.y2.fill(0.0),
    }
    gemv_acc(&mut s.y2, &s.skip, &p[lay.head1..lay.head1 + sc * hc]);
    s.y2.iter_mut().for_each(|v| *v = v.max(0.0));
    match lay.head2_bias {
        Some(b) => logits.copy_from_slice(&p[b..b + q]),
        None => logits.fill(0.0),
    }
    gemv_acc(logits, &s.y2, &p[lay.head2..lay.head2 + hc * q]);
}

/// Draws a class from logits at a temperature (0 = arg-max) with a uniform `u` in [0, 1).
pub fn sample(logits: &[f32], temperature: f32, u: f32) -> u32 {
    if temperature == 0.0 {
        let max = logits.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        return logits.iter().position(|&v| v == max).unwrap_or(0) as u32;
    }
    let max = logits.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    let weights: Vec<f64> = logits.iter().map(|&v| (((v - max) / temperature) as f64).exp()).collect();
    let total: f64 = weights.iter().sum();
    let mut target = u as f64 * total;
    for (i, w) in weights.iter().enumerate() {
        if target < *w {
            return i as u32;
        }
        target -= w;
    }
    (weights.len() - 1) as u32
}

/// Fast generation state for `batch` independent streams.
pub struct Generator<'m> {
    model: &'m Model,
    batch: usize,
    /// Per layer, per stream: a ring of the layer's last `dilation` inputs.
    queues: Vec<Vec<f32>>,
    heads: Vec<usize>,
    prev: Vec<u32>,
    h: Vec<f32>,
    h_next: Vec<f32>,
    scratch: Vec<RowScratch>,
    logits: Vec<f32>,
}

impl<'m> Generator<'m> {
    /// New streams whose past is silence (as training pads clips): the queues are filled by
    /// feeding one receptive field of the silence class.
    pub fn new(model: &'m Model, batch: usize, silence: u32) -> Generator<'m> {
        let c = &model.config;
        let r = c.residual_channels;
        let mut g = Generator {
            model,
            batch,
            queues: c.dilations.iter().map(|&d| vec![0.0; d * batch * r]).collect(),
            heads: vec![0; c.dilations.len()],
            prev: vec![silence; batch],
            h: vec![0.0; r],
            h_next: vec![0.0; r],
            scratch: (0..batch).map(|_| RowScratch::new(model)).collect(),
            logits: vec![0.0; batch * c.quantization_channels],
        };
        let warm = vec![silence; batch];
        for _ in 0..c.receptive_field() {
            g.step(&warm);
        }
        g
    }

    pub fn batch(&self) -> usize {
        self.batch
    }

    /// Feeds the current sample of every stream; returns the logits of the next
    /// (`batch × classes`).
    pub fn step(&mut self, x: &[u32]) -> &[f32] {
        let m = self.model;
        let c = &m.config;
        let (r, q) = (c.residual_channels, c.quantization_channels);
        let layers = c.dilations.len();
        assert_eq!(x.len(), self.batch);
        for b in 0..self.batch {
            let s = &mut self.scratch[b];
            s.skip.fill(0.0);
            embed_row(m, self.prev[b], x[b], &mut self.h);
            for l in 0..layers {
                let slot = (self.heads[l] * self.batch + b) * r;
                let (old, h, hn) = (&mut self.queues[l][slot..slot + r], &self.h, &mut self.h_next);
                let next = if l + 1 < layers { Some(&mut hn[..]) } else { None };
                layer_row(m, l, old, h, next, s);
                // The queue slot now holds this step's input, read again `dilation` steps later.
                old.copy_from_slice(h);
                std::mem::swap(&mut self.h, &mut self.h_next);
            }
            head_row(m, s, &mut self.logits[b * q..(b + 1) * q]);
            self.prev[b] = x[b];
        }
        for (l, &d) in c.dilations.iter().enumerate() {
            self.heads[l] = (self.heads[l] + 1) % d;
        }
        &self.logits
    }
}

/// Logits for the sample after the last of `history` by recomputing every layer over the
/// whole receptive field (the slow algorithm fast generation replaces). `history` shorter
/// than the receptive field is padded with `silence` in front, as training does.
pub fn naive_logits(model: &Model, history: &[u32], silence: u32) -> Vec<f32> {
    let c = &model.config;
    let r = c.residual_channels;
    let rf = c.receptive_field();
    // The window: one receptive field of inputs plus the one before the first (the embedding
    // reads pairs), silence where the history is shorter.
    let mut x: Vec<u32> = vec![silence; rf + 1];
    x.extend_from_slice(history);
    let x = &x[x.len() - (rf + 1)..];
    let mut h: Vec<Vec<f32>> = (1..x.len())
        .map(|i| {
            let mut row = vec![0.0; r];
            embed_row(model, x[i - 1], x[i], &mut row);
            row
        })
        .collect();
    let mut s = RowScratch::new(model);
    let layers = c.dilations.len();
    let zero = vec![0.0; r];
    let last = h.len() - 1;
    // Only the last row's skip sum is needed; it accumulates layer by layer exactly as the
    // generator's does.
    let mut skip_last = vec![0.0; c.skip_channels];
    for (l, &d) in c.dilations.iter().enumerate() {
        let mut next = vec![vec![0.0; r]; h.len()];
        for t in 0..h.len() {
            if t == last {
                s.skip.copy_from_slice(&skip_last);
            }
            let old = if t >= d { &h[t - d] } else { &zero };
            let out = if l + 1 < layers { Some(&mut next[t][..]) } else { None };
            layer_row(model, l, old, &h[t], out, &mut s);
            if t == last {
                skip_last.copy_from_slice(&s.skip);
            }
        }
        h = next;
    }
    s.skip.copy_from_slice(&skip_last);
    let mut logits = vec![0.0; c.quantization_channels];
    head_row(model, &mut s, &mut logits);
    logits
}
