//! Model configuration and the presets named in the docs.

use crate::conditioning::LocalCondition;
use serde::{Deserialize, Serialize};

/// A WaveNet's shape. Field names follow ibab/tensorflow-wavenet's `wavenet_params.json`
/// where they exist there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Dilated-convolution taps (only 2 is supported, as in ibab's default and nv-wavenet).
    pub filter_width: usize,
    pub sample_rate: u32,
    /// One entry per layer, e.g. 5 × [1, 2, …, 512].
    pub dilations: Vec<usize>,
    pub residual_channels: usize,
    pub dilation_channels: usize,
    pub skip_channels: usize,
    /// Mu-law classes (256 = 8-bit mu-law).
    pub quantization_channels: usize,
    /// Width of the first causal convolution over the one-hot input.
    pub initial_filter_width: usize,
    /// Hidden width of the output head (skip → head → classes).
    pub head_channels: usize,
    pub use_biases: bool,
    /// Size of a global conditioning vector (0 = none).
    #[serde(default)]
    pub global_condition_channels: usize,
    /// Channels of local conditioning at the sample rate (0 = none).
    #[serde(default)]
    pub local_condition_channels: usize,
    /// Where local conditioning comes from when training on audio (`""` or `"mel"` on disk).
    #[serde(default)]
    pub local_condition: LocalCondition,
    /// Share of training windows whose local conditioning is left out (zeros), so that one
    /// model both re-synthesises from conditioning and generates without it (0 = always
    /// conditioned; such a model needs conditioning to generate).
    #[serde(default)]
    pub local_condition_dropout: f32,
    /// Training window in samples (receptive-field padding is added on top).
    pub sample_size: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("unknown preset {0:?} (choose ibab, small, clip or tiny)")]
    UnknownPreset(String),
    #[error("invalid config: {0}")]
    Invalid(String),
}

fn stacks(n: usize, top: usize) -> Vec<usize> {
    (0..n)
        .flat_map(|_| (0..=top.trailing_zeros()).map(|i| 1usize << i))
        .collect()
}

impl Config {
    /// ibab/tensorflow-wavenet's defaults: 5 × 1…512 (50 layers), 32/32/512, 256 classes,
    /// 16 kHz, 100,000-sample windows.
    pub fn ibab() -> Config {
        Config {
            filter_width: 2,
            sample_rate: 16_000,
            dilations: stacks(5, 512),
            residual_channels: 32,
            dilation_channels: 32,
            skip_channels: 512,
            quantization_channels: 256,
            initial_filter_width: 2,
            head_channels: 512,
            use_biases: true,
            global_condition_channels: 0,
            local_condition_channels: 0,
            local_condition: LocalCondition::None,
            local_condition_dropout: 0.0,
            sample_size: 100_000,
        }
    }

    /// The benchmark model: 2 × 1…512 (20 layers), 32/32, 128 skip, head 128 → 128 → 256,
    /// 16,000-sample windows.
    pub fn small() -> Config {
        Config {
            dilations: stacks(2, 512),
            skip_channels: 128,
            head_channels: 128,
            sample_size: 16_000,
            ..Config::ibab()
        }
    }

    /// For learning one short clip by heart (the 8-second experiment): the `small` widths,
    /// dilations 4096, 2048, 1024, 512 and then 2 × 1…256 (22 layers), a receptive field of
    /// 8,704 samples (0.54 s at 16 kHz: longer than the gap between two notes of a phrase),
    /// and 2,000-sample windows.
    ///
    /// Why this order: memorising a clip takes many updates more than large ones (measured:
    /// the same time buys more accuracy with 2,000-sample windows than with 8,000), and a
    /// window must carry a receptive field of padding. With the long dilations at the bottom
    /// every layer above them works on the window plus 1,023 rows instead of plus ~8,700, so a
    /// step costs 0.063 s on one core instead of 0.128 s for 2 × 1…2048 (BENCHMARKS.md), and
    /// the long field still lets the model know where in the phrase it is.
    pub fn clip() -> Config {
        let mut dilations = vec![4096, 2048, 1024, 512];
        dilations.extend(stacks(2, 256));
        Config {
            dilations,
            sample_size: 2_000,
            ..Config::small()
        }
    }

    /// For tests: 2 × 1…8, 8 channels, 32 classes.
    pub fn tiny() -> Config {
        Config {
            filter_width: 2,
            sample_rate: 8_000,
            dilations: stacks(2, 8),
            residual_channels: 8,
            dilation_channels: 8,
            skip_channels: 16,
            quantization_channels: 32,
            initial_filter_width: 2,
            head_channels: 16,
            use_biases: true,
            global_condition_channels: 0,
            local_condition_channels: 0,
            local_condition: LocalCondition::None,
            local_condition_dropout: 0.0,
            sample_size: 256,
        }
    }

    pub fn preset(name: &str) -> Result<Config, ConfigError> {
        match name {
            "ibab" => Ok(Config::ibab()),
            "small" => Ok(Config::small()),
            "tiny" => Ok(Config::tiny()),
            "clip" => Ok(Config::clip()),
            other => Err(ConfigError::UnknownPreset(other.into())),
        }
    }

    /// Samples of past input each output depends on, itself included.
    pub fn receptive_field(&self) -> usize {
        (self.filter_width - 1) * self.dilations.iter().sum::<usize>() + self.initial_filter_width
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: &str| Err(ConfigError::Invalid(m.into()));
        if self.filter_width != 2 {
            return bad("filter_width must be 2");
        }
        if self.initial_filter_width != 2 {
            return bad("initial_filter_width must be 2 (one-hot input)");
        }
        if self.dilations.is_empty() || self.dilations.contains(&0) {
            return bad("dilations must be a non-empty list of positive integers");
        }
        if self.dilations.iter().any(|&d| d > 1 << 16) {
            return bad("dilations above 65536 are not supported");
        }
        for (name, v) in [
            ("residual_channels", self.residual_channels),
            ("dilation_channels", self.dilation_channels),
            ("skip_channels", self.skip_channels),
            ("head_channels", self.head_channels),
        ] {
            if v == 0 || v > 4096 {
                return Err(ConfigError::Invalid(format!(
                    "{name} must be in 1..=4096, got {v}"
                )));
            }
        }
        if !(2..=65_536).contains(&self.quantization_channels) {
            return bad("quantization_channels must be in 2..=65536");
        }
        if self.sample_size == 0 || self.sample_size > 10_000_000 {
            return bad("sample_size must be in 1..=10000000");
        }
        if !(1_000..=192_000).contains(&self.sample_rate) {
            return bad("sample_rate must be in 1000..=192000");
        }
        if self.global_condition_channels > 4096 || self.local_condition_channels > 4096 {
            return bad("conditioning channels must be at most 4096");
        }
        if !(0.0..1.0).contains(&self.local_condition_dropout) {
            return bad("local_condition_dropout must be in [0, 1)");
        }
        if self.local_condition_dropout > 0.0 && self.local_condition_channels == 0 {
            return bad("local_condition_dropout needs local conditioning");
        }
        if self.local_condition == LocalCondition::Mel && self.local_condition_channels == 0 {
            return bad("local_condition \"mel\" needs local_condition_channels > 0 (the mel bands)");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn presets_match_the_reference_shapes() {
        let ibab = Config::ibab();
        assert_eq!(ibab.dilations.len(), 50);
        // ibab's calculate_receptive_field: sum(dilations) + 1 + (initial width - 1) = 5,117.
        assert_eq!(ibab.receptive_field(), 5_117);
        assert_eq!(Config::small().dilations.len(), 20);
        assert_eq!(Config::clip().receptive_field(), 8_704);
        for c in [Config::ibab(), Config::small(), Config::clip(), Config::tiny()] {
            c.validate().unwrap();
        }
        let mut bad = Config::tiny();
        bad.filter_width = 3;
        assert!(bad.validate().is_err());
    }
}
