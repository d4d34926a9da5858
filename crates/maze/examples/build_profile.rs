fn main() {
    let options = photophone::Options { seconds: 30.0, ..Default::default() };
    let score = photophone::compose_photo(&photophone::default_photo(), &options).1;
    let t = std::time::Instant::now();
    for _ in 0..2000 {
        let g = photophone_synth::build_dry(&score, 48000.0);
        drop(g);
    }
    eprintln!("{:.3} ms", t.elapsed().as_secs_f64() / 2000.0 * 1000.0);
}
