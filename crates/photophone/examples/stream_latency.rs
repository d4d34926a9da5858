//! Time from "photo decoded" to "first 4096-frame block of a stream ready": analysis,
//! composition, building the graph and rendering the block.
//! Usage: cargo run --release -p photophone --example stream_latency -- PHOTO [RUNS]
use std::time::Instant;

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: stream_latency PHOTO [RUNS]");
    let runs: usize = std::env::args()
        .nth(2)
        .map(|r| r.parse().expect("RUNS"))
        .unwrap_or(20);
    let photo =
        photophone::analysis::load_path_at(path.as_ref(), photophone::analysis::Resolution::AnalysisOnly)
            .expect("photo");
    let mut times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let mut stream = photophone::stream(&photo, &photophone::Options::default());
        let mut block = vec![0f32; 2 * 4096];
        stream.render(&mut block);
        times.push(t.elapsed().as_secs_f64() * 1e3);
        assert!(block.iter().all(|x| x.is_finite()));
    }
    times.sort_by(f64::total_cmp);
    println!(
        "first 4096-frame block after decode: median {:.1} ms, min {:.1} ms, max {:.1} ms ({runs} runs)",
        times[runs / 2],
        times[0],
        times[runs - 1]
    );
}
