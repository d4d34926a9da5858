//! How the passes share work between threads: every pass splits its time rows into one
//! contiguous range per part (thread), and each part writes only its own rows of the shared
//! buffers and only its own [`PerPart`] scratch. This module is the only place where that
//! sharing needs `unsafe`: the buffers are handed out as raw row ranges because Rust cannot see
//! that the ranges of different parts never overlap.

use std::marker::PhantomData;

/// Splits `0..n` into `parts` contiguous ranges; returns range `i`.
pub(crate) fn part(n: usize, parts: usize, i: usize) -> (usize, usize) {
    (n * i / parts, n * (i + 1) / parts)
}

/// Runs `f(part_index)` for every part on the rayon pool and waits for all.
pub(crate) fn for_each_part(parts: usize, f: impl Fn(usize) + Sync) {
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

/// A buffer of rows shared by the parts, each of which touches only its own rows.
#[derive(Clone, Copy)]
pub(crate) struct Rows<'a> {
    ptr: *mut f32,
    len: usize,
    _buffer: PhantomData<&'a mut [f32]>,
}

// SAFETY: `Rows` hands out row ranges only through `get`, whose callers guarantee that no two
// threads write the same elements in one phase (and none reads what another writes).
unsafe impl Send for Rows<'_> {}
unsafe impl Sync for Rows<'_> {}

impl<'a> Rows<'a> {
    pub(crate) fn of(v: &'a mut [f32]) -> Rows<'a> {
        Rows {
            ptr: v.as_mut_ptr(),
            len: v.len(),
            _buffer: PhantomData,
        }
    }

    /// Rows `start..end` of width `w`.
    ///
    /// # Safety
    /// No other thread reads or writes these elements while the slice lives.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn get(&self, start: usize, end: usize, w: usize) -> &mut [f32] {
        assert!(start <= end && end * w <= self.len, "row range out of bounds");
        std::slice::from_raw_parts_mut(self.ptr.add(start * w), (end - start) * w)
    }
}

/// One value per part (the threads' private gradient buffers and scratch).
pub(crate) struct PerPart<'a, T> {
    ptr: *mut T,
    len: usize,
    _values: PhantomData<&'a mut [T]>,
}

// SAFETY: as for `Rows`: part i only ever takes value i.
unsafe impl<T: Send> Send for PerPart<'_, T> {}
unsafe impl<T: Send> Sync for PerPart<'_, T> {}

impl<'a, T> PerPart<'a, T> {
    pub(crate) fn of(v: &'a mut [T]) -> PerPart<'a, T> {
        PerPart {
            ptr: v.as_mut_ptr(),
            len: v.len(),
            _values: PhantomData,
        }
    }

    /// Part `i`'s value.
    ///
    /// # Safety
    /// Only part `i` takes value `i`, and only once at a time.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn get(&self, i: usize) -> &mut T {
        assert!(i < self.len, "part out of range");
        &mut *self.ptr.add(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn parts_tile_the_range_in_order() {
        for n in [0, 1, 5, 64, 1001] {
            for parts in 1..9 {
                let mut next = 0;
                for i in 0..parts {
                    let (lo, hi) = part(n, parts, i);
                    assert_eq!(lo, next);
                    assert!(hi >= lo && hi - lo <= n / parts + 1);
                    next = hi;
                }
                assert_eq!(next, n);
            }
        }
    }

    #[test]
    fn every_part_runs_once() {
        let runs: Vec<AtomicUsize> = (0..7).map(|_| AtomicUsize::new(0)).collect();
        for_each_part(7, |i| {
            runs[i].fetch_add(1, Ordering::Relaxed);
        });
        assert!(runs.iter().all(|r| r.load(Ordering::Relaxed) == 1));
    }

    #[test]
    fn parts_write_their_own_rows_and_values() {
        let (n, w, parts) = (37, 3, 4);
        let mut buf = vec![0.0f32; n * w];
        let mut sums = vec![0usize; parts];
        {
            let rows = Rows::of(&mut buf);
            let per = PerPart::of(&mut sums);
            for_each_part(parts, |i| {
                let (lo, hi) = part(n, parts, i);
                // SAFETY: rows lo..hi and value i are this part's.
                let (out, sum) = unsafe { (rows.get(lo, hi, w), per.get(i)) };
                for (k, row) in out.chunks_exact_mut(w).enumerate() {
                    row.fill((lo + k) as f32);
                    *sum += 1;
                }
            });
        }
        for (j, row) in buf.chunks_exact(w).enumerate() {
            assert!(row.iter().all(|&v| v == j as f32));
        }
        assert_eq!(sums.iter().sum::<usize>(), n);
    }

    #[test]
    #[should_panic(expected = "row range out of bounds")]
    fn rows_past_the_end_panic() {
        let mut buf = vec![0.0f32; 6];
        let rows = Rows::of(&mut buf);
        // SAFETY: single thread; the call panics before making a slice.
        let _ = unsafe { rows.get(1, 3, 3) };
    }

    #[test]
    #[should_panic(expected = "part out of range")]
    fn values_past_the_end_panic() {
        let mut v = vec![0u8; 2];
        let per = PerPart::of(&mut v);
        // SAFETY: single thread; the call panics before making a reference.
        let _ = unsafe { per.get(2) };
    }
}
