//! Writes a benchmark photo library: COUNT JPEGs from 2 to 12 megapixels, made from the real
//! photographs in testdata/real-photos (scaled up with grain, see
//! [`photophone::photo_like_jpeg`]), so sizes and content vary like a real library's.
//! Usage: cargo run --release -p photophone --example make_library -- OUT_DIR COUNT
use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let (out, count) = match (args.next(), args.next().and_then(|c| c.parse::<usize>().ok())) {
        (Some(out), Some(count)) if count >= 2 => (PathBuf::from(out), count),
        _ => panic!("usage: make_library OUT_DIR COUNT (COUNT >= 2)"),
    };
    let real = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/real-photos");
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&real)
        .expect("testdata/real-photos")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jpg" || e == "png"))
        .collect();
    sources.sort();
    std::fs::create_dir_all(&out).expect("create OUT_DIR");
    let make = |i: usize| {
        let source = image::open(&sources[i % sources.len()])
            .expect("a test photo")
            .to_rgb8();
        // Sizes spread evenly over 2–12 MP, shuffled against the sources.
        let megapixels = 2.0 + 10.0 * ((i * 7) % count) as f64 / (count - 1) as f64;
        let aspect = source.width() as f64 / source.height() as f64;
        let height = (megapixels * 1e6 / aspect).sqrt().round() as u32;
        let width = (height as f64 * aspect).round() as u32;
        let jpeg = photophone::photo_like_jpeg(&source, width, height, i as u32);
        std::fs::write(out.join(format!("photo-{i:04}.jpg")), jpeg).expect("write a photo");
    };
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|s| {
        for t in 0..threads {
            s.spawn(move || (t..count).step_by(threads).for_each(make));
        }
    });
}
