//! Writes a large photo-like JPEG for the benchmarks (see [`photophone::large_test_jpeg`]):
//! 4000x3000 (12 MP) unless a size is given.
//! Usage: cargo run --release -p photophone --example make_photo -- OUT.jpg [WIDTH HEIGHT]
fn main() {
    let mut args = std::env::args().skip(1);
    let out = args.next().expect("usage: make_photo OUT.jpg [WIDTH HEIGHT]");
    let size: Vec<u32> = args.filter_map(|a| a.parse().ok()).collect();
    let (w, h) = match size[..] {
        [w, h] => (w, h),
        _ => (4000, 3000),
    };
    std::fs::write(&out, photophone::large_test_jpeg(w, h)).expect("write the photo");
}
