//! The buffers of a training pass for one window size, allocated once and reused every step.

use crate::backprop::PassStats;
use crate::config::Config;
use crate::model::Layout;

/// Largest total size of kept layer inputs; beyond it they are rebuilt in backward.
const KEEP_INPUTS_BYTES: usize = 256 << 20;

/// Rows of the head processed at once (keeps its buffers small).
pub(crate) const HEAD_CHUNK: usize = 1024;

/// One worker thread's private buffers: its share of the weight gradients (summed in a fixed
/// order at the end, so results are deterministic for a given thread count) and head scratch.
pub(crate) struct ThreadScratch {
    pub(crate) grads: Vec<f32>,
    pub(crate) y2: Vec<f32>,
    pub(crate) probs: Vec<f32>,
    pub(crate) dy2: Vec<f32>,
    pub(crate) dskip: Vec<f32>,
    pub(crate) colsum: Vec<f32>,
    pub(crate) a_chunk: Vec<f32>,
    pub(crate) colsum_s: Vec<f32>,
    pub(crate) stats: PassStats,
}

/// Buffers for one window size, allocated once and reused every step.
pub struct Workspace {
    /// Input samples per window (outputs + receptive field - 1).
    pub inputs: usize,
    pub outputs: usize,
    /// Rows of each layer's input: `rows[0]` for the embedding's output, `rows[l + 1]` for
    /// layer l's output (each layer consumes `dilation` rows).
    pub(crate) rows: Vec<usize>,
    /// Layer inputs. When they fit in [`KEEP_INPUTS_BYTES`], every h_l is kept (`h[l]`);
    /// otherwise two buffers are used in turn (`h[l % 2]`) and backward rebuilds each h_l
    /// from h_{l+1} (h_l[d..] = h_{l+1} − residual_l), which keeps an `ibab` step under 2 GB.
    pub(crate) h: Vec<Vec<f32>>,
    pub(crate) keep_inputs: bool,
    /// The first `dilation` rows of every h_l, which the residual path does not carry.
    pub(crate) h_heads: Vec<Vec<f32>>,
    /// Residual recomputation scratch.
    pub(crate) rtmp: Vec<f32>,
    /// Per layer, the gate activations `[tanh | σ]` (rows × 2D).
    pub(crate) act: Vec<Vec<f32>>,
    pub(crate) a: Vec<f32>,
    pub(crate) da: Vec<f32>,
    pub(crate) dz: Vec<f32>,
    /// The skip sum over the output rows; d(loss)/d(skip) after the head.
    pub(crate) skip: Vec<f32>,
    /// d(loss)/d(h) of the layer above and of the layer below, used in turn.
    pub(crate) dh: [Vec<f32>; 2],
    /// The filter/gate bias of the current layer (plus global conditioning).
    pub(crate) zbias: Vec<f32>,
    pub(crate) threads: Vec<ThreadScratch>,
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

    /// Parts (threads) the passes split their rows into.
    pub(crate) fn parts(&self) -> usize {
        self.threads.len()
    }

    /// The buffer of layer l's input h_l (kept, or one of the two used in turn).
    pub(crate) fn input_slot(&self, l: usize) -> usize {
        if self.keep_inputs {
            l
        } else {
            l % 2
        }
    }
}

/// Buffer `read` to read and buffer `write` to write, of a list (`read != write`).
pub(crate) fn read_write(v: &mut [Vec<f32>], read: usize, write: usize) -> (&[f32], &mut [f32]) {
    assert_ne!(read, write, "a pass reads and writes different buffers");
    if read < write {
        let (lo, hi) = v.split_at_mut(write);
        (&lo[read], &mut hi[0])
    } else {
        let (lo, hi) = v.split_at_mut(read);
        (&hi[0], &mut lo[write])
    }
}
