//! Rebuilding a layer's input in backward, for models whose inputs are not all kept
//! (`ibab`): h_{l-1}[d..] = h_l − residual_{l-1}, from the kept gate activations.

use super::dense::{add_row_bias, gate_product};
use crate::math::{matmul_st, View};
use crate::model::Model;
use crate::rows::{for_each_part, part, Rows};
use crate::workspace::{read_write, Workspace};

/// Rebuilds h_{l-1} from h_l (the two buffers used in turn) and the first rows kept aside.
/// Only the first `pd + rows[l+1]` rows need rebuilding: since forward wrote h_{l-1}, its
/// buffer was overwritten only by h_{l+1} (and by later, shorter inputs), so the rows after
/// those still hold h_{l-1}.
pub(super) fn run(model: &Model, ws: &mut Workspace, l: usize) {
    let (c, lay, p) = (&model.config, &model.layout, &model.params[..]);
    let (r, d) = (c.residual_channels, c.dilation_channels);
    let d2 = 2 * d;
    let prev = &lay.layers[l - 1];
    let pd = prev.dilation;
    let (n, parts) = (ws.rows[l + 1], ws.parts());
    let (h_l, h_prev) = read_write(&mut ws.h, l % 2, 1 - l % 2);
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
