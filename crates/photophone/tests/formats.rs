//! Every pixel layout a user's photo may come in decodes upright and comparable.

mod common;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use photophone::analysis::{self, Resolution};

/// A 64x32 photo, bright on the left half, dark on the right.
fn half_bright() -> RgbImage {
    RgbImage::from_fn(64, 32, |x, _| {
        if x < 32 {
            Rgb([230, 200, 160])
        } else {
            Rgb([20, 30, 60])
        }
    })
}

fn encode(img: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// APP1 "Exif" payload holding only an Orientation tag.
fn exif_orientation(value: u16) -> Vec<u8> {
    let mut v = b"Exif\0\0MM\0\x2a\0\0\0\x08".to_vec();
    v.extend_from_slice(&1u16.to_be_bytes()); // one IFD entry
    v.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    v.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    v.extend_from_slice(&1u32.to_be_bytes());
    v.extend_from_slice(&value.to_be_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    v
}

fn left_right_mean(img: &RgbImage) -> (f32, f32) {
    let (w, h) = img.dimensions();
    let mean = |x0: u32, x1: u32| {
        let mut s = 0f32;
        for y in 0..h {
            for x in x0..x1 {
                s += img.get_pixel(x, y).0.iter().map(|&c| c as f32).sum::<f32>();
            }
        }
        s / ((x1 - x0) * h * 3) as f32
    };
    (mean(0, w / 2), mean(w / 2, w))
}

#[test]
fn grayscale_16bit_and_alpha_pngs_decode() {
    let rgb = half_bright();
    let gray = DynamicImage::ImageRgb8(rgb.clone()).into_luma8();
    let rgb16 = DynamicImage::ImageRgb8(rgb.clone()).into_rgb16();
    let rgba = DynamicImage::ImageRgb8(rgb.clone()).into_rgba8();
    let gray16 = DynamicImage::ImageRgb8(rgb.clone()).into_luma16();
    for (name, img) in [
        ("gray8", DynamicImage::ImageLuma8(gray)),
        ("rgb16", DynamicImage::ImageRgb16(rgb16)),
        ("rgba8", DynamicImage::ImageRgba8(rgba)),
        ("gray16", DynamicImage::ImageLuma16(gray16)),
    ] {
        let photo = analysis::load_bytes(&encode(img, ImageFormat::Png), name).unwrap();
        let (l, r) = left_right_mean(photo.full.as_ref().unwrap());
        assert!(l > r + 100.0, "{name}: left {l} right {r}");
        let a = analysis::analyze(&photo);
        assert!(a.luminance.mean > 0.1 && a.luminance.mean < 0.9, "{name}");
    }
}

#[test]
fn exif_orientation_is_applied() {
    let rgb = half_bright();
    let mut bytes = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut bytes, 95);
    enc.add_app_segment(1, exif_orientation(6)).unwrap(); // rotate 90° clockwise to display
    enc.encode(rgb.as_raw(), 64, 32, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    for resolution in [Resolution::Full, Resolution::AnalysisOnly] {
        let photo = analysis::load_bytes_at(&bytes, "exif", resolution).unwrap();
        assert_eq!(
            (photo.width(), photo.height()),
            (32, 64),
            "{resolution:?}: upright size"
        );
        // Bright left half becomes the top half after a 90° clockwise turn.
        let img = photo.best_pixels();
        let top = img.get_pixel(16, 8).0[0];
        let bottom = img.get_pixel(16, 56).0[0];
        assert!(
            top > 150 && bottom < 80,
            "{resolution:?}: top {top} bottom {bottom}"
        );
    }
}

#[test]
fn cmyk_jpeg_decodes() {
    let rgb = half_bright();
    // Naive CMYK of the same picture.
    let cmyk: Vec<u8> = rgb
        .pixels()
        .flat_map(|p| {
            let [r, g, b] = p.0.map(|c| c as f32 / 255.0);
            let k = 1.0 - r.max(g).max(b);
            let d = (1.0 - k).max(1e-6);
            [(1.0 - r - k) / d, (1.0 - g - k) / d, (1.0 - b - k) / d, k].map(|v| (v * 255.0).round() as u8)
        })
        .collect();
    let mut bytes = Vec::new();
    jpeg_encoder::Encoder::new(&mut bytes, 95)
        .encode(&cmyk, 64, 32, jpeg_encoder::ColorType::Cmyk)
        .unwrap();
    let photo = analysis::load_bytes(&bytes, "cmyk").expect("CMYK JPEG decodes");
    let (l, r) = left_right_mean(photo.full.as_ref().unwrap());
    assert!((l - r).abs() > 60.0, "CMYK halves should differ: {l} vs {r}");
}

#[test]
fn large_jpeg_fast_path_matches_full_decode() {
    // A 1600x1200 JPEG: the analysis-only path decodes it at reduced DCT scale.
    let img = RgbImage::from_fn(1600, 1200, |x, y| {
        Rgb([(x / 7) as u8, (y / 5) as u8, ((x + y) / 11) as u8])
    });
    let bytes = encode(DynamicImage::ImageRgb8(img), ImageFormat::Jpeg);
    let full = analysis::load_bytes_at(&bytes, "big", Resolution::Full).unwrap();
    let fast = analysis::load_bytes_at(&bytes, "big", Resolution::AnalysisOnly).unwrap();
    assert!(fast.full.is_none());
    assert_eq!((fast.width(), fast.height()), (1600, 1200));
    let (a, b) = (analysis::analyze(&full), analysis::analyze(&fast));
    assert!((a.luminance.mean - b.luminance.mean).abs() < 0.01);
    assert!((a.colour.warmth - b.colour.warmth).abs() < 0.05);
}
