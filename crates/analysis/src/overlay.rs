//! The seed's figure: the photo with its feature points drawn as small red squares.

use image::{Rgb, RgbImage};

/// Draws a red square (with a dark outline so it shows on red photos too) at each point.
pub fn draw_points(photo: &RgbImage, points: impl IntoIterator<Item = (u32, u32)>) -> RgbImage {
    let mut out = photo.clone();
    let (w, h) = out.dimensions();
    // Squares a little under 1 % of the short side, at least 3 pixels.
    let half = ((w.min(h) as f32 * 0.004).round() as i64).max(1);
    for (x, y) in points {
        for (r, colour) in [(half + 1, Rgb([40, 0, 0])), (half, Rgb([255, 0, 0]))] {
            for dy in -r..=r {
                for dx in -r..=r {
                    let (px, py) = (x as i64 + dx, y as i64 + dy);
                    if px >= 0 && py >= 0 && (px as u32) < w && (py as u32) < h {
                        out.put_pixel(px as u32, py as u32, colour);
                    }
                }
            }
        }
    }
    out
}
