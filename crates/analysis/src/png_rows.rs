//! A non-interlaced PNG's rows, inflated on one thread and unfiltered on another.
//!
//! The `png` crate inflates and unfilters in turn on one thread; for a 12-megapixel photo
//! (36 MB of rows) inflating is about 60 % of that and unfiltering most of the rest, so
//! overlapping the two shortens the decode of the analysis copy by about 30 % (130 → 91 ms
//! on 2 cores; BENCHMARKS.md, "Decoding large photos"). The `png` crate still reads the chunks, checks
//! them and inflates (its `StreamingDecoder`); only the five row filters are written here,
//! because the crate keeps its unfiltering private.

use crate::decode::PhotoError;
use png::{Decoded, StreamingDecoder, UnfilterRegion};
use std::sync::mpsc;

/// Inflated bytes are handed to the unfiltering thread in pieces of about this size.
const PIECE: usize = 256 * 1024;
/// The inflate buffer drops handed-over bytes once this many have collected (inflate keeps
/// the last 32 KiB it wrote as its look-back window; `UnfilterRegion::available` says where
/// that starts).
const COMPACT_AT: usize = 4 << 20;
/// Room added ahead of the inflated bytes before each step of the decoder.
const GROWTH: usize = 64 * 1024;

/// The raw layout of a PNG's rows: bytes per row (without the filter byte), bytes per pixel
/// (what the filters step by; 1 for bit depths under 8), and how many rows.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Layout {
    pub line: usize,
    pub bpp: usize,
    pub height: u32,
}

/// Calls `row` with every unfiltered row of the non-interlaced PNG `bytes`, top to bottom.
pub(crate) fn for_each_row(
    bytes: &[u8],
    layout: Layout,
    mut row: impl FnMut(&[u8]),
) -> Result<(), PhotoError> {
    let total = (layout.line + 1) * layout.height as usize;
    let (to_unfilter, pieces) = mpsc::sync_channel::<Vec<u8>>(4);
    std::thread::scope(|s| {
        let inflater = s.spawn(move || inflate(bytes, total, to_unfilter));
        let unfiltered = unfilter_rows(pieces, layout, &mut row);
        let inflated = inflater.join().expect("inflate thread");
        // The inflater's error explains a short image better than the row count does.
        inflated?;
        unfiltered
    })
}

/// Inflates the image data and sends it on in pieces, `total` bytes at most. Returns early
/// (without error) when the receiver has gone, which it does only after an error of its own.
fn inflate(bytes: &[u8], total: usize, pieces: mpsc::SyncSender<Vec<u8>>) -> Result<(), PhotoError> {
    let mut decoder = StreamingDecoder::new();
    let mut buffer = Vec::new();
    let mut region = UnfilterRegion::default();
    let (mut input, mut sent, mut handed) = (bytes, 0usize, 0usize);
    let mut idle = 0;
    loop {
        if region.filled + GROWTH > buffer.len() {
            buffer.resize(region.filled + GROWTH, 0);
        }
        let before = (input.len(), region.filled);
        let (consumed, event) = decoder
            .update(input, Some(&mut region.as_buf(&mut buffer)))
            .map_err(crate::reduced::png_error)?;
        input = &input[consumed..];
        let complete = handed + (region.filled - sent) >= total;
        let flushed = matches!(event, Decoded::ImageDataFlushed);
        if region.filled - sent >= PIECE || complete || flushed {
            let end = region.filled.min(sent + (total - handed));
            if pieces.send(buffer[sent..end].to_vec()).is_err() {
                return Ok(());
            }
            handed += end - sent;
            sent = end;
        }
        if complete {
            return Ok(());
        }
        if flushed || input.is_empty() {
            return Err(PhotoError::Corrupt("unexpected end of file".into()));
        }
        // A decoder step that neither reads nor writes twice running is stuck: treat the
        // file as corrupt rather than spin.
        idle = if (input.len(), region.filled) == before {
            idle + 1
        } else {
            0
        };
        if idle > 2 {
            return Err(PhotoError::Corrupt("PNG image data does not progress".into()));
        }
        let discard = region.available.min(sent);
        if discard >= COMPACT_AT {
            buffer.copy_within(discard..region.filled, 0);
            region.available -= discard;
            region.filled -= discard;
            sent -= discard;
        }
    }
}

/// Reassembles rows from the pieces, unfilters each against the row above and passes it on.
fn unfilter_rows(
    pieces: mpsc::Receiver<Vec<u8>>,
    layout: Layout,
    row: &mut impl FnMut(&[u8]),
) -> Result<(), PhotoError> {
    let stride = layout.line + 1;
    let (mut prev, mut cur) = (vec![0u8; stride], vec![0u8; stride]);
    let (mut fill, mut rows) = (0, 0u32);
    for piece in pieces {
        let mut rest = piece.as_slice();
        while !rest.is_empty() {
            let n = (stride - fill).min(rest.len());
            cur[fill..fill + n].copy_from_slice(&rest[..n]);
            fill += n;
            rest = &rest[n..];
            if fill == stride {
                unfilter(cur[0], layout.bpp, &prev[1..], &mut cur[1..])?;
                row(&cur[1..]);
                std::mem::swap(&mut prev, &mut cur);
                fill = 0;
                rows += 1;
            }
        }
    }
    if rows < layout.height {
        return Err(PhotoError::Corrupt("unexpected end of file".into()));
    }
    Ok(())
}

/// Undoes PNG filter `kind` on the row `cur` given the unfiltered row above, `prev`.
fn unfilter(kind: u8, bpp: usize, prev: &[u8], cur: &mut [u8]) -> Result<(), PhotoError> {
    match kind {
        0 => {}
        2 => cur
            .iter_mut()
            .zip(prev)
            .for_each(|(c, &p)| *c = c.wrapping_add(p)),
        1 | 3 | 4 => match bpp {
            1 => by_pixel::<1>(kind, prev, cur),
            2 => by_pixel::<2>(kind, prev, cur),
            3 => by_pixel::<3>(kind, prev, cur),
            4 => by_pixel::<4>(kind, prev, cur),
            6 => by_pixel::<6>(kind, prev, cur),
            8 => by_pixel::<8>(kind, prev, cur),
            _ => return Err(PhotoError::Corrupt(format!("unsupported PNG pixel size {bpp}"))),
        },
        _ => return Err(PhotoError::Corrupt(format!("invalid PNG row filter {kind}"))),
    }
    Ok(())
}

/// Sub (1), Average (3) and Paeth (4) refer to the pixel to the left, so they go a pixel
/// (`B` independent bytes) at a time; one loop per filter keeps the inner loop branch-free.
fn by_pixel<const B: usize>(kind: u8, prev: &[u8], cur: &mut [u8]) {
    let pixels = cur.chunks_exact_mut(B).zip(prev.chunks_exact(B));
    let (mut left, mut up_left) = ([0u8; B], [0u8; B]);
    match kind {
        1 => pixels.for_each(|(px, _)| {
            for k in 0..B {
                px[k] = px[k].wrapping_add(left[k]);
                left[k] = px[k];
            }
        }),
        3 => pixels.for_each(|(px, above)| {
            for k in 0..B {
                px[k] = px[k].wrapping_add(((u16::from(left[k]) + u16::from(above[k])) / 2) as u8);
                left[k] = px[k];
            }
        }),
        _ => pixels.for_each(|(px, above)| {
            for k in 0..B {
                px[k] = px[k].wrapping_add(paeth(left[k], above[k], up_left[k]));
                left[k] = px[k];
                up_left[k] = above[k];
            }
        }),
    }
}

/// The Paeth predictor (whichever of left `a`, above `b` and upper-left `c` is nearest to
/// a + b − c, ties in that order), in stb_image's branch-free form.
fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let threshold = i16::from(c) * 3 - (i16::from(a) + i16::from(b));
    let (lo, hi) = (a.min(b), a.max(b));
    let t0 = if i16::from(hi) <= threshold { lo } else { c };
    if threshold <= i16::from(lo) {
        hi
    } else {
        t0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A photo-like 8- or 16-bit image of `channels` samples per pixel, PNG-encoded with
    /// `filter` in IDAT chunks of at most `chunk` bytes.
    fn encode(
        w: u32,
        h: u32,
        colour: png::ColorType,
        depth: png::BitDepth,
        filter: png::Filter,
        chunk: usize,
    ) -> (Vec<u8>, Vec<u8>) {
        let channels = colour.samples();
        let bytes_per_sample = if depth == png::BitDepth::Sixteen { 2 } else { 1 };
        let mut raw = Vec::new();
        for y in 0..h {
            for x in 0..w {
                for c in 0..channels {
                    for b in 0..bytes_per_sample {
                        let v = (x * 3 + y * 5 + c as u32 * 40 + b as u32 * 7) as f32;
                        let grain = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) >> 27;
                        raw.push(((v * 0.7).sin() * 60.0 + 128.0) as u8 ^ grain as u8);
                    }
                }
            }
        }
        let mut out = Vec::new();
        {
            let mut e = png::Encoder::new(&mut out, w, h);
            e.set_color(colour);
            e.set_depth(depth);
            e.set_filter(filter);
            let mut writer = e.write_header().unwrap();
            let mut stream = writer.stream_writer_with_size(chunk).unwrap();
            std::io::Write::write_all(&mut stream, &raw).unwrap();
            stream.finish().unwrap();
        }
        (out, raw)
    }

    fn rows_of(bytes: &[u8], line: usize, bpp: usize, height: u32) -> Result<Vec<u8>, PhotoError> {
        let mut all = Vec::new();
        for_each_row(bytes, Layout { line, bpp, height }, |r| all.extend_from_slice(r))?;
        Ok(all)
    }

    #[test]
    fn every_filter_colour_type_and_depth_unfilters_to_the_encoded_pixels() {
        use png::{BitDepth::*, ColorType::*, Filter};
        let filters = [
            Filter::NoFilter,
            Filter::Sub,
            Filter::Up,
            Filter::Avg,
            Filter::Paeth,
            Filter::Adaptive,
        ];
        for (colour, depth) in [
            (Rgb, Eight),
            (Rgba, Eight),
            (Grayscale, Eight),
            (GrayscaleAlpha, Eight),
            (Rgb, Sixteen),
            (Rgba, Sixteen),
            (GrayscaleAlpha, Sixteen),
        ] {
            for filter in filters {
                let (w, h) = (97, 61);
                let (png, raw) = encode(w, h, colour, depth, filter, 1000);
                let bpp = colour.samples() * if depth == Sixteen { 2 } else { 1 };
                let got = rows_of(&png, w as usize * bpp, bpp, h).unwrap();
                assert!(got == raw, "{colour:?} {depth:?} {filter:?}");
            }
        }
    }

    #[test]
    fn paeth_matches_its_definition_on_every_input() {
        let reference = |a: u8, b: u8, c: u8| {
            let p = i16::from(a) + i16::from(b) - i16::from(c);
            let (pa, pb, pc) = (
                (p - i16::from(a)).abs(),
                (p - i16::from(b)).abs(),
                (p - i16::from(c)).abs(),
            );
            if pa <= pb && pa <= pc {
                a
            } else if pb <= pc {
                b
            } else {
                c
            }
        };
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                for c in (0..=255u8).step_by(3) {
                    assert_eq!(paeth(a, b, c), reference(a, b, c), "{a} {b} {c}");
                }
            }
        }
    }

    #[test]
    fn a_large_image_crosses_many_pieces_and_compactions() {
        let (w, h) = (2000, 1000); // 6 MB of rows: many pieces, at least one compaction
        let (png, raw) = encode(
            w,
            h,
            png::ColorType::Rgb,
            png::BitDepth::Eight,
            png::Filter::Adaptive,
            1 << 16,
        );
        assert_eq!(rows_of(&png, w as usize * 3, 3, h).unwrap(), raw);
    }

    #[test]
    fn truncated_or_corrupt_data_is_an_error_not_a_panic() {
        let (w, h) = (300, 200);
        let (png, _) = encode(
            w,
            h,
            png::ColorType::Rgb,
            png::BitDepth::Eight,
            png::Filter::Paeth,
            4096,
        );
        // (Cut inside the pixel data: once every row is in, a missing checksum or IEND is no loss,
        // as with png's own reader.)
        for cut in [png.len() / 2, png.len() * 3 / 4, 60] {
            assert!(
                rows_of(&png[..cut], w as usize * 3, 3, h).is_err(),
                "cut at {cut}"
            );
        }
        // A row filter byte that is not 0–4.
        let mut bad = vec![7u8];
        bad.extend(vec![0u8; 3 * 4]);
        let mut wrapped = Vec::new();
        {
            let mut e = png::Encoder::new(&mut wrapped, 4, 1);
            e.set_color(png::ColorType::Rgb);
            let mut writer = e.write_header().unwrap();
            writer
                .write_chunk(png::chunk::IDAT, &miniz_like_zlib(&bad))
                .unwrap();
        }
        let err = rows_of(&wrapped, 12, 3, 1).unwrap_err();
        assert!(err.to_string().contains("filter"), "{err}");
    }

    /// Stored (uncompressed) zlib: enough to put chosen bytes into an IDAT chunk.
    fn miniz_like_zlib(data: &[u8]) -> Vec<u8> {
        let mut z = vec![0x78, 0x01, 1];
        z.extend((data.len() as u16).to_le_bytes());
        z.extend((!(data.len() as u16)).to_le_bytes());
        z.extend(data);
        let (mut a, mut b) = (1u32, 0u32);
        for &d in data {
            a = (a + u32::from(d)) % 65521;
            b = (b + a) % 65521;
        }
        z.extend(((b << 16) | a).to_be_bytes());
        z
    }
}
