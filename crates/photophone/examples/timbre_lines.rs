//! The lines a learnt timbre plays for a photo, alone (no pad, drone, texture or reverb),
//! mastered like a render: what bench/timbre_identity.sh compares with the full mix to tell
//! the timbre's own identity from the arrangement's masking of it.
//!
//! Usage: cargo run --release -p photophone --features timbre --example timbre_lines -- PHOTO TIMBRE OUT.wav

use photophone::timbre::{render_over, Bed};
use photophone::{Options, Timbre};
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [photo, timbre, out] = args.as_slice() else {
        eprintln!("usage: timbre_lines PHOTO TIMBRE OUT.wav");
        std::process::exit(2);
    };
    let photo = photophone::analysis::decode::load_path(Path::new(photo)).unwrap_or_else(|e| fail(e));
    let timbre = Timbre::load(Path::new(timbre)).unwrap_or_else(|e| fail(e));
    let r = render_over(&photo, &Options::default(), &timbre, Bed::Silent);
    let wav = photophone::synth::wav::encode_wav(&r.mastered.audio);
    std::fs::write(out, wav).unwrap_or_else(|e| fail(e));
}

fn fail(e: impl std::fmt::Display) -> ! {
    eprintln!("timbre_lines: {e}");
    std::process::exit(1)
}
