//! Writes a 12-megapixel (4000x3000) JPEG for the benchmarks: the embedded photo scaled up
//! with fine grain added, so the encoder sees real-photo-like detail.
//! Usage: cargo run --release -p photophone --example make_photo -- OUT.jpg
use image::{imageops, Rgb};

fn main() {
    let out = std::env::args().nth(1).expect("usage: make_photo OUT.jpg");
    let photo = photophone::default_photo();
    let mut big = imageops::resize(
        photo.full.as_ref().unwrap(),
        4000,
        3000,
        imageops::FilterType::Triangle,
    );
    let mut state = 0x1234_5678u32;
    for p in big.pixels_mut() {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let grain = ((state >> 24) % 13) as i16 - 6;
        *p = Rgb(p.0.map(|c| (c as i16 + grain).clamp(0, 255) as u8));
    }
    let mut file = std::fs::File::create(&out).expect("create output");
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut file, 90)
        .encode_image(&big)
        .expect("encode");
}
