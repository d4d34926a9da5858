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
    #[error("image is {width}x{height} pixels, over the limit of {MAX_PIXELS} pixels / {MAX_DIMENSION} per side")]
    TooManyPixels { width: u32, height: u32 },
    #[error("corrupt or truncated image: {0}")]
    Corrupt(String),
    #[error("image has no pixels")]
    NoPixels,
}

/// A decoded photo, upright, as 8-bit RGB at full resolution, plus the area-averaged copy
/// the analysis reads.
#[derive(Clone)]
pub struct Photo {
    /// A short name (the file stem) used for default output names.
    pub name: String,
    pub full: RgbImage,
    pub small: RgbImage,
}

impl Photo {
    pub fn width(&self) -> u32 {
        self.full.width()
    }
    pub fn height(&self) -> u32 {
        self.full.height()
    }
    /// Builds a photo from pixels already in memory (tests, generated images).
    pub fn from_rgb(name: impl Into<String>, full: RgbImage) -> Result<Photo, PhotoError> {
        if full.width() == 0 || full.height() == 0 {
            return Err(PhotoError::NoPixels);
        }
        let small = downscale(&full);
        Ok(Photo {
            name: name.into(),
            full,
            small,
        })
    }
}

/// Reads and decodes a photo file.
pub fn load_path(path: &Path) -> Result<Photo, PhotoError> {
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
    load_bytes(&bytes, &name)
}

/// Decodes a photo held in memory.
pub fn load_bytes(bytes: &[u8], name: &str) -> Result<Photo, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(PhotoError::TooLarge(bytes.len() as u64));
    }
    let image = decode_oriented(bytes)?;
    Photo::from_rgb(name, image.into_rgb8())
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

fn decode_oriented(bytes: &[u8]) -> Result<DynamicImage, PhotoError> {
    // Check the header's claimed size before any pixel memory is touched.
    let (width, height) = reader(bytes, false)?.into_dimensions().map_err(classify)?;
    if width == 0 || height == 0 {
        return Err(PhotoError::NoPixels);
    }
    if width > MAX_DIMENSION
        || height > MAX_DIMENSION
        || u64::from(width) * u64::from(height) > MAX_PIXELS
    {
        return Err(PhotoError::TooManyPixels { width, height });
    }
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

fn first_line(s: &str) -> String {
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
