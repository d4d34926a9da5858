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
fn large_png_with_exif_orientation_is_upright_on_both_paths() {
    // 1200x600, bright left half; large enough for the row-by-row analysis path.
    use image::ImageEncoder;
    let rgb = RgbImage::from_fn(1200, 600, |x, _| {
        if x < 600 {
            Rgb([230, 200, 160])
        } else {
            Rgb([20, 30, 60])
        }
    });
    let mut bytes = Vec::new();
    let mut encoder = image::codecs::png::PngEncoder::new(&mut bytes);
    encoder
        .set_exif_metadata(exif_orientation(6)[6..].to_vec()) // PNG's eXIf holds the TIFF part
        .unwrap();
    encoder
        .write_image(rgb.as_raw(), 1200, 600, image::ExtendedColorType::Rgb8)
        .unwrap();
    for resolution in [Resolution::Full, Resolution::AnalysisOnly] {
        let photo = analysis::load_bytes_at(&bytes, "exif", resolution).unwrap();
        assert_eq!(photo.full.is_some(), resolution == Resolution::Full);
        assert_eq!((photo.width(), photo.height()), (600, 1200), "{resolution:?}");
        assert_eq!(photo.small.dimensions(), (256, 512), "{resolution:?}");
        let top = photo.small.get_pixel(128, 64).0[0];
        let bottom = photo.small.get_pixel(128, 448).0[0];
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

/// A real photo scaled to `w`×`h` with grain, as a progressive JPEG (jpeg-encoder).
fn progressive_jpeg(
    w: u32,
    h: u32,
    sampling: jpeg_encoder::SamplingFactor,
    restart: u16,
    grey: bool,
) -> Vec<u8> {
    let source = analysis::load_path(&common::fixture_path("rocket.jpg")).unwrap();
    let jpeg = photophone::photo_like_jpeg(source.full.as_ref().unwrap(), w, h, 7);
    let rgb = image::load_from_memory(&jpeg).unwrap().into_rgb8();
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 88);
    encoder.set_progressive(true);
    encoder.set_sampling_factor(sampling);
    encoder.set_restart_interval(restart);
    if grey {
        let luma = DynamicImage::ImageRgb8(rgb).into_luma8();
        encoder
            .encode(luma.as_raw(), w as u16, h as u16, jpeg_encoder::ColorType::Luma)
            .unwrap();
    } else {
        encoder
            .encode(rgb.as_raw(), w as u16, h as u16, jpeg_encoder::ColorType::Rgb)
            .unwrap();
    }
    out
}

#[test]
fn progressive_jpegs_read_from_their_dc_scans_match_a_full_decode() {
    use jpeg_encoder::SamplingFactor::*;
    for (w, h, sampling, restart, grey) in [
        (4272, 2848, F_2_2, 0, false),
        (3000, 2001, F_2_1, 7, false),
        (2050, 1537, F_1_1, 0, true),
        (1203, 2400, R_4_2_0, 3, false),
    ] {
        let bytes = progressive_jpeg(w, h, sampling, restart, grey);
        let fast = analysis::load_bytes_at(&bytes, "p", Resolution::AnalysisOnly).unwrap();
        let full = analysis::load_bytes_at(&bytes, "p", Resolution::Full).unwrap();
        assert!(fast.full.is_none());
        assert_eq!((fast.width(), fast.height()), (w, h));
        // The analysis copies: the DC path's 1/8-scale block means, area-averaged to ≤ 512 px,
        // against the full decode area-averaged to the same size (the two grids differ, so
        // grain and edges blur a little differently; crates/analysis checks the DC values
        // themselves against a full decode at 1/8 scale).
        let reference = image::imageops::thumbnail(
            full.full.as_ref().unwrap(),
            fast.small.width(),
            fast.small.height(),
        );
        let diff: f64 = fast
            .small
            .as_raw()
            .iter()
            .zip(reference.as_raw())
            .map(|(a, b)| (*a as f64 - *b as f64).abs())
            .sum::<f64>()
            / reference.as_raw().len() as f64;
        assert!(
            diff < 4.5,
            "{w}x{h} {sampling:?}: mean difference {diff:.2} levels"
        );
        let (a, b) = (analysis::analyze(&full), analysis::analyze(&fast));
        assert!((a.luminance.mean - b.luminance.mean).abs() < 0.01, "{w}x{h}");
        assert!((a.colour.warmth - b.colour.warmth).abs() < 0.05, "{w}x{h}");
    }
}

#[test]
fn damaged_progressive_jpegs_fail_cleanly() {
    let bytes = progressive_jpeg(2400, 1600, jpeg_encoder::SamplingFactor::F_2_2, 0, false);
    // Bytes flipped inside the DC scan (after the first scan header), end marker kept.
    let first_scan = bytes.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
    for (offset, value) in [(40, 0xFF), (80, 0x00), (200, 0xD9), (12, 0x13)] {
        let mut damaged = bytes.clone();
        damaged[first_scan + offset] = value;
        // Either an error or some photo: never a panic.
        let _ = analysis::load_bytes_at(&damaged, "d", Resolution::AnalysisOnly);
    }
    // A header cut short inside the frame segment.
    let sof = bytes.windows(2).position(|w| w == [0xFF, 0xC2]).unwrap();
    let mut cut = bytes[..sof + 6].to_vec();
    cut.extend_from_slice(&[0xFF, 0xD9]);
    assert!(analysis::load_bytes_at(&cut, "c", Resolution::AnalysisOnly).is_err());
}

#[test]
fn jpegs_declaring_more_pixels_than_their_data_can_hold_are_refused() {
    // A real baseline JPEG whose frame header is rewritten to claim 19456x4100 pixels: its
    // few hundred bytes of scan data cannot code that many blocks (fuzz/regressions).
    let small = encode(DynamicImage::ImageRgb8(half_bright()), ImageFormat::Jpeg);
    let sof = small.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    let mut claims_more = small.clone();
    claims_more[sof + 5..sof + 7].copy_from_slice(&4100u16.to_be_bytes());
    claims_more[sof + 7..sof + 9].copy_from_slice(&19456u16.to_be_bytes());
    for resolution in [Resolution::AnalysisOnly, Resolution::Full] {
        let Err(err) = analysis::load_bytes_at(&claims_more, "big", resolution) else {
            panic!("{resolution:?}: decoded");
        };
        assert!(err.to_string().contains("too little image data"), "{err}");
    }
    // The photo as it was still decodes, as does a highly compressible large one.
    assert!(analysis::load_bytes_at(&small, "small", Resolution::Full).is_ok());
    let flat = RgbImage::from_pixel(3000, 2000, Rgb([90, 120, 200]));
    let flat = encode(DynamicImage::ImageRgb8(flat), ImageFormat::Jpeg);
    assert!(analysis::load_bytes_at(&flat, "flat", Resolution::Full).is_ok());
}
