//! The project's click detector (also used by the maze's tests, which include this file).

/// Worst click: the largest second difference in any 5 ms block, relative to the RMS second
/// difference of the 50 ms around it. A discontinuity stands far above its surroundings;
/// the music's own bright notes raise the surroundings too. Returns (ratio, time in s).
pub fn worst_click(s: &[f32]) -> (f32, f32) {
    const B: usize = 220;
    let mut worst = (0f32, 0f32);
    for ch in 0..2 {
        let x: Vec<f32> = s.iter().skip(ch).step_by(2).copied().collect();
        let d2: Vec<f32> = x.windows(3).map(|w| (w[2] - 2.0 * w[1] + w[0]).abs()).collect();
        let blocks: Vec<(f32, f32)> = d2
            .chunks(B)
            .map(|c| {
                (
                    c.iter().fold(0f32, |m, v| m.max(*v)),
                    c.iter().map(|v| v * v).sum::<f32>() / c.len() as f32,
                )
            })
            .collect();
        for i in 0..blocks.len() {
            let lo = i.saturating_sub(5);
            let hi = (i + 6).min(blocks.len());
            let around: Vec<f32> = (lo..hi).filter(|&k| k != i).map(|k| blocks[k].1).collect();
            let rms = (around.iter().sum::<f32>() / around.len().max(1) as f32).sqrt();
            let ratio = blocks[i].0 / rms.max(2e-4);
            if ratio > worst.0 {
                worst = (ratio, (i * B) as f32 / 44_100.0);
            }
        }
    }
    worst
}

pub const CLICK_RATIO: f32 = 10.0;
