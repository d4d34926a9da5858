//! Writes a 12-megapixel (4000x3000) JPEG for the benchmarks (see
//! [`photophone::large_test_jpeg`]).
//! Usage: cargo run --release -p photophone --example make_photo -- OUT.jpg
fn main() {
    let out = std::env::args().nth(1).expect("usage: make_photo OUT.jpg");
    std::fs::write(&out, photophone::large_test_jpeg(4000, 3000)).expect("write the photo");
}
