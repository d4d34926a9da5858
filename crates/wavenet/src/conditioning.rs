//! Local conditioning as a model is configured and as generation must drive it: where the
//! conditioning comes from, and which generation requests a model can serve.

use crate::config::Config;
use serde::{Deserialize, Serialize};

/// Where a model's local conditioning comes from when training on audio. Stored in
/// `config.json` as the strings checkpoints have always used: `""` and `"mel"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum LocalCondition {
    /// No local conditioning.
    #[default]
    None,
    /// `local_condition_channels` log-mel bands of the audio itself, for re-synthesis.
    Mel,
}

impl TryFrom<String> for LocalCondition {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        match s.as_str() {
            "" => Ok(LocalCondition::None),
            "mel" => Ok(LocalCondition::Mel),
            other => Err(format!("unknown local_condition {other:?} (use \"mel\")")),
        }
    }
}

impl From<LocalCondition> for String {
    fn from(c: LocalCondition) -> String {
        match c {
            LocalCondition::None => String::new(),
            LocalCondition::Mel => "mel".into(),
        }
    }
}

/// Why a model cannot serve a generation request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ConditioningMismatch {
    /// Conditioning was given to a model trained without it.
    #[error("this model was trained without conditioning")]
    NotConditioned,
    /// No conditioning was given to a model that always had it in training (no dropout).
    #[error("this model is conditioned on log-mel frames and was never trained without them")]
    Required,
}

impl Config {
    /// Whether generation can run with (`given`) or without conditioning. A model trained with
    /// conditioning dropout also generates unconditioned (zero conditioning).
    pub fn check_generation_conditioning(&self, given: bool) -> Result<(), ConditioningMismatch> {
        match (self.local_condition, given) {
            (LocalCondition::None, true) => Err(ConditioningMismatch::NotConditioned),
            (LocalCondition::Mel, false) if self.local_condition_dropout == 0.0 => {
                Err(ConditioningMismatch::Required)
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(local: LocalCondition, dropout: f32) -> Config {
        let mut c = Config::tiny();
        c.local_condition = local;
        c.local_condition_channels = if local == LocalCondition::Mel { 8 } else { 0 };
        c.local_condition_dropout = dropout;
        c
    }

    #[test]
    fn old_config_json_loads_and_saves_unchanged() {
        for (text, expected) in [("", LocalCondition::None), ("mel", LocalCondition::Mel)] {
            let mut json = serde_json::to_value(Config::tiny()).unwrap();
            json["local_condition"] = text.into();
            let c: Config = serde_json::from_value(json.clone()).unwrap();
            assert_eq!(c.local_condition, expected);
            assert_eq!(
                serde_json::to_value(&c).unwrap(),
                json,
                "written back as it was read"
            );
        }
        // Configs from before conditioning existed have no field at all.
        let mut json = serde_json::to_value(Config::tiny()).unwrap();
        json.as_object_mut().unwrap().remove("local_condition");
        let c: Config = serde_json::from_value(json).unwrap();
        assert_eq!(c.local_condition, LocalCondition::None);
    }

    #[test]
    fn unknown_sources_are_refused_by_name() {
        let mut json = serde_json::to_value(Config::tiny()).unwrap();
        json["local_condition"] = "chroma".into();
        let err = serde_json::from_value::<Config>(json).unwrap_err().to_string();
        assert!(err.contains("unknown local_condition \"chroma\""), "{err}");
    }

    #[test]
    fn generation_needs_what_training_gave() {
        use ConditioningMismatch::*;
        let plain = with(LocalCondition::None, 0.0);
        assert_eq!(plain.check_generation_conditioning(false), Ok(()));
        assert_eq!(plain.check_generation_conditioning(true), Err(NotConditioned));
        let mel = with(LocalCondition::Mel, 0.0);
        assert_eq!(mel.check_generation_conditioning(true), Ok(()));
        assert_eq!(mel.check_generation_conditioning(false), Err(Required));
        let dropout = with(LocalCondition::Mel, 0.2);
        assert_eq!(dropout.check_generation_conditioning(true), Ok(()));
        assert_eq!(dropout.check_generation_conditioning(false), Ok(()));
    }
}
