//! Audio files for `train` (WAV, FLAC, OGG/Vorbis, MP3) through the decoder, the resampler
//! and the silence trim.
#![no_main]
use libfuzzer_sys::fuzz_target;
use photophone_wavenet::audio;

fuzz_target!(|data: &[u8]| {
    if let Ok((mono, rate)) = audio::decode_mono_bytes(data.to_vec(), "fuzz") {
        let at_16k = audio::resample(&mono, rate, 16_000);
        let _ = audio::trim_silence(&at_16k);
    }
});
