//! A faithful port of the two tracking.js 1.1.3 functions the seed's first experiment used:
//! `tracking.Image.grayscale` and `tracking.Fast.findCorners`. They are hand-written (not
//! `imageproc::corners_fast9`) because the classic style must reproduce tracking.js
//! corner-for-corner: its quick rejection test, its 3-pixel skip after each hit and its lack of
//! non-maximum suppression all change which corners come out first. A test compares this
//! module against tracking.js running under node.

use image::RgbImage;

/// tracking.js `tracking.Fast.THRESHOLD`.
pub const DEFAULT_THRESHOLD: i32 = 40;

/// `tracking.Image.grayscale`: `0.299 R + 0.587 G + 0.114 B` computed in double precision and
/// stored into a `Uint8ClampedArray`, which rounds half to even.
pub fn grayscale(rgb: &RgbImage) -> Vec<u8> {
    rgb.pixels()
        .map(|p| {
            let v = p[0] as f64 * 0.299 + p[1] as f64 * 0.587 + p[2] as f64 * 0.114;
            v.clamp(0.0, 255.0).round_ties_even() as u8
        })
        .collect()
}

/// `tracking.Fast.getCircleOffsets_`: the 16-pixel Bresenham circle of radius 3, clockwise
/// from the top.
fn circle_offsets(width: isize) -> [isize; 16] {
    let mut c = [0isize; 16];
    c[0] = -width - width - width;
    c[1] = c[0] + 1;
    c[2] = c[1] + width + 1;
    c[3] = c[2] + width + 1;
    c[4] = c[3] + width;
    c[5] = c[4] + width;
    c[6] = c[5] + width - 1;
    c[7] = c[6] + width - 1;
    c[8] = c[7] - 1;
    c[9] = c[8] - 1;
    c[10] = c[9] - width - 1;
    c[11] = c[10] - width - 1;
    c[12] = c[11] - width;
    c[13] = c[12] - width;
    c[14] = c[13] - width + 1;
    c[15] = c[14] - width + 1;
    c
}

#[inline]
fn is_brighter(circle_pixel: i32, p: i32, threshold: i32) -> bool {
    circle_pixel - p > threshold
}

#[inline]
fn is_darker(circle_pixel: i32, p: i32, threshold: i32) -> bool {
    p - circle_pixel > threshold
}

fn is_trivially_excluded(circle: &[i32; 16], p: i32, t: i32) -> bool {
    let compass = [circle[0], circle[4], circle[8], circle[12]];
    let brighter = compass.iter().filter(|&&c| is_brighter(c, p, t)).count();
    if brighter < 3 {
        let darker = compass.iter().filter(|&&c| is_darker(c, p, t)).count();
        if darker < 3 {
            return true;
        }
    }
    false
}

/// `tracking.Fast.isCorner`. Note tracking.js calls `isBrighter(p, circlePixel)`, i.e. with
/// the arguments swapped relative to its own parameter names; the port keeps that order.
fn is_corner(p: i32, circle: &[i32; 16], t: i32) -> bool {
    if is_trivially_excluded(circle, p, t) {
        return false;
    }
    for x in 0..16 {
        let mut darker = true;
        let mut brighter = true;
        for y in 0..9 {
            let c = circle[(x + y) & 15];
            if !is_brighter(p, c, t) {
                brighter = false;
                if !darker {
                    break;
                }
            }
            if !is_darker(p, c, t) {
                darker = false;
                if !brighter {
                    break;
                }
            }
        }
        if brighter || darker {
            return true;
        }
    }
    false
}

/// `tracking.Fast.findCorners`: corners in raster order as `(x, y)`.
pub fn find_corners(gray: &[u8], width: usize, height: usize, threshold: i32) -> Vec<(u32, u32)> {
    assert_eq!(gray.len(), width * height, "grey buffer size");
    let offsets = circle_offsets(width as isize);
    let mut corners = Vec::new();
    let mut circle = [0i32; 16];
    for i in 3..height.saturating_sub(3) {
        let mut j = 3;
        while j < width.saturating_sub(3) {
            let w = (i * width + j) as isize;
            let p = gray[w as usize] as i32;
            for (k, off) in offsets.iter().enumerate() {
                circle[k] = gray[(w + off) as usize] as i32;
            }
            if is_corner(p, &circle, threshold) {
                corners.push((j as u32, i as u32));
                j += 3;
            }
            j += 1;
        }
    }
    corners
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grayscale_rounds_like_uint8clampedarray() {
        // 0.299*255 + 0.587*255 + 0.114*255 = 255 exactly (in f64: 254.99999999999997).
        let img = RgbImage::from_raw(2, 1, vec![255, 255, 255, 1, 1, 1]).unwrap();
        assert_eq!(grayscale(&img), vec![255, 1]);
    }

    #[test]
    fn finds_a_bright_dot_once_and_skips_after_a_hit() {
        let (w, h) = (20usize, 20usize);
        let mut g = vec![10u8; w * h];
        g[10 * w + 10] = 200;
        let c = find_corners(&g, w, h, 40);
        assert_eq!(c, vec![(10, 10)]);
        // Uniform image: nothing.
        assert!(find_corners(&vec![50u8; w * h], w, h, 40).is_empty());
    }

    #[test]
    fn tiny_images_have_no_corners_and_do_not_panic() {
        for (w, h) in [(1, 1), (6, 6), (7, 7), (3, 50)] {
            assert!(find_corners(&vec![0u8; w * h], w, h, 40).is_empty());
        }
    }
}
