//! The head, forward and backward in one pass per chunk of output rows: the skip sum over all
//! layers, two dense layers with ReLUs, softmax cross-entropy, and back to d(loss)/d(skip)
//! (left in `ws.skip`) and the skip weights' gradients.

use super::dense::{add_col_sums, add_row_bias, dense_backward, gate_product, relu_mask, Dense};
use crate::kernels;
use crate::math::{matmul_st, View};
use crate::model::{Layout, Model};
use crate::rows::{for_each_part, part, PerPart, Rows};
use crate::workspace::{Workspace, HEAD_CHUNK};

/// Runs the head over every output row; `targets` holds one class per output.
pub(super) fn run(model: &Model, ws: &mut Workspace, targets: &[u32], grad_scale: f32) {
    let (c, lay, p) = (&model.config, &model.layout, &model.params[..]);
    let (d, s, hc, q) = (
        c.dilation_channels,
        c.skip_channels,
        c.head_channels,
        c.quantization_channels,
    );
    let d2 = 2 * d;
    let (t_out, parts, rows) = (ws.outputs, ws.parts(), &ws.rows);
    let skip = Rows::of(&mut ws.skip);
    let act = &ws.act;
    let skip_bias = skip_bias_sum(lay, p, s);
    let capture = (!ws.logits.is_empty()).then(|| Rows::of(&mut ws.logits));
    let threads = PerPart::of(&mut ws.threads);
    let head1 = Dense {
        weight: lay.head1,
        bias: lay.head1_bias,
    };
    let head2 = Dense {
        weight: lay.head2,
        bias: lay.head2_bias,
    };
    for_each_part(parts, |i| {
        let (lo, hi) = part(t_out, parts, i);
        // SAFETY: part i takes only scratch i.
        let ts = unsafe { threads.get(i) };
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
                gate_product(&act[l][first * d2..(first + m) * d2], ach, d);
                matmul_st(sk, true, View::new(ach, m, d), View::new(&p[li.skip..], d, s));
            }
            if let Some(bias) = &skip_bias {
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
            dense_backward(p, g, head2, y2, probs, dy2, m);
            relu_mask(dy2, y2);
            let dskip = &mut ts.dskip[..m * s];
            dense_backward(p, g, head1, sk, dy2, dskip, m);
            relu_mask(dskip, sk);
            sk.copy_from_slice(dskip);
            // Skip weight gradients of every layer while this chunk of d(skip) is in cache.
            ts.colsum_s.fill(0.0);
            add_col_sums(&mut ts.colsum_s, sk);
            for (l, li) in lay.layers.iter().enumerate() {
                let first = rows[l + 1] - t_out + start;
                let ach = &mut ts.a_chunk[..m * d];
                gate_product(&act[l][first * d2..(first + m) * d2], ach, d);
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
