//! Raw-audio generation with the fast WaveNet algorithm (Paine et al. 2016, "Fast Wavenet
//! Generation Algorithm"): each layer keeps a queue of its last `dilation` inputs, so a new
//! sample costs one row of work per layer (O(layers)) instead of recomputing the whole
//! receptive field (O(2^layers)). [`naive_logits`] is that recomputation, built from the same
//! row functions, and the tests require both to give bit-identical samples.
//!
//! Row products are hand-written loops over a few rows (one per stream): at that size a GEMM
//! crate's packing and dispatch cost more than the arithmetic.

use crate::math;
use crate::model::Model;

/// `Y += X · W` for a few rows (`X`: rows × k, `W`: k × n row-major, `Y`: rows × n). Each
/// weight row is loaded once for all rows (streams), and every output element sums its
/// products in the same order whatever the number of rows, so a batch of streams is
/// bit-identical to the same streams run one by one.
#[inline(always)]
fn rows_times(y: &mut [f32], x: &[f32], w: &[f32], rows: usize) {
    let n = y.len() / rows;
    let k = x.len() / rows;
    for (kk, wrow) in w.chunks_exact(n).enumerate().take(k) {
        for b in 0..rows {
            let xv = x[b * k + kk];
            for (yo, wv) in y[b * n..(b + 1) * n].iter_mut().zip(wrow) {
                *yo += xv * wv;
            }
        }
    }
}

#[inline(always)]
fn add_bias(y: &mut [f32], bias: &[f32]) {
    for row in y.chunks_exact_mut(bias.len()) {
        row.iter_mut().zip(bias).for_each(|(a, b)| *a += b);
    }
}

#[inline(always)]
fn fill_bias(y: &mut [f32], bias: Option<&[f32]>, n: usize) {
    match bias {
        Some(b) => y.chunks_exact_mut(n).for_each(|row| row.copy_from_slice(b)),
        None => y.fill(0.0),
    }
}

/// Conditioning of one time step: `rows × local_condition_channels` and
/// `rows × global_condition_channels`.
#[derive(Clone, Copy, Default)]
pub struct StepCond<'a> {
    pub local: Option<&'a [f32]>,
    pub global: Option<&'a [f32]>,
}

/// Scratch for `rows` streams.
#[derive(Clone)]
struct RowScratch {
    rows: usize,
    z: Vec<f32>,
    a: Vec<f32>,
    skip: Vec<f32>,
    y2: Vec<f32>,
}

impl RowScratch {
    fn new(m: &Model, rows: usize) -> RowScratch {
        let c = &m.config;
        RowScratch {
            rows,
            z: vec![0.0; rows * 2 * c.dilation_channels],
            a: vec![0.0; rows * c.dilation_channels],
            skip: vec![0.0; rows * c.skip_channels],
            y2: vec![0.0; rows * c.head_channels],
        }
    }
}

/// One layer for one time step of every stream: reads the layer's inputs now (`h_new`) and
/// `dilation` steps ago (`h_old`); adds to the skip sums; writes the next layer's inputs
/// (unless last).
#[inline(always)]
fn layer_rows(
    m: &Model,
    l: usize,
    h_old: &[f32],
    h_new: &[f32],
    h_next: Option<&mut [f32]>,
    cond: StepCond,
    s: &mut RowScratch,
) {
    let (lay, p, c) = (&m.layout, &m.params, &m.config);
    let li = &lay.layers[l];
    let (r, d, sc) = (c.residual_channels, c.dilation_channels, c.skip_channels);
    let d2 = 2 * d;
    let rows = s.rows;
    fill_bias(&mut s.z, li.filter_gate_bias.map(|b| &p[b..b + d2]), d2);
    rows_times(
        &mut s.z,
        h_old,
        &p[li.filter_gate_old..li.filter_gate_old + r * d2],
        rows,
    );
    rows_times(
        &mut s.z,
        h_new,
        &p[li.filter_gate_new..li.filter_gate_new + r * d2],
        rows,
    );
    if let (Some(wl), Some(local)) = (li.local, cond.local) {
        let cl = c.local_condition_channels;
        rows_times(&mut s.z, local, &p[wl..wl + cl * d2], rows);
    }
    if let (Some(wg), Some(global)) = (li.global, cond.global) {
        let gc = c.global_condition_channels;
        rows_times(&mut s.z, global, &p[wg..wg + gc * d2], rows);
    }
    for (arow, zrow) in s.a.chunks_exact_mut(d).zip(s.z.chunks_exact(d2)) {
        for k in 0..d {
            arow[k] = math::tanh(zrow[k]) * math::sigmoid(zrow[d + k]);
        }
    }
    rows_times(&mut s.skip, &s.a, &p[li.skip..li.skip + d * sc], rows);
    if let Some(b) = li.skip_bias {
        add_bias(&mut s.skip, &p[b..b + sc]);
    }
    if let Some(out) = h_next {
        out.copy_from_slice(h_new);
        rows_times(out, &s.a, &p[li.residual..li.residual + d * r], rows);
        if let Some(b) = li.residual_bias {
            add_bias(out, &p[b..b + r]);
        }
    }
}

#[inline(always)]
fn head_rows(m: &Model, s: &mut RowScratch, logits: &mut [f32]) {
    let (lay, p, c) = (&m.layout, &m.params, &m.config);
    let (sc, hc, q) = (c.skip_channels, c.head_channels, c.quantization_channels);
    let rows = s.rows;
    s.skip.iter_mut().for_each(|v| *v = v.max(0.0));
    fill_bias(&mut s.y2, lay.head1_bias.map(|b| &p[b..b + hc]), hc);
    rows_times(&mut s.y2, &s.skip, &p[lay.head1..lay.head1 + sc * hc], rows);
    s.y2.iter_mut().for_each(|v| *v = v.max(0.0));
    fill_bias(logits, lay.head2_bias.map(|b| &p[b..b + q]), q);
    rows_times(logits, &s.y2, &p[lay.head2..lay.head2 + hc * q], rows);
}

/// Draws a class from logits at a temperature (0 = arg-max) with a uniform `u` in [0, 1).
pub fn sample(logits: &[f32], temperature: f32, u: f32) -> u32 {
    if temperature == 0.0 {
        let max = logits.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        return logits.iter().position(|&v| v == max).unwrap_or(0) as u32;
    }
    let max = logits.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    let weights: Vec<f64> = logits
        .iter()
        .map(|&v| (((v - max) / temperature) as f64).exp())
        .collect();
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
    /// Per layer: a ring of the layer's last `dilation` inputs, each `batch × R`.
    queues: Vec<Vec<f32>>,
    heads: Vec<usize>,
    prev: Vec<u32>,
    h: Vec<f32>,
    h_next: Vec<f32>,
    scratch: RowScratch,
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
            h: vec![0.0; batch * r],
            h_next: vec![0.0; batch * r],
            scratch: RowScratch::new(model, batch),
            logits: vec![0.0; batch * c.quantization_channels],
        };
        let warm = vec![silence; batch];
        // Silence's conditioning: zeros (as the conditioned training pads its windows).
        let zl = vec![0.0; batch * c.local_condition_channels];
        let cond = StepCond {
            local: (!zl.is_empty()).then_some(&zl[..]),
            global: None,
        };
        for _ in 0..c.receptive_field() {
            g.step_conditioned(&warm, cond);
        }
        g
    }

    pub fn batch(&self) -> usize {
        self.batch
    }

    /// Feeds the current sample of every stream; returns the logits of the next
    /// (`batch × classes`).
    pub fn step(&mut self, x: &[u32]) -> &[f32] {
        self.step_conditioned(x, StepCond::default())
    }

    /// As [`Generator::step`], with this step's conditioning.
    pub fn step_conditioned(&mut self, x: &[u32], cond: StepCond) -> &[f32] {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports AVX2 and FMA (checked above). The results are the same
            // as the baseline build's: no operation is fused, only the vectors are wider.
            unsafe { self.step_v3(x, cond) };
            return &self.logits;
        }
        self.step_impl(x, cond);
        &self.logits
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn step_v3(&mut self, x: &[u32], cond: StepCond) {
        self.step_impl(x, cond)
    }

    #[inline(always)]
    fn step_impl(&mut self, x: &[u32], cond: StepCond) {
        let m = self.model;
        let c = &m.config;
        let r = c.residual_channels;
        let layers = c.dilations.len();
        assert_eq!(x.len(), self.batch);
        let block = self.batch * r;
        self.scratch.skip.fill(0.0);
        crate::embed::rows(m, &self.prev, x, &mut self.h);
        for l in 0..layers {
            let slot = self.heads[l] * block;
            let old = &mut self.queues[l][slot..slot + block];
            let next = if l + 1 < layers {
                Some(&mut self.h_next[..])
            } else {
                None
            };
            layer_rows(m, l, old, &self.h, next, cond, &mut self.scratch);
            // The queue slot now holds this step's inputs, read again `dilation` steps later.
            old.copy_from_slice(&self.h);
            std::mem::swap(&mut self.h, &mut self.h_next);
            self.heads[l] = (self.heads[l] + 1) % c.dilations[l];
        }
        head_rows(m, &mut self.scratch, &mut self.logits);
        self.prev.copy_from_slice(x);
    }
}

/// Teacher-forced next-sample accuracy over a whole clip (mu-law classes): the share of
/// samples the model's most likely class gets right when fed the true past, starting from
/// silence as training does. `local` is the clip's conditioning (one row of
/// `local_condition_channels` per sample) for a conditioned model; feeding sample `i − 1`
/// uses row `i − 1`, as training does. Runs the fast generator, O(layers) per sample.
pub fn teacher_forced_accuracy(model: &Model, clip: &[u32], local: Option<&[f32]>) -> f64 {
    let q = model.config.quantization_channels;
    let cl = model.config.local_condition_channels;
    let argmax = |l: &[f32]| (0..q).max_by(|&a, &b| l[a].total_cmp(&l[b])).unwrap_or(0) as u32;
    let mut gen = Generator::new(model, 1, crate::mulaw::encode(0.0, q));
    let mut correct = 0usize;
    for (i, &target) in clip.iter().enumerate() {
        if i > 0 {
            let row = local.map(|l| &l[(i - 1) * cl..i * cl]);
            gen.step_conditioned(
                &clip[i - 1..i],
                StepCond {
                    local: row,
                    global: None,
                },
            );
        }
        correct += usize::from(argmax(&gen.logits) == target);
    }
    correct as f64 / clip.len().max(1) as f64
}

/// Logits for the sample after the last of `history` by recomputing every layer over the
/// whole receptive field (the slow algorithm fast generation replaces). `history` shorter
/// than the receptive field is padded with `silence` in front, as training does.
pub fn naive_logits(model: &Model, history: &[u32], silence: u32) -> Vec<f32> {
    naive_logits_conditioned(model, history, &[], silence)
}

/// As [`naive_logits`] with local conditioning: `local` holds one row of
/// `local_condition_channels` per history sample (zeros before the history, as in
/// [`Generator::new`]).
pub fn naive_logits_conditioned(model: &Model, history: &[u32], local: &[f32], silence: u32) -> Vec<f32> {
    let c = &model.config;
    let cl = c.local_condition_channels;
    let r = c.residual_channels;
    let rf = c.receptive_field();
    // The window: one receptive field of inputs plus the one before the first (the embedding
    // reads pairs), silence where the history is shorter.
    let mut x: Vec<u32> = vec![silence; rf + 1];
    x.extend_from_slice(history);
    let x = &x[x.len() - (rf + 1)..];
    let mut lc: Vec<f32> = vec![0.0; (rf + 1) * cl];
    lc.extend_from_slice(local);
    let lc = &lc[lc.len() - (rf + 1) * cl..];
    let mut h: Vec<Vec<f32>> = (1..x.len())
        .map(|i| {
            let mut row = vec![0.0; r];
            crate::embed::rows(model, &x[i - 1..i], &x[i..i + 1], &mut row);
            row
        })
        .collect();
    let mut s = RowScratch::new(model, 1);
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
            let out = if l + 1 < layers {
                Some(&mut next[t][..])
            } else {
                None
            };
            // Row t of every layer sits at input position t + 1 of the window.
            let local = (cl > 0).then(|| &lc[(t + 1) * cl..(t + 2) * cl]);
            layer_rows(
                model,
                l,
                old,
                &h[t],
                out,
                StepCond { local, global: None },
                &mut s,
            );
            if t == last {
                skip_last.copy_from_slice(&s.skip);
            }
        }
        h = next;
    }
    s.skip.copy_from_slice(&skip_last);
    let mut logits = vec![0.0; c.quantization_channels];
    head_rows(model, &mut s, &mut logits);
    logits
}

/// What to generate.
pub struct Request<'a> {
    pub samples: usize,
    pub temperature: f32,
    pub seed: u64,
    /// Streams generated together as one batch.
    pub count: usize,
    /// Mu-law samples fed before generation starts (teacher-forced).
    pub prime: &'a [u32],
    /// Local conditioning, one row per generated sample (`samples × channels`), the same
    /// for every stream: row `j` is the conditioning at sample `j`.
    pub local: Option<&'a [f32]>,
}

/// Generates `count` streams of mu-law classes. `on_progress(done)` is called now and then
/// with the number of samples generated per stream so far.
pub fn generate(model: &Model, req: &Request, mut on_progress: impl FnMut(usize)) -> Vec<Vec<u32>> {
    let q = model.config.quantization_channels;
    let cl = model.config.local_condition_channels;
    let silence = crate::mulaw::encode(0.0, q);
    let mut gen = Generator::new(model, req.count, silence);
    let mut rngs: Vec<u64> = (0..req.count as u64)
        .map(|k| req.seed.wrapping_mul(0x9E37_79B9).wrapping_add(k))
        .collect();
    // Conditioning rows for the batch at a sample position (zeros before the first, as in
    // training's padding). Feeding sample j−1 uses the row of position j−1, as training does.
    let zeros = vec![0.0; req.count * cl];
    let mut rows = vec![0.0; req.count * cl];
    let cond_at = |pos: isize, rows: &mut Vec<f32>| -> bool {
        match req.local {
            Some(local) if pos >= 0 && ((pos as usize) + 1) * cl <= local.len() => {
                let row = &local[pos as usize * cl..(pos as usize + 1) * cl];
                for b in 0..req.count {
                    rows[b * cl..(b + 1) * cl].copy_from_slice(row);
                }
                true
            }
            Some(_) => {
                rows.copy_from_slice(&zeros);
                true
            }
            None => false,
        }
    };
    let mut x = vec![silence; req.count];
    for &p in req.prime {
        x.fill(p);
        gen.step(&x);
    }
    let mut out = vec![Vec::with_capacity(req.samples); req.count];
    // The first generated sample is predicted from the last primed one.
    let mut logits = if req.prime.is_empty() {
        let local = cond_at(-1, &mut rows).then_some(&rows[..]);
        gen.step_conditioned(&x, StepCond { local, global: None })
            .to_vec()
    } else {
        gen.logits.clone()
    };
    for i in 0..req.samples {
        for b in 0..req.count {
            let u = photophone_rng::unit_f32(&mut rngs[b]);
            x[b] = sample(&logits[b * q..(b + 1) * q], req.temperature, u);
            out[b].push(x[b]);
        }
        let local = cond_at(i as isize, &mut rows).then_some(&rows[..]);
        logits.copy_from_slice(gen.step_conditioned(&x, StepCond { local, global: None }));
        if i % 1024 == 0 {
            on_progress(i);
        }
    }
    on_progress(req.samples);
    out
}
