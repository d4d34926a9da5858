//! Forward through one dilated layer: the gate pre-activations from the two taps (and the
//! conditioning), the gate, and the residual output that is the next layer's input.

use super::dense::add_row_bias;
use super::Conditioning;
use crate::kernels;
use crate::math::{matmul, matmul_st, View};
use crate::model::{LayerIdx, Model};
use crate::rows::{for_each_part, part, Rows};
use crate::workspace::{read_write, Workspace};

/// Layer `l`: reads h_l, writes its gate activations (`act[l]`, kept for backward) and
/// h_{l+1}.
pub(super) fn run(model: &Model, ws: &mut Workspace, l: usize, cond: Conditioning) {
    let (c, lay, p) = (&model.config, &model.layout, &model.params[..]);
    let li = &lay.layers[l];
    let (r, d) = (c.residual_channels, c.dilation_channels);
    let d2 = 2 * d;
    let dil = li.dilation;
    let (n, n_in, parts) = (ws.rows[l + 1], ws.inputs, ws.parts());
    gate_bias(model, li, cond.global, &mut ws.zbias);
    let zbias = &ws.zbias;
    let (slot_in, slot_out) = (ws.input_slot(l), ws.input_slot(l + 1));
    let (h, h_next) = read_write(&mut ws.h, slot_in, slot_out);
    let h = &h[..ws.rows[l] * r];
    if !ws.keep_inputs {
        ws.h_heads[l].copy_from_slice(&h[..dil * r]);
    }
    let h_next = Rows::of(&mut h_next[..n * r]);
    let act = Rows::of(&mut ws.act[l]);
    let a_rows = Rows::of(&mut ws.a);
    // The last layer's residual output feeds nothing (as in ibab's model): it is skipped.
    let last = l + 1 == lay.layers.len();
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
        if !last {
            hn.copy_from_slice(&h[(lo + dil) * r..(hi + dil) * r]);
            matmul_st(hn, true, View::new(a, m, d), View::new(&p[li.residual..], d, r));
            if let Some(b) = li.residual_bias {
                add_row_bias(hn, &p[b..b + r]);
            }
        }
    });
}

/// The layer's filter/gate bias plus global conditioning, which is a per-window bias: g·Wg.
fn gate_bias(model: &Model, li: &LayerIdx, global: Option<&[f32]>, zbias: &mut [f32]) {
    let p = &model.params;
    let d2 = zbias.len();
    zbias.fill(0.0);
    if let Some(b) = li.filter_gate_bias {
        zbias.copy_from_slice(&p[b..b + d2]);
    }
    if let (Some(wg), Some(g)) = (li.global, global) {
        let mut gz = vec![0f32; d2];
        matmul(
            &mut gz,
            false,
            View::new(g, 1, g.len()),
            View::new(&p[wg..], g.len(), d2),
        );
        zbias.iter_mut().zip(&gz).for_each(|(z, v)| *z += v);
    }
}
