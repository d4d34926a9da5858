//! Mu-law companding, as in ibab/tensorflow-wavenet's `mu_law_encode`/`mu_law_decode`.

/// Quantises samples in [-1, 1] to `0..classes`.
pub fn encode(x: f32, classes: usize) -> u32 {
    let mu = (classes - 1) as f32;
    let x = x.clamp(-1.0, 1.0);
    let y = x.signum() * (1.0 + mu * x.abs()).ln() / (1.0 + mu).ln();
    (((y + 1.0) / 2.0 * mu) + 0.5).floor().clamp(0.0, mu) as u32
}

/// The sample value of class `q`.
pub fn decode(q: u32, classes: usize) -> f32 {
    let mu = (classes - 1) as f32;
    let y = 2.0 * (q as f32 / mu) - 1.0;
    y.signum() * ((1.0 + mu).powf(y.abs()) - 1.0) / mu
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trip_is_close_and_monotonic() {
        let mut last = 0;
        for i in -1000..=1000 {
            let x = i as f32 / 1000.0;
            let q = super::encode(x, 256);
            assert!(q >= last);
            last = q;
            assert!((super::decode(q, 256) - x).abs() < 0.04);
        }
        assert_eq!(super::encode(-1.0, 256), 0);
        assert_eq!(super::encode(1.0, 256), 255);
    }
}
