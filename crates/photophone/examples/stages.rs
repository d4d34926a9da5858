//! Prints where synthesis time goes for one photo: dry voices, reverb bus, mastering.
use photophone::synth::{self, Voices};
use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1);
    let photo = match path {
        Some(p) => photophone::analysis::load_path(p.as_ref()).expect("photo"),
        None => photophone::default_photo(),
    };
    let (_, score) = photophone::compose_photo(&photo, &photophone::Options::default());
    let frames = 30 * 44_100;
    let Voices { mut dry, mut bus } = synth::build(&score, 44_100.0);
    let mut buf = vec![0f32; frames * 2];
    let t = Instant::now();
    synth::fill_for_profiling(dry.as_mut(), &mut buf);
    let dry_t = t.elapsed();
    let t = Instant::now();
    bus.process(&mut buf);
    let bus_t = t.elapsed();
    let t = Instant::now();
    let l = synth::loudness_lufs(&buf, 44_100);
    let lufs_t = t.elapsed();
    let t = Instant::now();
    let (raw, loud) = synth::render_raw(&score, 44_100);
    let raw_t = t.elapsed();
    let t = Instant::now();
    let m = synth::master(raw, loud);
    let master_t = t.elapsed();
    let parts: Vec<String> = synth::dry_parts_for_profiling(&score, 44_100)
        .into_iter()
        .map(|mut part| {
            let t = Instant::now();
            synth::fill_for_profiling(part.as_mut(), &mut buf);
            format!("{:?}", t.elapsed())
        })
        .collect();
    println!("dry parts (bed, pad, lead) {}", parts.join(" "));
    println!("dry {dry_t:?} bus {bus_t:?} loudness {lufs_t:?} ({l:.1} LUFS) pipelined raw {raw_t:?} master {master_t:?} limited={}", m.limited);
}
