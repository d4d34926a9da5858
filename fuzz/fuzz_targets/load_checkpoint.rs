//! A checkpoint folder whose five files (config.json, state.json and the three safetensors
//! files) are cut from the input: loading it as a WaveNet checkpoint and as a timbre refuses
//! or loads, never panics or allocates wildly (the two share the layout and the safetensors
//! code, not the checks).
#![no_main]
use libfuzzer_sys::fuzz_target;
use photophone_wavenet::checkpoint;

const FILES: [&str; 5] = ["config.json", "state.json", "model.safetensors", "optimizer.safetensors", "optimizer_v.safetensors"];

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().unwrap();
    let current = dir.path().join("checkpoint");
    std::fs::create_dir(&current).unwrap();
    // Five little-endian u32 lengths, then the five files one after the other.
    let (lengths, mut rest) = data.split_at(data.len().min(20));
    for (i, name) in FILES.iter().enumerate() {
        let len = lengths.get(4 * i..4 * i + 4).map_or(0, |b| u32::from_le_bytes(b.try_into().unwrap()) as usize);
        let (file, tail) = rest.split_at(len.min(rest.len()));
        std::fs::write(current.join(name), file).unwrap();
        rest = tail;
    }
    let _ = checkpoint::load(dir.path());
    let _ = photophone_timbre::Timbre::load(dir.path());
});
