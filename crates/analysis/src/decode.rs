//! Decoding photos safely: size limits against decompression bombs, EXIF orientation,
//! and every pixel layout the `image` crate knows (grey, 16-bit, alpha, CMYK JPEG) folded
//! into 8-bit RGB.

use image::{DynamicImage, ImageDecoder, ImageReader, Limits, RgbImage};
use std::io::Cursor;
use std::path::Path;

/// Largest file we read into memory.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
/// Largest width or height we accept.
pub const MAX_DIMENSION: u32 = 30_000;
/// Largest pixel count we accept (a 12 MP phone photo is far below this).
pub const MAX_PIXELS: u64 = 80_000_000;
/// Longest side of the copy the analysis runs on. Every source pixel still contributes:
/// the copy is an area average, not a subsample.
pub const ANALYSIS_MAX_SIDE: u32 = 512;

/// Why a photo could not be used. `Display` is one readable line.
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    #[error("no such file")]
    NotFound,
    #[error("is a directory, not an image file")]
    IsDirectory,
    #[error("cannot read: {0}")]
    Io(String),
    #[error("file is empty")]
    Empty,
    #[error("file is {0} bytes, more than the {MAX_FILE_BYTES}-byte limit")]
    TooLarge(u64),
    #[error("not an image in a supported format (PNG, JPEG, GIF, BMP, TIFF, WebP)")]
    UnknownFormat,
    #[error(
        "image is {width}x{height} pixels, over the limit of {MAX_PIXELS} pixels / {MAX_DIMENSION} per side"
    )]
    TooManyPixels { width: u32, height: u32 },
    #[error("corrupt or truncated image: {0}")]
    Corrupt(String),
    #[error("image has no pixels")]
    NoPixels,
}

/// How much of a photo to decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// Every pixel at full resolution (needed by the classic style and overlays).
    Full,
    /// Only the area-averaged analysis copy. Large JPEGs are then decoded at 1/2–1/8 scale in
    /// the DCT domain (each output pixel is the mean of a block: every pixel still counts),
    /// which is several times faster than a full decode plus a downscale; large PNGs are
    /// box-averaged row by row as they are inflated and WebPs are decoded by libwebp straight
    /// to the analysis size (`reduced.rs`), so no full-size buffer is built.
    AnalysisOnly,
}

/// A decoded photo, upright, as 8-bit RGB, plus the area-averaged copy the analysis reads.
#[derive(Clone)]
pub struct Photo {
    /// A short name (the file stem) used for default output names.
    pub name: String,
    /// Full-resolution pixels; `None` when loaded with [`Resolution::AnalysisOnly`].
    pub full: Option<RgbImage>,
    pub small: RgbImage,
    width: u32,
    height: u32,
}

impl Photo {
    /// Width of the upright photo at full resolution.
    pub fn width(&self) -> u32 {
        self.width
    }
    pub fn height(&self) -> u32 {
        self.height
    }
    /// Full-resolution pixels if decoded, else the analysis copy.
    pub fn best_pixels(&self) -> &RgbImage {
        self.full.as_ref().unwrap_or(&self.small)
    }
    /// Builds a photo from pixels already in memory (tests, generated images).
    pub fn from_rgb(name: impl Into<String>, full: RgbImage) -> Result<Photo, PhotoError> {
        if full.width() == 0 || full.height() == 0 {
            return Err(PhotoError::NoPixels);
        }
        let small = downscale(&full);
        Ok(Photo {
            name: name.into(),
            width: full.width(),
            height: full.height(),
            full: Some(full),
            small,
        })
    }
}

/// Reads and decodes a photo file at full resolution.
pub fn load_path(path: &Path) -> Result<Photo, PhotoError> {
    load_path_at(path, Resolution::Full)
}

/// Reads and decodes a photo file at the given resolution.
pub fn load_path_at(path: &Path, resolution: Resolution) -> Result<Photo, PhotoError> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => PhotoError::NotFound,
        _ => PhotoError::Io(e.to_string()),
    })?;
    if meta.is_dir() {
        return Err(PhotoError::IsDirectory);
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(PhotoError::TooLarge(meta.len()));
    }
    let bytes = std::fs::read(path).map_err(|e| PhotoError::Io(e.to_string()))?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "photo".into());
    load_bytes_at(&bytes, &name, resolution)
}

/// Decodes a photo held in memory at full resolution.
pub fn load_bytes(bytes: &[u8], name: &str) -> Result<Photo, PhotoError> {
    load_bytes_at(bytes, name, Resolution::Full)
}

/// Decodes a photo held in memory at the given resolution.
pub fn load_bytes_at(bytes: &[u8], name: &str, resolution: Resolution) -> Result<Photo, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(PhotoError::TooLarge(bytes.len() as u64));
    }
    let (width, height) = checked_dimensions(bytes)?;
    let is_jpeg = image::guess_format(bytes).ok() == Some(image::ImageFormat::Jpeg);
    if is_jpeg && !jpeg_has_end(bytes) {
        // JPEG decoders pad a cut-off scan with grey and carry on; a user's half-downloaded
        // photo should be reported, not turned into music.
        return Err(PhotoError::Corrupt(
            "JPEG is truncated (no end-of-image marker after its image data)".into(),
        ));
    }
    // (Only for JPEGs: other formats' bytes can hold what looks like a frame header.)
    if is_jpeg && jpeg_data_too_short(bytes) {
        // Decoders fill missing blocks with grey, slowly (zune-jpeg: an error per MCU): an
        // 800-byte file declaring 80 megapixels took seconds. Found by fuzzing (fuzz/).
        return Err(PhotoError::Corrupt(format!(
            "JPEG holds too little image data for {width}x{height} pixels"
        )));
    }
    if resolution == Resolution::AnalysisOnly && width.max(height) >= 2 * ANALYSIS_MAX_SIDE {
        if let Some((small, swapped)) = decode_jpeg_scaled(bytes)? {
            let (width, height) = if swapped { (height, width) } else { (width, height) };
            return Ok(Photo {
                name: name.into(),
                full: None,
                small: downscale(&small),
                width,
                height,
            });
        }
    }
    if resolution == Resolution::AnalysisOnly && width.max(height) >= 2 * ANALYSIS_MAX_SIDE {
        let reduced = match image::guess_format(bytes).ok() {
            Some(image::ImageFormat::Png) => crate::reduced::png(bytes)?,
            #[cfg(not(target_arch = "wasm32"))]
            Some(image::ImageFormat::WebP) => crate::reduced::webp(bytes)?,
            _ => None,
        };
        if let Some((small, orientation)) = reduced {
            use image::metadata::Orientation::*;
            let swapped = matches!(orientation, Rotate90 | Rotate270 | Rotate90FlipH | Rotate270FlipH);
            let (width, height) = if swapped { (height, width) } else { (width, height) };
            let mut upright = DynamicImage::ImageRgb8(small);
            upright.apply_orientation(orientation);
            return Ok(Photo {
                name: name.into(),
                full: None,
                small: downscale(&upright.into_rgb8()),
                width,
                height,
            });
        }
    }
    let image = decode_oriented(bytes)?;
    Photo::from_rgb(name, image.into_rgb8())
}

/// A JPEG decoded in the DCT domain at the smallest scale that is still at least
/// [`ANALYSIS_MAX_SIDE`] on its long side, upright. `None` for non-JPEGs and for JPEGs whose
/// pixel layout the fast path does not handle (CMYK): those take the full decode. The flag
/// says whether the EXIF orientation swapped width and height.
fn decode_jpeg_scaled(bytes: &[u8]) -> Result<Option<(RgbImage, bool)>, PhotoError> {
    if image::guess_format(bytes).ok() != Some(image::ImageFormat::Jpeg) {
        return Ok(None);
    }
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder
        .read_info()
        .map_err(|e| PhotoError::Corrupt(first_line(&e.to_string())))?;
    let info = decoder
        .info()
        .ok_or_else(|| PhotoError::Corrupt("no JPEG header".into()))?;
    if !matches!(
        info.pixel_format,
        jpeg_decoder::PixelFormat::RGB24 | jpeg_decoder::PixelFormat::L8
    ) {
        return Ok(None);
    }
    let (w, h) = (info.width, info.height);
    let long = w.max(h) as u32;
    // Accept a copy down to 3/4 of the usual analysis size rather than decode twice as much.
    let factor = [8u32, 4, 2]
        .into_iter()
        .find(|f| long / f >= ANALYSIS_MAX_SIDE * 3 / 4)
        .unwrap_or(1);
    let progressive = info.coding_process == jpeg_decoder::CodingProcess::DctProgressive;
    let dc_only = if factor == 8 && progressive {
        crate::jpeg_dc::decode_dc(bytes).map_err(PhotoError::Corrupt)?
    } else {
        None
    };
    let rgb = match dc_only {
        Some(rgb) => rgb,
        None => scaled_decode(&mut decoder, info, factor)?,
    };
    // Orientation from the EXIF block, read by the `image` crate's decoder without decoding pixels.
    let orientation = image::codecs::jpeg::JpegDecoder::new(Cursor::new(bytes))
        .and_then(|mut d| d.orientation())
        .map_err(classify)?;
    use image::metadata::Orientation::*;
    let swapped = matches!(orientation, Rotate90 | Rotate270 | Rotate90FlipH | Rotate270FlipH);
    let mut upright = DynamicImage::ImageRgb8(rgb);
    upright.apply_orientation(orientation);
    Ok(Some((upright.into_rgb8(), swapped)))
}

/// jpeg-decoder's IDCT-scaled decode at 1/`factor`.
fn scaled_decode(
    decoder: &mut jpeg_decoder::Decoder<Cursor<&[u8]>>,
    info: jpeg_decoder::ImageInfo,
    factor: u32,
) -> Result<RgbImage, PhotoError> {
    let (w, h) = (info.width as u32, info.height as u32);
    let (sw, sh) = decoder
        .scale(w.div_ceil(factor) as u16, h.div_ceil(factor) as u16)
        .map_err(|e| PhotoError::Corrupt(first_line(&e.to_string())))?;
    let pixels = decoder
        .decode()
        .map_err(|e| PhotoError::Corrupt(first_line(&e.to_string())))?;
    let (sw, sh) = (sw as u32, sh as u32);
    match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 => {
            let gray = image::GrayImage::from_raw(sw, sh, pixels)
                .ok_or_else(|| PhotoError::Corrupt("short pixel data".into()))?;
            Ok(DynamicImage::ImageLuma8(gray).into_rgb8())
        }
        _ => RgbImage::from_raw(sw, sh, pixels).ok_or_else(|| PhotoError::Corrupt("short pixel data".into())),
    }
}

fn reader(bytes: &[u8], limited: bool) -> Result<ImageReader<Cursor<&[u8]>>, PhotoError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| PhotoError::Io(e.to_string()))?;
    if reader.format().is_none() {
        return Err(PhotoError::UnknownFormat);
    }
    if !limited {
        return Ok(reader);
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(1 << 30);
    reader.limits(limits);
    Ok(reader)
}

/// The header's claimed size, checked against the limits before any pixel memory is touched.
fn checked_dimensions(bytes: &[u8]) -> Result<(u32, u32), PhotoError> {
    let (width, height) = reader(bytes, false)?.into_dimensions().map_err(classify)?;
    if width == 0 || height == 0 {
        return Err(PhotoError::NoPixels);
    }
    if width > MAX_DIMENSION || height > MAX_DIMENSION || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(PhotoError::TooManyPixels { width, height });
    }
    Ok((width, height))
}

fn decode_oriented(bytes: &[u8]) -> Result<DynamicImage, PhotoError> {
    let mut decoder = reader(bytes, true)?.into_decoder().map_err(classify)?;
    let orientation = decoder.orientation().map_err(classify)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(classify)?;
    image.apply_orientation(orientation);
    Ok(image)
}

fn classify(e: image::ImageError) -> PhotoError {
    use image::error::{ImageError, LimitErrorKind};
    match e {
        ImageError::Unsupported(_) => PhotoError::UnknownFormat,
        ImageError::Limits(l) => match l.kind() {
            LimitErrorKind::DimensionError => PhotoError::Corrupt(format!("dimensions over the limit ({l})")),
            _ => PhotoError::Corrupt(format!("exceeds memory limits ({l})")),
        },
        ImageError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            PhotoError::Corrupt("unexpected end of file".into())
        }
        other => PhotoError::Corrupt(first_line(&other.to_string())),
    }
}

/// Whether an end-of-image marker follows the last start-of-scan marker. Inside scan data a
/// 0xFF byte is always stuffed (0xFF00) or a restart marker, so 0xFFD9 there is the real end.
fn jpeg_has_end(bytes: &[u8]) -> bool {
    let last_sos = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]);
    match last_sos {
        Some(i) => bytes[i..].windows(2).any(|w| w == [0xFF, 0xD9]),
        None => false,
    }
}

/// Whether a JPEG's data after its first scan header is shorter than one bit per 8×8 block,
/// the least any scan can code a block in (its DC difference's Huffman code).
fn jpeg_data_too_short(bytes: &[u8]) -> bool {
    let (mut at, mut blocks) = (2, None);
    while let Some(&marker) = bytes.get(at + 1) {
        if bytes[at] != 0xFF || marker == 0xFF {
            at += 1; // not on a marker (a segment's length was wrong): resync as decoders do
            continue;
        }
        let Some(len) = bytes
            .get(at + 2..at + 4)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
        else {
            return false;
        };
        match marker {
            0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                blocks = bytes.get(at + 4..at + 2 + len).and_then(frame_blocks);
            }
            0xDA => {
                let data = bytes.len().saturating_sub(at + 2 + len) as u64;
                return blocks.is_some_and(|b| data * 8 < b);
            }
            _ => {}
        }
        at += 2 + len;
    }
    false
}

/// The number of 8×8 blocks a frame header (after its length) declares over its components.
fn frame_blocks(sof: &[u8]) -> Option<u64> {
    let height = u64::from(u16::from_be_bytes([*sof.get(1)?, *sof.get(2)?]));
    let width = u64::from(u16::from_be_bytes([*sof.get(3)?, *sof.get(4)?]));
    let components = sof.get(6..6 + 3 * usize::from(*sof.get(5)?))?;
    let sampling: Vec<(u64, u64)> = components
        .chunks_exact(3)
        .map(|c| (u64::from(c[1] >> 4).max(1), u64::from(c[1] & 15).max(1)))
        .collect();
    let (h_max, v_max) = sampling
        .iter()
        .fold((1, 1), |(h, v), &(ch, cv)| (h.max(ch), v.max(cv)));
    let blocks = |size: u64, factor: u64, max: u64| (size * factor).div_ceil(max).div_ceil(8);
    Some(
        sampling
            .iter()
            .map(|&(h, v)| blocks(width, h, h_max) * blocks(height, v, v_max))
            .sum(),
    )
}

pub(crate) fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").to_string()
}

/// Area-averaged copy with the longest side at most [`ANALYSIS_MAX_SIDE`].
pub fn downscale(full: &RgbImage) -> RgbImage {
    let (w, h) = full.dimensions();
    let longest = w.max(h);
    if longest <= ANALYSIS_MAX_SIDE {
        return full.clone();
    }
    let scale = ANALYSIS_MAX_SIDE as f64 / longest as f64;
    let nw = ((w as f64 * scale).round() as u32).max(1);
    let nh = ((h as f64 * scale).round() as u32).max(1);
    // `thumbnail` averages every source pixel into its target pixel (box filter).
    image::imageops::thumbnail(full, nw, nh)
}
