//! Audio files for `train` (WAV, FLAC, OGG/Vorbis, MP3, by content and by a claimed
//! extension) through the decoder, the resampler and the silence trim.
#![no_main]
use libfuzzer_sys::fuzz_target;
use photophone_wavenet::audio;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else { return };
    let extension = ["wav", "flac", "ogg", "mp3", "bin"][pick as usize % 5];
    if let Ok((mono, rate)) = audio::decode_mono_bytes(bytes.to_vec(), Some(extension), "fuzz") {
        let at_16k = audio::resample(&mono, rate, 16_000);
        let _ = audio::trim_silence(&at_16k);
    }
});
