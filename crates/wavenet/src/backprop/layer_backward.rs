//! Backward through one dilated layer: from d(loss)/d(h_{l+1}) and d(loss)/d(skip) to the
//! layer's weight gradients and d(loss)/d(h_l).

use super::dense::add_col_sums;
use super::Conditioning;
use crate::kernels;
use crate::math::{matmul_st, View};
use crate::model::Model;
use crate::rows::{for_each_part, part, PerPart, Rows};
use crate::workspace::{read_write, Workspace};

/// Layer `l`: `ws.dh[cur]` holds d(loss)/d(h_{l+1}); writes d(loss)/d(h_l) to the other one.
pub(super) fn run(model: &Model, ws: &mut Workspace, l: usize, cur: usize, cond: Conditioning) {
    let (c, lay, p) = (&model.config, &model.layout, &model.params[..]);
    let li = &lay.layers[l];
    let (r, d, s) = (c.residual_channels, c.dilation_channels, c.skip_channels);
    let d2 = 2 * d;
    let dil = li.dilation;
    let (n, n_in, t_out, parts) = (ws.rows[l + 1], ws.inputs, ws.outputs, ws.parts());
    let first_out = n - t_out;
    let act = &ws.act[l][..];
    let h = &ws.h[ws.input_slot(l)][..ws.rows[l] * r];
    let dskip = &ws.skip[..];
    let (dh_next, dh_prev) = read_write(&mut ws.dh, cur, 1 - cur);
    let dh_next = &dh_next[..n * r];
    let dh_prev = Rows::of(&mut dh_prev[..ws.rows[l] * r]);
    let a_rows = Rows::of(&mut ws.a);
    let da_rows = Rows::of(&mut ws.da);
    let dz_rows = Rows::of(&mut ws.dz);
    let threads = PerPart::of(&mut ws.threads);
    let last = l + 1 == lay.layers.len();
    // Phase 1: per-row gradients, weight gradients, and the parts of d(h_l) that land on
    // rows d.. (residual path and the new tap).
    for_each_part(parts, |i| {
        let (lo, hi) = part(n, parts, i);
        let m = hi - lo;
        // SAFETY: part i takes only scratch i.
        let ts = unsafe { threads.get(i) };
        let (g, colsum) = (&mut ts.grads, &mut ts.colsum);
        // SAFETY: rows lo..hi of a, da, dz belong to this part.
        let (a, da, dz) = unsafe {
            (
                a_rows.get(lo, hi, d),
                da_rows.get(lo, hi, d),
                dz_rows.get(lo, hi, d2),
            )
        };
        let act = &act[lo * d2..hi * d2];
        let dhn = &dh_next[lo * r..hi * r];
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
        if so < se {
            matmul_st(
                &mut da[(so - lo) * d..],
                true,
                View::new(&dskip[(so - first_out) * s..(se - first_out) * s], se - so, s),
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
        colsum.fill(0.0);
        add_col_sums(colsum, dz);
        if let Some(b) = li.filter_gate_bias {
            g[b..b + d2]
                .iter_mut()
                .zip(colsum.iter())
                .for_each(|(x, v)| *x += v);
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
                View::new(colsum, 1, d2),
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
}
