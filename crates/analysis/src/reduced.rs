//! Reduced-size decodes of large PNG and WebP photos for the analysis copy, without ever
//! building the full-resolution RGB buffer (a 12-megapixel photo is 36 MB of pixels, and
//! converting and area-averaging it cost more than the decode of a JPEG at 1/8 scale).
//!
//! - PNG: the image streams row by row (every row must still be inflated and unfiltered: PNG
//!   filters refer to the row above; 8- and 16-bit rows inflated and unfiltered on two
//!   threads, `png_rows`), and each row is summed into a box of `k`×`k` source pixels at
//!   once; only one band of sums is ever held.
//! - WebP: libwebp's scaled decoding (`use_scaling`), which area-averages the decoded rows
//!   into the requested size as it goes and converts only those to RGB. The pure-Rust
//!   image-webp has no scaled output, and its full decode of a 12-MP lossy WebP took ~2.5x as
//!   long (BENCHMARKS.md, "Decoding large photos").
//!
//! Both are area averages: every source pixel still contributes to the analysis copy.

use crate::decode::{PhotoError, ANALYSIS_MAX_SIDE, MAX_DIMENSION, MAX_PIXELS};
use crate::png_rows;
use image::metadata::Orientation;
use image::RgbImage;
use std::io::Cursor;

/// Sums `k`×`k` boxes of source pixels into one output pixel, a source row at a time.
/// Grey is spread over R, G and B; alpha is dropped (as `DynamicImage::into_rgb8` does);
/// 16-bit samples are averaged at full precision and rounded to 8 bits at the end.
struct BoxReduce {
    k: usize,
    width: usize,
    out_w: usize,
    /// Sums of the current band of up to `k` rows, 3 per output pixel.
    acc: Vec<u32>,
    band_rows: usize,
    out: Vec<u8>,
    /// 257 for 16-bit samples (65535 / 255), else 1.
    unit: u32,
}

impl BoxReduce {
    fn new(width: u32, height: u32, k: u32, sixteen_bit: bool) -> BoxReduce {
        let (width, k) = (width as usize, k as usize);
        let out_w = width.div_ceil(k);
        let out_h = (height as usize).div_ceil(k);
        BoxReduce {
            k,
            width,
            out_w,
            acc: vec![0; out_w * 3],
            band_rows: 0,
            out: Vec::with_capacity(out_w * out_h * 3),
            unit: if sixteen_bit { 257 } else { 1 },
        }
    }

    /// Adds one source row of `channels` samples per pixel (1 = grey, 2 = grey + alpha,
    /// 3 = RGB, 4 = RGBA), 8-bit or 16-bit big-endian as PNG stores them.
    fn add_row(&mut self, row: &[u8], channels: usize, sixteen_bit: bool) {
        match (channels, sixteen_bit) {
            (1, false) => self.add::<1, false>(row),
            (2, false) => self.add::<2, false>(row),
            (3, false) => self.add::<3, false>(row),
            (4, false) => self.add::<4, false>(row),
            (1, true) => self.add::<1, true>(row),
            (2, true) => self.add::<2, true>(row),
            (3, true) => self.add::<3, true>(row),
            _ => self.add::<4, true>(row),
        }
    }

    fn add<const C: usize, const WIDE: bool>(&mut self, row: &[u8]) {
        let pixel = if WIDE { 2 * C } else { C };
        let sample = |p: &[u8], i: usize| {
            if WIDE {
                u32::from(u16::from_be_bytes([p[2 * i], p[2 * i + 1]]))
            } else {
                u32::from(p[i])
            }
        };
        let row = &row[..(self.width * pixel).min(row.len())];
        for (cell, span) in self.acc.chunks_exact_mut(3).zip(row.chunks(pixel * self.k)) {
            let mut sums = [0u32; 3];
            for p in span.chunks_exact(pixel) {
                if C <= 2 {
                    sums[0] += sample(p, 0);
                } else {
                    sums[0] += sample(p, 0);
                    sums[1] += sample(p, 1);
                    sums[2] += sample(p, 2);
                }
            }
            if C <= 2 {
                sums[1] = sums[0];
                sums[2] = sums[0];
            }
            cell[0] += sums[0];
            cell[1] += sums[1];
            cell[2] += sums[2];
        }
        self.band_rows += 1;
        if self.band_rows == self.k {
            self.flush();
        }
    }

    /// Turns the band's sums into a row of output pixels (the last column and the last band
    /// may hold fewer than `k` source pixels across or down).
    fn flush(&mut self) {
        if self.band_rows == 0 {
            return;
        }
        for (ox, cell) in self.acc.chunks_exact_mut(3).enumerate() {
            let cols = (self.width - ox * self.k).min(self.k);
            let n = (cols * self.band_rows) as u64 * u64::from(self.unit);
            for s in cell.iter_mut() {
                self.out.push(((u64::from(*s) * 2 + n) / (2 * n)) as u8);
                *s = 0;
            }
        }
        self.band_rows = 0;
    }

    fn finish(mut self) -> Option<RgbImage> {
        self.flush();
        let out_h = self.out.len() / (3 * self.out_w);
        RgbImage::from_raw(self.out_w as u32, out_h as u32, self.out)
    }
}

/// A large non-interlaced PNG decoded a row at a time into a copy `long side / ANALYSIS_MAX_SIDE`
/// times smaller (so still at least [`ANALYSIS_MAX_SIDE`] long), and its EXIF orientation.
/// `None` when the fast path does not apply (interlaced PNGs: Adam7 passes would have to be
/// reassembled first; those take the full decode).
pub(crate) fn png(bytes: &[u8]) -> Result<Option<(RgbImage, Orientation)>, PhotoError> {
    let mut decoder = png::Decoder::new_with_limits(Cursor::new(bytes), png::Limits { bytes: 1 << 30 });
    // Palette to RGB, bit depths under 8 to 8, tRNS to alpha; 16-bit stays 16-bit.
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().map_err(png_error)?;
    let info = reader.info();
    if info.interlaced {
        return Ok(None);
    }
    let (width, height) = (info.width, info.height);
    check_limits(width, height)?;
    let orientation = info
        .exif_metadata
        .as_ref()
        .and_then(|chunk| Orientation::from_exif_chunk(chunk))
        .unwrap_or(Orientation::NoTransforms);
    let k = (width.max(height) / ANALYSIS_MAX_SIDE).max(1);
    // 8- and 16-bit rows need no expansion (a tRNS colour only adds alpha, which is dropped):
    // inflated and unfiltered on two threads. Palettes and lower depths take png's reader.
    let raw = (info.color_type, info.bit_depth);
    let reduce = match raw {
        (colour, depth @ (png::BitDepth::Eight | png::BitDepth::Sixteen))
            if colour != png::ColorType::Indexed =>
        {
            let sixteen_bit = depth == png::BitDepth::Sixteen;
            let channels = colour.samples();
            let bpp = channels * if sixteen_bit { 2 } else { 1 };
            let mut reduce = BoxReduce::new(width, height, k, sixteen_bit);
            let layout = png_rows::Layout {
                line: width as usize * bpp,
                bpp,
                height,
            };
            png_rows::for_each_row(bytes, layout, |row| reduce.add_row(row, channels, sixteen_bit))?;
            reduce
        }
        _ => match read_expanded_rows(&mut reader, width, height, k)? {
            Some(reduce) => reduce,
            None => return Ok(None),
        },
    };
    let small = reduce
        .finish()
        .ok_or_else(|| PhotoError::Corrupt("short pixel data".into()))?;
    Ok(Some((small, orientation)))
}

/// The rows of a palette or low-bit-depth PNG through png's reader, which expands them to
/// 8-bit samples, summed into boxes of `k`×`k`; `None` for a layout it leaves unexpanded.
fn read_expanded_rows(
    reader: &mut png::Reader<Cursor<&[u8]>>,
    width: u32,
    height: u32,
    k: u32,
) -> Result<Option<BoxReduce>, PhotoError> {
    let (colour, depth) = reader.output_color_type();
    let sixteen_bit = depth == png::BitDepth::Sixteen;
    if !sixteen_bit && depth != png::BitDepth::Eight {
        return Ok(None); // EXPAND leaves no other depth; the full decode reports anything odd
    }
    let channels = match colour {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => return Ok(None),
    };
    let mut reduce = BoxReduce::new(width, height, k, sixteen_bit);
    let line = width as usize * channels * if sixteen_bit { 2 } else { 1 };
    let mut rows = 0u32;
    while let Some(row) = reader.next_row().map_err(png_error)? {
        if row.data().len() < line {
            return Err(PhotoError::Corrupt("PNG row shorter than its width".into()));
        }
        reduce.add_row(row.data(), channels, sixteen_bit);
        rows += 1;
        if rows == height {
            break;
        }
    }
    if rows < height {
        return Err(PhotoError::Corrupt("unexpected end of file".into()));
    }
    Ok(Some(reduce))
}

pub(crate) fn png_error(e: png::DecodingError) -> PhotoError {
    match e {
        png::DecodingError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            PhotoError::Corrupt("unexpected end of file".into())
        }
        png::DecodingError::LimitsExceeded => PhotoError::Corrupt("exceeds memory limits".into()),
        other => PhotoError::Corrupt(crate::decode::first_line(&other.to_string())),
    }
}

fn check_limits(width: u32, height: u32) -> Result<(), PhotoError> {
    if width == 0 || height == 0 {
        return Err(PhotoError::NoPixels);
    }
    if width > MAX_DIMENSION || height > MAX_DIMENSION || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(PhotoError::TooManyPixels { width, height });
    }
    Ok(())
}

/// A large still WebP (lossy or lossless) decoded by libwebp straight to the analysis size
/// (long side [`ANALYSIS_MAX_SIDE`], the size `decode::downscale` gives), and its EXIF
/// orientation. `None` where libwebp declines (animations): those take the full decode.
/// (Not in the WebAssembly build, which has no libwebp.)
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn webp(bytes: &[u8]) -> Result<Option<(RgbImage, Orientation)>, PhotoError> {
    use libwebp_sys as webp;
    // SAFETY (this whole function): `config` is initialised by WebPInitDecoderConfig; `bytes`
    // outlives every call that reads it; the output buffer is libwebp's own and is copied out, then freed once with WebPFreeDecBuffer, on every path after WebPDecode.
    let Ok(mut config) = webp::WebPDecoderConfig::new() else {
        return Ok(None); // libwebp's ABI version disagrees with the bindings: use image-webp
    };
    let status = unsafe { webp::WebPGetFeatures(bytes.as_ptr(), bytes.len(), &mut config.input) };
    if status != webp::VP8StatusCode::VP8_STATUS_OK {
        return Err(webp_error(status));
    }
    if config.input.has_animation != 0 {
        return Ok(None);
    }
    let (width, height) = (config.input.width, config.input.height);
    if width <= 0 || height <= 0 {
        return Err(PhotoError::NoPixels);
    }
    let (width, height) = (width as u32, height as u32);
    check_limits(width, height)?;
    let scale = f64::from(ANALYSIS_MAX_SIDE) / f64::from(width.max(height));
    let out_w = ((f64::from(width) * scale).round() as u32).clamp(1, width);
    let out_h = ((f64::from(height) * scale).round() as u32).clamp(1, height);
    config.options.use_scaling = 1;
    config.options.scaled_width = out_w as i32;
    config.options.scaled_height = out_h as i32;
    // (`use_threads`, the in-loop filter on a second thread, measured no faster here: left off.)
    config.output.colorspace = webp::WEBP_CSP_MODE::MODE_RGB;
    let status = unsafe { webp::WebPDecode(bytes.as_ptr(), bytes.len(), &mut config) };
    let pixels = if status == webp::VP8StatusCode::VP8_STATUS_OK {
        // SAFETY: on success libwebp's RGBA union member describes its RGB output buffer.
        let rgba = unsafe { config.output.u.RGBA };
        let (w, h) = (config.output.width as usize, config.output.height as usize);
        if rgba.rgba.is_null() || w != out_w as usize || h != out_h as usize || rgba.stride < 3 * w as i32 {
            None
        } else {
            let mut pixels = Vec::with_capacity(w * h * 3);
            for y in 0..h {
                // SAFETY: each of the `h` rows of the buffer holds `stride` ≥ 3w bytes.
                let row =
                    unsafe { std::slice::from_raw_parts(rgba.rgba.add(y * rgba.stride as usize), 3 * w) };
                pixels.extend_from_slice(row);
            }
            Some(pixels)
        }
    } else {
        None
    };
    unsafe { webp::WebPFreeDecBuffer(&mut config.output) };
    if status != webp::VP8StatusCode::VP8_STATUS_OK {
        return Err(webp_error(status));
    }
    let small = pixels
        .and_then(|p| RgbImage::from_raw(out_w, out_h, p))
        .ok_or_else(|| PhotoError::Corrupt("WebP decoder gave no pixels".into()))?;
    // The EXIF orientation, read by the `image` crate's WebP decoder from the container's
    // chunks without decoding any pixels.
    use image::ImageDecoder;
    let orientation = image::codecs::webp::WebPDecoder::new(Cursor::new(bytes))
        .and_then(|mut d| d.orientation())
        .map_err(|e| PhotoError::Corrupt(crate::decode::first_line(&e.to_string())))?;
    Ok(Some((small, orientation)))
}

#[cfg(not(target_arch = "wasm32"))]
fn webp_error(status: libwebp_sys::VP8StatusCode) -> PhotoError {
    use libwebp_sys::VP8StatusCode::*;
    PhotoError::Corrupt(
        match status {
            VP8_STATUS_NOT_ENOUGH_DATA => "unexpected end of file",
            VP8_STATUS_OUT_OF_MEMORY => "exceeds memory limits",
            VP8_STATUS_UNSUPPORTED_FEATURE => "unsupported WebP feature",
            VP8_STATUS_INVALID_PARAM => "invalid WebP parameters",
            _ => "invalid WebP data",
        }
        .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_reduce_averages_every_pixel_including_partial_edges() {
        // 5x3 RGB row-major ramp reduced by 2: output 3x2, edge cells of 1 column / 1 row.
        let (w, h) = (5u32, 3u32);
        let src: Vec<u8> = (0..w * h).flat_map(|i| [i as u8 * 10, 100, 200]).collect();
        let mut r = BoxReduce::new(w, h, 2, false);
        for y in 0..h as usize {
            r.add_row(&src[y * 15..(y + 1) * 15], 3, false);
        }
        let out = r.finish().unwrap();
        assert_eq!(out.dimensions(), (3, 2));
        // Top-left box: pixels 0, 1, 5, 6 → red 30.
        assert_eq!(out.get_pixel(0, 0).0, [30, 100, 200]);
        // Right column, top band: pixels 4, 9 → red 65.
        assert_eq!(out.get_pixel(2, 0).0, [65, 100, 200]);
        // Bottom band, right corner: pixel 14 alone.
        assert_eq!(out.get_pixel(2, 1).0, [140, 100, 200]);
    }

    #[test]
    fn box_reduce_reads_sixteen_bit_grey_with_alpha() {
        // Two grey+alpha 16-bit pixels: 0xFFFF and 0x0000, alpha ignored.
        let row = [0xFF, 0xFF, 0x12, 0x34, 0x00, 0x00, 0xAB, 0xCD];
        let mut r = BoxReduce::new(2, 1, 2, true);
        r.add_row(&row, 2, true);
        let out = r.finish().unwrap();
        assert_eq!(out.get_pixel(0, 0).0, [128, 128, 128]);
    }

    /// A photo-like test image: smooth colour gradients, a few hard edges and pixel grain.
    fn photo_like(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            let grain = ((x.wrapping_mul(73_856_093) ^ y.wrapping_mul(19_349_663)) >> 7) % 23;
            let edge = if (x / 97 + y / 61) % 5 == 0 { 60 } else { 0 };
            image::Rgb([
                (x * 180 / w + grain + edge).min(255) as u8,
                (y * 200 / h + grain) as u8,
                (((x + y) * 90 / (w + h)) + 40 + grain + edge / 2).min(255) as u8,
            ])
        })
    }

    fn mean_abs_diff(a: &RgbImage, b: &RgbImage) -> f64 {
        assert_eq!(a.dimensions(), b.dimensions());
        a.as_raw()
            .iter()
            .zip(b.as_raw())
            .map(|(p, q)| (f64::from(*p) - f64::from(*q)).abs())
            .sum::<f64>()
            / a.as_raw().len() as f64
    }

    fn mean(a: &RgbImage) -> f64 {
        a.as_raw().iter().map(|&p| f64::from(p)).sum::<f64>() / a.as_raw().len() as f64
    }

    fn lossy_webp(img: &RgbImage, quality: f32) -> Vec<u8> {
        let (w, h) = img.dimensions();
        let mut out = std::ptr::null_mut();
        // SAFETY: the input is w*h RGB bytes with stride 3w; the output is libwebp's buffer,
        // copied and then freed once.
        unsafe {
            let size =
                libwebp_sys::WebPEncodeRGB(img.as_ptr(), w as i32, h as i32, 3 * w as i32, quality, &mut out);
            assert!(size > 0 && !out.is_null());
            let bytes = std::slice::from_raw_parts(out, size).to_vec();
            libwebp_sys::WebPFree(out.cast());
            bytes
        }
    }

    /// The analysis copies of the fast and the full decode: the same picture, grain aside (mean
    /// difference under 3 levels, mean level within 0.6).
    fn assert_same_picture(name: &str, fast: &crate::Photo, full: &crate::Photo) {
        let diff = mean_abs_diff(&fast.small, &full.small);
        assert!(diff < 3.0, "{name}: mean difference {diff:.2} levels");
        let bias = mean(&fast.small) - mean(&full.small);
        assert!(bias.abs() < 0.6, "{name}: mean level differs by {bias:.2}");
    }

    fn both(bytes: &[u8]) -> (crate::Photo, crate::Photo) {
        use crate::decode::{load_bytes_at, Resolution};
        let fast = load_bytes_at(bytes, "fast", Resolution::AnalysisOnly).unwrap();
        let full = load_bytes_at(bytes, "full", Resolution::Full).unwrap();
        assert!(fast.full.is_none(), "the reduced path was taken");
        assert_eq!((fast.width(), fast.height()), (full.width(), full.height()));
        (fast, full)
    }

    #[test]
    fn lossy_webp_scaled_decode_matches_full_decode() {
        let img = photo_like(1700, 1100);
        let bytes = lossy_webp(&img, 90.0);
        let (fast, full) = both(&bytes);
        assert_eq!(fast.small.dimensions(), full.small.dimensions());
        assert_same_picture("webp", &fast, &full);
    }

    #[test]
    fn damaged_webps_fail_cleanly() {
        let bytes = lossy_webp(&photo_like(1300, 1050), 80.0);
        for cut in [20, 40, 100, bytes.len() / 3, bytes.len() - 10] {
            let r =
                crate::decode::load_bytes_at(&bytes[..cut], "cut", crate::decode::Resolution::AnalysisOnly);
            assert!(r.is_err(), "cut at {cut} decoded");
        }
        for (offset, value) in [(30, 0xFF), (45, 0x00), (200, 0x55), (bytes.len() / 2, 0xAA)] {
            let mut damaged = bytes.clone();
            damaged[offset] ^= value;
            // Either an error or some photo: never a panic.
            let _ = crate::decode::load_bytes_at(&damaged, "d", crate::decode::Resolution::AnalysisOnly);
        }
    }

    fn png_bytes(
        w: u32,
        h: u32,
        colour: png::ColorType,
        depth: png::BitDepth,
        data: &[u8],
        palette: Option<(&[u8], &[u8])>,
    ) -> Vec<u8> {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(colour);
        enc.set_depth(depth);
        if let Some((plte, trns)) = palette {
            enc.set_palette(plte.to_vec());
            enc.set_trns(trns.to_vec());
        }
        enc.write_header().unwrap().write_image_data(data).unwrap();
        out
    }

    #[test]
    fn pngs_of_every_layout_reduced_row_by_row_match_full_decode() {
        use png::{BitDepth::*, ColorType::*};
        let (w, h) = (1500, 1031);
        let img = photo_like(w, h);
        let rgb = img.as_raw().clone();
        let grey: Vec<u8> = rgb.chunks(3).map(|p| p[1]).collect();
        let wide = |v: &[u8]| -> Vec<u8> { v.iter().flat_map(|&b| [b, b ^ 0x5A]).collect() };
        let rgba: Vec<u8> = rgb.chunks(3).flat_map(|p| [p[0], p[1], p[2], p[0] / 2]).collect();
        let grey_alpha: Vec<u8> = grey.iter().flat_map(|&g| [g, 255 - g]).collect();
        // Palette: 16 levels of red, 4 bits per pixel (two pixels a byte).
        let plte: Vec<u8> = (0..16u8).flat_map(|i| [i * 17, 40, 255 - i * 17]).collect();
        let trns = [128u8; 16];
        let line = (w as usize).div_ceil(2);
        let mut indexed = vec![0u8; line * h as usize];
        for (i, p) in rgb.chunks(3).enumerate() {
            let (x, y) = (i % w as usize, i / w as usize);
            indexed[y * line + x / 2] |= (p[0] >> 4) << if x % 2 == 0 { 4 } else { 0 };
        }
        for (name, bytes) in [
            ("rgb8", png_bytes(w, h, Rgb, Eight, &rgb, None)),
            ("rgb16", png_bytes(w, h, Rgb, Sixteen, &wide(&rgb), None)),
            ("grey8", png_bytes(w, h, Grayscale, Eight, &grey, None)),
            ("grey16", png_bytes(w, h, Grayscale, Sixteen, &wide(&grey), None)),
            ("rgba8", png_bytes(w, h, Rgba, Eight, &rgba, None)),
            ("rgba16", png_bytes(w, h, Rgba, Sixteen, &wide(&rgba), None)),
            (
                "grey-alpha8",
                png_bytes(w, h, GrayscaleAlpha, Eight, &grey_alpha, None),
            ),
            (
                "palette4",
                png_bytes(w, h, Indexed, Four, &indexed, Some((&plte, &trns))),
            ),
        ] {
            let (fast, full) = both(&bytes);
            assert_eq!(fast.small.dimensions(), full.small.dimensions(), "{name}");
            // The two area averages cover slightly different footprints (a 2x2 box, then the
            // thumbnail's boxes, against the thumbnail's boxes alone), so pixel grain differs a
            // little; the picture does not, and its mean moves by less than a level (the
            // thumbnail truncates fractional boxes, so one pass of it or two differ by ~0.4).
            assert_same_picture(name, &fast, &full);
        }
    }

    #[test]
    fn damaged_pngs_fail_cleanly() {
        let img = photo_like(1200, 1100);
        let bytes = png_bytes(
            1200,
            1100,
            png::ColorType::Rgb,
            png::BitDepth::Eight,
            img.as_raw(),
            None,
        );
        for cut in [40, 100, bytes.len() / 2, bytes.len() * 9 / 10] {
            let r =
                crate::decode::load_bytes_at(&bytes[..cut], "cut", crate::decode::Resolution::AnalysisOnly);
            assert!(r.is_err(), "cut at {cut} decoded");
        }
        for offset in [50, 90, bytes.len() / 2] {
            let mut damaged = bytes.clone();
            damaged[offset] ^= 0x77;
            let _ = crate::decode::load_bytes_at(&damaged, "d", crate::decode::Resolution::AnalysisOnly);
        }
    }
}
