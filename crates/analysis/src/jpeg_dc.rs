//! A progressive JPEG at 1/8 scale from its DC coefficients alone.
//!
//! The DC coefficient of an 8×8 block is the block's mean, so the DC values of every block are
//! the photo area-averaged to 1/8 of its size — all the analysis needs from a large photo. A
//! progressive JPEG sends them in their own first scans (plus one-bit refinement scans), and
//! the AC scans that follow hold most of the file. Decoding only the DC scans makes a
//! 12-megapixel progressive photo ready in a few milliseconds instead of the 140–180 ms a
//! complete decode takes (jpeg-decoder decodes every coefficient even when asked for 1/8
//! scale; zune-jpeg has no scaled output). No crate decodes DC scans alone, hence this file.
//!
//! Handles 8-bit Huffman progressive JPEGs (SOF2) with one (grey) or three (YCbCr)
//! components, any sampling factors, restart intervals and successive approximation of the
//! DC. Anything else returns `Ok(None)` and takes the general decoder.

use image::RgbImage;

/// Why the DC scans could not be read (the caller reports it as a corrupt image).
pub type Error = String;

struct Component {
    id: u8,
    h: usize,
    v: usize,
    quant: usize,
    /// Blocks across and down in this component's plane (padded to whole MCUs).
    blocks_w: usize,
    blocks_h: usize,
    dc: Vec<i32>,
}

#[derive(Clone, Default)]
struct Huffman {
    /// (code length, code) → value, as canonical codes: for each length, the first code and
    /// the index of its first value.
    first_code: [i32; 17],
    first_index: [i32; 17],
    counts: [u8; 17],
    values: Vec<u8>,
}

impl Huffman {
    fn new(counts: &[u8], values: &[u8]) -> Huffman {
        let mut h = Huffman {
            values: values.to_vec(),
            ..Huffman::default()
        };
        let (mut code, mut index) = (0i32, 0i32);
        for len in 1..=16 {
            h.counts[len] = counts[len - 1];
            h.first_code[len] = code;
            h.first_index[len] = index;
            code = (code + counts[len - 1] as i32) << 1;
            index += counts[len - 1] as i32;
        }
        h
    }

    fn decode(&self, bits: &mut Bits) -> Result<u8, Error> {
        let mut code = 0i32;
        for len in 1..=16 {
            code = (code << 1) | bits.bit()? as i32;
            let offset = code - self.first_code[len];
            if offset >= 0 && offset < self.counts[len] as i32 {
                return self
                    .values
                    .get((self.first_index[len] + offset) as usize)
                    .copied()
                    .ok_or_else(|| "bad Huffman table".to_string());
            }
        }
        Err("bad Huffman code in a DC scan".into())
    }
}

/// Entropy-coded bits of one scan (0xFF00 stuffing removed; markers end the data).
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    acc: u32,
    count: u32,
}

impl<'a> Bits<'a> {
    fn bit(&mut self) -> Result<u32, Error> {
        if self.count == 0 {
            let byte = match self.data.get(self.pos) {
                Some(0xFF) if self.data.get(self.pos + 1) == Some(&0) => {
                    self.pos += 2;
                    0xFF
                }
                // A marker (or the end): the scan's data ran out early; JPEG pads with ones.
                Some(0xFF) | None => 0xFF,
                Some(&b) => {
                    self.pos += 1;
                    b
                }
            };
            self.acc = byte as u32;
            self.count = 8;
        }
        self.count -= 1;
        Ok((self.acc >> self.count) & 1)
    }

    fn bits(&mut self, n: u8) -> Result<i32, Error> {
        let mut v = 0i32;
        for _ in 0..n {
            v = (v << 1) | self.bit()? as i32;
        }
        Ok(v)
    }

    /// At a restart marker: drop the partial byte and step over the marker.
    fn restart(&mut self) {
        self.count = 0;
        while self.pos + 1 < self.data.len() {
            if self.data[self.pos] == 0xFF && (0xD0..=0xD7).contains(&self.data[self.pos + 1]) {
                self.pos += 2;
                return;
            }
            self.pos += 1;
        }
    }
}

/// JPEG's magnitude coding: `n` bits that stand for a signed value.
fn extend(v: i32, n: u8) -> i32 {
    if n == 0 {
        0
    } else if v < 1 << (n - 1) {
        v - (1 << n) + 1
    } else {
        v
    }
}

fn u16_at(b: &[u8], i: usize) -> Result<usize, Error> {
    match b.get(i..i + 2) {
        Some(s) => Ok(((s[0] as usize) << 8) | s[1] as usize),
        None => Err("truncated JPEG header".into()),
    }
}

/// The photo at 1/8 scale (each pixel one 8×8 block's mean), not yet EXIF-oriented, or `None`
/// when this is not a progressive JPEG of a layout handled here.
pub fn decode_dc(jpeg: &[u8]) -> Result<Option<RgbImage>, Error> {
    if jpeg.get(..2) != Some(&[0xFF, 0xD8]) {
        return Ok(None);
    }
    let mut quant = [[0u16; 64]; 4];
    let mut dc_tables: [Option<Huffman>; 4] = Default::default();
    let mut components: Vec<Component> = Vec::new();
    let (mut width, mut height, mut hmax, mut vmax) = (0usize, 0usize, 1usize, 1usize);
    let mut restart_interval = 0usize;
    let mut pos = 2;
    loop {
        // Next marker (skipping fill bytes and, between scans, entropy-coded data).
        while pos < jpeg.len() && jpeg[pos] != 0xFF {
            pos += 1;
        }
        while pos < jpeg.len() && jpeg[pos] == 0xFF {
            pos += 1;
        }
        let Some(&marker) = jpeg.get(pos) else {
            break;
        };
        pos += 1;
        match marker {
            0x00 | 0xD0..=0xD7 => continue, // stuffing or restart inside skipped scan data
            0xD9 => break,
            0xC0 | 0xC1 | 0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return Ok(None), // not Huffman progressive
            _ => {}
        }
        let len = u16_at(jpeg, pos)?;
        let seg = jpeg
            .get(pos + 2..pos + len)
            .ok_or_else(|| "truncated JPEG segment".to_string())?;
        match marker {
            0xDB => {
                let mut i = 0;
                while i < seg.len() {
                    let (precision, id) = (seg[i] >> 4, (seg[i] & 3) as usize);
                    let size = if precision == 0 { 64 } else { 128 };
                    let table = seg
                        .get(i + 1..i + 1 + size)
                        .ok_or("truncated quantisation table")?;
                    // Only the first value (the DC step) is used; it comes first in zig-zag order.
                    quant[id][0] = if precision == 0 {
                        table[0] as u16
                    } else {
                        (table[0] as u16) << 8 | table[1] as u16
                    };
                    i += 1 + size;
                }
            }
            0xC4 => {
                let mut i = 0;
                while i < seg.len() {
                    let (class, id) = (seg[i] >> 4, (seg[i] & 3) as usize);
                    let counts = seg.get(i + 1..i + 17).ok_or("truncated Huffman table")?;
                    let n: usize = counts.iter().map(|&c| c as usize).sum();
                    let values = seg.get(i + 17..i + 17 + n).ok_or("truncated Huffman table")?;
                    if class == 0 {
                        dc_tables[id] = Some(Huffman::new(counts, values));
                    }
                    i += 17 + n;
                }
            }
            0xDD => restart_interval = u16_at(seg, 0)?,
            0xC2 => {
                if seg.first() != Some(&8) {
                    return Ok(None);
                }
                height = u16_at(seg, 1)?;
                width = u16_at(seg, 3)?;
                let n = *seg.get(5).ok_or("truncated frame header")? as usize;
                if !(n == 1 || n == 3) || width == 0 || height == 0 {
                    return Ok(None);
                }
                for c in 0..n {
                    let b = seg.get(6 + 3 * c..9 + 3 * c).ok_or("truncated frame header")?;
                    let (h, v) = ((b[1] >> 4) as usize, (b[1] & 15) as usize);
                    if !(1..=4).contains(&h) || !(1..=4).contains(&v) {
                        return Err("bad sampling factors".into());
                    }
                    components.push(Component {
                        id: b[0],
                        h,
                        v,
                        quant: (b[2] & 3) as usize,
                        blocks_w: 0,
                        blocks_h: 0,
                        dc: Vec::new(),
                    });
                }
                hmax = components.iter().map(|c| c.h).max().unwrap_or(1);
                vmax = components.iter().map(|c| c.v).max().unwrap_or(1);
                let (mcus_x, mcus_y) = (width.div_ceil(8 * hmax), height.div_ceil(8 * vmax));
                for c in &mut components {
                    c.blocks_w = mcus_x * c.h;
                    c.blocks_h = mcus_y * c.v;
                    c.dc = vec![0; c.blocks_w * c.blocks_h];
                }
            }
            0xDA => {
                if components.is_empty() {
                    return Err("scan before the frame header".into());
                }
                let ns = *seg.first().ok_or("truncated scan header")? as usize;
                let mut in_scan = Vec::with_capacity(ns);
                for k in 0..ns {
                    let b = seg.get(1 + 2 * k..3 + 2 * k).ok_or("truncated scan header")?;
                    let c = components
                        .iter()
                        .position(|c| c.id == b[0])
                        .ok_or("scan names an unknown component")?;
                    in_scan.push((c, (b[1] >> 4) as usize));
                }
                let tail = seg.get(1 + 2 * ns..4 + 2 * ns).ok_or("truncated scan header")?;
                let (ss, ah, al) = (tail[0], tail[2] >> 4, tail[2] & 15);
                pos += len;
                if ss == 0 {
                    let tables: Vec<Option<&Huffman>> =
                        in_scan.iter().map(|&(_, t)| dc_tables[t & 3].as_ref()).collect();
                    let mut bits = Bits {
                        data: jpeg.get(pos..).unwrap_or(&[]),
                        pos: 0,
                        acc: 0,
                        count: 0,
                    };
                    let scan = Scan {
                        members: in_scan.iter().map(|&(c, _)| c).collect(),
                        tables,
                        refine: ah > 0,
                        shift: al,
                        restart_interval,
                        mcus: (width.div_ceil(8 * hmax), height.div_ceil(8 * vmax)),
                        size: (width, height, hmax, vmax),
                    };
                    decode_dc_scan(&scan, &mut components, &mut bits)?;
                    pos += bits.pos;
                }
                continue; // AC scans are skipped by the marker search
            }
            _ => {}
        }
        pos += len;
    }
    if components.is_empty() {
        return Err("no frame header".into());
    }
    Ok(Some(to_rgb(&components, &quant, width, height, hmax, vmax)))
}

struct Scan<'t> {
    members: Vec<usize>,
    tables: Vec<Option<&'t Huffman>>,
    refine: bool,
    shift: u8,
    restart_interval: usize,
    mcus: (usize, usize),
    /// Image width, height and the largest sampling factors.
    size: (usize, usize, usize, usize),
}

fn decode_dc_scan(scan: &Scan, components: &mut [Component], bits: &mut Bits) -> Result<(), Error> {
    let sampling: Vec<(usize, usize)> = scan
        .members
        .iter()
        .map(|&c| (components[c].h, components[c].v))
        .collect();
    let mut predictions = vec![0i32; scan.members.len()];
    let mut since_restart = 0;
    // Before each MCU (or, in a one-component scan, each block): a restart marker resets the
    // predictions every `restart_interval` units.
    let mut restart = |bits: &mut Bits, predictions: &mut [i32]| {
        if scan.restart_interval > 0 {
            if since_restart == scan.restart_interval {
                bits.restart();
                predictions.iter_mut().for_each(|p| *p = 0);
                since_restart = 0;
            }
            since_restart += 1;
        }
    };
    let mut block = |m: usize, bx: usize, by: usize, bits: &mut Bits, pred: &mut i32| -> Result<(), Error> {
        let c = &mut components[scan.members[m]];
        let Some(cell) = c.dc.get_mut(by * c.blocks_w + bx) else {
            return Ok(());
        };
        if scan.refine {
            *cell |= (bits.bit()? as i32) << scan.shift;
        } else {
            let table = scan.tables[m].ok_or("a DC scan without its Huffman table")?;
            let size = table.decode(bits)?;
            if size > 11 {
                return Err("DC difference out of range".into());
            }
            *pred += extend(bits.bits(size)?, size);
            *cell = *pred << scan.shift;
        }
        Ok(())
    };
    if scan.members.len() == 1 {
        // Non-interleaved: the component's own blocks in raster order, only those covering
        // the image (not the MCU padding).
        let (w, h, hmax, vmax) = scan.size;
        let (ch, cv) = sampling[0];
        let (cols, rows) = (
            (w * ch).div_ceil(hmax).div_ceil(8),
            (h * cv).div_ceil(vmax).div_ceil(8),
        );
        for by in 0..rows {
            for bx in 0..cols {
                restart(bits, &mut predictions);
                block(0, bx, by, bits, &mut predictions[0])?;
            }
        }
    } else {
        for my in 0..scan.mcus.1 {
            for mx in 0..scan.mcus.0 {
                restart(bits, &mut predictions);
                for (m, &(h, v)) in sampling.iter().enumerate() {
                    for y in 0..v {
                        for x in 0..h {
                            block(m, mx * h + x, my * v + y, bits, &mut predictions[m])?;
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// Block means → 8-bit RGB at 1/8 scale (JFIF's YCbCr). A chroma plane sampled at half the
/// luma's rate is interpolated as libjpeg's "fancy" upsampling does (¾ of the nearest block,
/// ¼ of the next), so the colours match a full decode's.
fn to_rgb(
    components: &[Component],
    quant: &[[u16; 64]; 4],
    width: usize,
    height: usize,
    hmax: usize,
    vmax: usize,
) -> RgbImage {
    let (w, h) = (width.div_ceil(8), height.div_ceil(8));
    // A block's mean sample is DC × step / 8, centred on 128.
    let at = |c: &Component, bx: usize, by: usize| {
        let (bx, by) = (bx.min(c.blocks_w - 1), by.min(c.blocks_h - 1));
        c.dc[by * c.blocks_w + bx] as f32 * quant[c.quant][0] as f32 / 8.0 + 128.0
    };
    // The blocks of plane `c` that cover output position `x` (one axis), with weights.
    let taps = |x: usize, factor: usize, sampling: usize| -> [(usize, f32); 2] {
        if factor == 2 * sampling {
            let i = x / 2;
            let other = if x.is_multiple_of(2) {
                i.saturating_sub(1)
            } else {
                i + 1
            };
            [(i, 0.75), (other, 0.25)]
        } else {
            [(x * sampling / factor, 1.0), (0, 0.0)]
        }
    };
    let mean = |c: &Component, x: usize, y: usize| {
        let mut v = 0.0;
        for (bx, wx) in taps(x, hmax, c.h) {
            for (by, wy) in taps(y, vmax, c.v) {
                if wx * wy > 0.0 {
                    v += wx * wy * at(c, bx, by);
                }
            }
        }
        v
    };
    RgbImage::from_fn(w as u32, h as u32, |x, y| {
        let (x, y) = (x as usize, y as usize);
        let luma = mean(&components[0], x, y);
        let rgb = if components.len() == 1 {
            [luma; 3]
        } else {
            let (cb, cr) = (
                mean(&components[1], x, y) - 128.0,
                mean(&components[2], x, y) - 128.0,
            );
            [
                luma + 1.402 * cr,
                luma - 0.344_136 * cb - 0.714_136 * cr,
                luma + 1.772 * cb,
            ]
        };
        image::Rgb(rgb.map(|v| v.round().clamp(0.0, 255.0) as u8))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

    /// A textured test picture: gradients, a few hard colour edges and fine grain.
    fn picture(w: u32, h: u32) -> Vec<u8> {
        let mut state = 1u32;
        let img = RgbImage::from_fn(w, h, |x, y| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let grain = (state >> 28) as i32 - 8;
            let band = if (x / 97 + y / 61) % 3 == 0 { 90 } else { 0 };
            let c = |v: i32| (v + grain).clamp(0, 255) as u8;
            image::Rgb([
                c((x * 255 / w) as i32 + band),
                c((y * 255 / h) as i32),
                c(160 - band),
            ])
        });
        img.into_raw()
    }

    fn progressive(w: u16, h: u16, sampling: SamplingFactor, restart: u16, grey: bool) -> Vec<u8> {
        let rgb = picture(w as u32, h as u32);
        let mut out = Vec::new();
        let mut e = Encoder::new(&mut out, 90);
        e.set_progressive(true);
        e.set_sampling_factor(sampling);
        e.set_restart_interval(restart);
        if grey {
            let luma: Vec<u8> = rgb
                .chunks(3)
                .map(|p| ((p[0] as u32 * 3 + p[1] as u32 * 6 + p[2] as u32) / 10) as u8)
                .collect();
            e.encode(&luma, w, h, ColorType::Luma).unwrap();
        } else {
            e.encode(&rgb, w, h, ColorType::Rgb).unwrap();
        }
        out
    }

    /// The reference: jpeg-decoder's complete decode at 1/8 scale (every coefficient read).
    fn reference(jpeg: &[u8]) -> RgbImage {
        let mut d = jpeg_decoder::Decoder::new(std::io::Cursor::new(jpeg));
        let info = d.read_info().map(|_| d.info().unwrap()).unwrap();
        let (w, h) = d.scale(info.width.div_ceil(8), info.height.div_ceil(8)).unwrap();
        let px = d.decode().unwrap();
        match info.pixel_format {
            jpeg_decoder::PixelFormat::L8 => {
                image::DynamicImage::ImageLuma8(image::GrayImage::from_raw(w as u32, h as u32, px).unwrap())
                    .into_rgb8()
            }
            _ => RgbImage::from_raw(w as u32, h as u32, px).unwrap(),
        }
    }

    #[test]
    fn dc_scans_give_the_block_means_a_full_decode_gives() {
        use SamplingFactor::*;
        for (w, h, sampling, restart, grey) in [
            (1024, 768, F_2_2, 0, false),
            (1000, 751, F_2_1, 5, false),
            (808, 1201, F_1_1, 0, false),
            (640, 480, F_1_1, 3, true),
            (999, 333, R_4_2_0, 1, false),
        ] {
            let jpeg = progressive(w, h, sampling, restart, grey);
            let dc = decode_dc(&jpeg).unwrap().expect("a progressive JPEG");
            let full = reference(&jpeg);
            assert_eq!(dc.dimensions(), full.dimensions(), "{w}x{h} {sampling:?}");
            let diffs: Vec<i32> = dc
                .as_raw()
                .iter()
                .zip(full.as_raw())
                .map(|(a, b)| (*a as i32 - *b as i32).abs())
                .collect();
            let mean = diffs.iter().sum::<i32>() as f64 / diffs.len() as f64;
            // Luma agrees to rounding; chroma is taken per block here, interpolated there, which
            // differs a little at colour edges.
            assert!(
                mean < 1.5,
                "{w}x{h} {sampling:?} restart {restart}: mean difference {mean:.2}"
            );
        }
    }

    #[test]
    fn baseline_jpegs_and_other_files_are_left_to_the_general_decoder() {
        let mut baseline = Vec::new();
        Encoder::new(&mut baseline, 90)
            .encode(&picture(64, 64), 64, 64, ColorType::Rgb)
            .unwrap();
        assert!(decode_dc(&baseline).unwrap().is_none());
        assert!(decode_dc(b"not a jpeg").unwrap().is_none());
    }

    #[test]
    fn damaged_dc_data_is_an_error_or_a_picture_never_a_panic() {
        let jpeg = progressive(320, 240, SamplingFactor::F_2_2, 0, false);
        let scan = jpeg.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
        for i in 0..200 {
            let mut damaged = jpeg.clone();
            let at = scan + 14 + i * 7 % (jpeg.len() - scan - 14);
            damaged[at] = damaged[at].wrapping_add(0x5B);
            let _ = decode_dc(&damaged);
            let _ = decode_dc(&damaged[..at]);
        }
    }
}
