//! SplitMix64 (Steele, Lea and Flood 2014): a tiny, fully specified generator, so a seed gives
//! the same stream on every platform and in every future version of any RNG crate. Scores,
//! model initialisation, training windows, generation and dither all draw from it; the tests
//! pin its output, because changing a single bit changes every photo's music and every model.
#![forbid(unsafe_code)]

/// The golden-ratio increment of the state.
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// A SplitMix64 stream. The state is public so that callers which store it (training
/// checkpoints) can save and restore it exactly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitMix64 {
    pub state: u64,
}

impl SplitMix64 {
    /// A stream whose first draw mixes `state + GAMMA` (no scrambling of the seed: callers
    /// that want one xor it in themselves, as [`SplitMix64::seeded`] does).
    pub fn from_state(state: u64) -> SplitMix64 {
        SplitMix64 { state }
    }

    /// A stream for a user-facing seed: `seed ^ GAMMA`, so seed 0 does not start at state 0.
    pub fn seeded(seed: u64) -> SplitMix64 {
        SplitMix64::from_state(seed ^ GAMMA)
    }

    pub fn next_u64(&mut self) -> u64 {
        next(&mut self.state)
    }

    /// Uniform in [0, 1) with 24 bits (an f32's mantissa).
    pub fn unit_f32(&mut self) -> f32 {
        unit_f32(&mut self.state)
    }

    /// Uniform in `0..n` (0 when `n` is 0), by remainder: the bias is below 2⁻⁴⁰ for the
    /// small `n` callers use.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// A standard normal draw (Box–Muller over two 53-bit uniforms).
    pub fn gaussian(&mut self) -> f32 {
        gaussian(&mut self.state)
    }
}

/// One SplitMix64 step on a bare state (for callers that keep the state as a `u64` field).
pub fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(GAMMA);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Uniform in [0, 1) with 24 bits from a bare state.
pub fn unit_f32(state: &mut u64) -> f32 {
    (next(state) >> 40) as f32 / (1u64 << 24) as f32
}

/// A standard normal draw from a bare state.
pub fn gaussian(state: &mut u64) -> f32 {
    let u = ((next(state) >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    let v = (next(state) >> 11) as f64 / (1u64 << 53) as f64;
    ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
}

/// A stateless hash of a counter, for draws that must not depend on order (synth's dither runs
/// on several threads). It is SplitMix64's finaliser without the first xor-shift: a variant
/// kept as it is, because the rendered WAVs are pinned to it.
pub fn counter_hash(i: u64) -> u64 {
    let mut z = i.wrapping_add(GAMMA).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_the_reference_values() {
        // The first outputs of the reference C implementation (Vigna's splitmix64.c) from
        // state 0 and from state 1234567.
        let mut s = SplitMix64::from_state(0);
        assert_eq!(
            [s.next_u64(), s.next_u64(), s.next_u64()],
            [
                0xE220_A839_7B1D_CDAF,
                0x6E78_9E6A_A1B9_65F4,
                0x06C4_5D18_8009_454F
            ]
        );
        let mut s = SplitMix64::from_state(1_234_567);
        assert_eq!(
            [s.next_u64(), s.next_u64()],
            [6_457_827_717_110_365_317, 3_203_168_211_198_807_973]
        );
    }

    #[test]
    fn derived_draws_are_pinned() {
        let mut s = SplitMix64::seeded(42);
        let first = s.clone().next_u64();
        assert_eq!(first, 0x28EF_E333_B266_F103);
        assert_eq!(s.unit_f32(), (first >> 40) as f32 / (1u64 << 24) as f32);
        assert_eq!(SplitMix64::seeded(7).below(10), 9);
        assert_eq!(SplitMix64::from_state(3).gaussian().to_bits(), 0xBF24_1BF5);
        assert_eq!(counter_hash(0), 0xD85D_1D82_3D12_CDE7);
        assert_eq!(counter_hash(12_345), 0xC61F_F3B5_ACAB_65EA);
    }

    #[test]
    fn bare_state_and_struct_give_one_stream() {
        let mut bare = 99u64;
        let mut s = SplitMix64::from_state(99);
        for _ in 0..100 {
            assert_eq!(next(&mut bare), s.next_u64());
        }
        assert_eq!(bare, s.state);
    }

    #[test]
    fn uniform_draws_stay_in_range() {
        let mut s = SplitMix64::seeded(1);
        for _ in 0..10_000 {
            let u = s.unit_f32();
            assert!((0.0..1.0).contains(&u));
            assert!(s.below(7) < 7);
        }
        assert_eq!(s.below(0), 0);
    }
}
