//! What can go wrong loading training audio. Every error names the file; the one-line
//! messages are what the CLI prints, and the underlying I/O or decoder error stays reachable
//! through [`std::error::Error::source`].

use symphonia::core::errors::Error as DecodeError;

#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error("{path}: no such file or folder")]
    NotFound { path: String },
    #[error("{path}: folder has no audio files (wav, flac, ogg, mp3)")]
    NoAudioFiles { path: String },
    #[error("{path}: {kind}")]
    Unsupported {
        path: String,
        #[source]
        kind: Unsupported,
    },
    #[error("{path}: {kind}")]
    Corrupt {
        path: String,
        #[source]
        kind: Corrupt,
    },
    #[error("{path}: clip is silent")]
    Silent { path: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Audio this loader does not read.
#[derive(Debug, thiserror::Error)]
pub enum Unsupported {
    #[error("not audio in a supported format (WAV, FLAC, OGG/Vorbis, MP3)")]
    Format,
    #[error("no audio track")]
    NoTrack,
    #[error("unknown sample rate")]
    UnknownRate,
    #[error("unsupported sample rate {0} Hz")]
    Rate(u32),
    #[error("unsupported codec ({0})")]
    Codec(#[source] DecodeError),
}

/// A file in a supported format whose contents are broken or hold no usable audio.
#[derive(Debug, thiserror::Error)]
pub enum Corrupt {
    #[error("file is empty")]
    Empty,
    /// Metadata whose declared sizes cannot be right (checked before the decoder trusts them).
    #[error("corrupt audio ({0})")]
    Metadata(&'static str),
    #[error("corrupt audio ({0})")]
    Decode(#[source] DecodeError),
    #[error("no audio samples")]
    NoSamples,
    #[error("audio contains non-finite samples")]
    NonFinite,
}

impl AudioError {
    pub(crate) fn unsupported(path: &str, kind: Unsupported) -> AudioError {
        AudioError::Unsupported {
            path: path.into(),
            kind,
        }
    }

    pub(crate) fn corrupt(path: &str, kind: Corrupt) -> AudioError {
        AudioError::Corrupt {
            path: path.into(),
            kind,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error;

    #[test]
    fn messages_stay_one_line_and_sources_stay_reachable() {
        let io = AudioError::Io {
            path: "a.wav".into(),
            source: std::io::Error::new(std::io::ErrorKind::PermissionDenied, "permission denied"),
        };
        assert_eq!(io.to_string(), "a.wav: permission denied");
        assert!(io.source().is_some());
        let bad = AudioError::corrupt("b.flac", Corrupt::Decode(DecodeError::DecodeError("bad frame")));
        assert_eq!(
            bad.to_string(),
            "b.flac: corrupt audio (malformed stream: bad frame)"
        );
        let inner = bad.source().expect("the corruption");
        assert!(inner.source().is_some(), "and the decoder's error under it");
        assert_eq!(
            AudioError::unsupported("c.ogg", Unsupported::Rate(7)).to_string(),
            "c.ogg: unsupported sample rate 7 Hz"
        );
    }
}
