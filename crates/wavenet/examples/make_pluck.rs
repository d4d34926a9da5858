//! Writes a guitar-like test clip: a Karplus–Strong plucked-string arpeggio (16 kHz mono,
//! 16-bit WAV), deterministic. Stands in for the seed's 8-second guitar intro.
//! Usage: cargo run --release -p photophone-wavenet --example make_pluck -- OUT.wav [SECONDS] [SEED]
//! SEED changes only the noise that excites each string: the same notes, another take.
fn main() {
    let out = std::env::args()
        .nth(1)
        .expect("usage: make_pluck OUT.wav [SECONDS] [SEED]");
    let seconds: f32 = std::env::args().nth(2).map(|s| s.parse().unwrap()).unwrap_or(8.0);
    let rate = 16_000u32;
    let n = (seconds * rate as f32) as usize;
    let mut mix = vec![0f32; n];
    // E minor arpeggio, one pluck every 0.25 s, strings ringing over each other.
    let notes = [40, 47, 52, 55, 59, 64, 59, 55];
    let mut state: u32 = std::env::args()
        .nth(3)
        .map(|s| s.parse().expect("SEED: a number"))
        .unwrap_or(0x2545_F491);
    let mut rnd = || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state as f32 / u32::MAX as f32) * 2.0 - 1.0
    };
    let mut t0 = 0usize;
    let mut i = 0;
    while t0 < n {
        let midi = notes[i % notes.len()] as f32;
        let f = 440.0 * 2f32.powf((midi - 69.0) / 12.0);
        let period = (rate as f32 / f).round() as usize;
        let mut line: Vec<f32> = (0..period).map(|_| rnd()).collect();
        let len = (2.0 * rate as f32) as usize;
        let mut k = 0;
        let end = (t0 + len).min(n);
        for out in &mut mix[t0..end] {
            let next = (k + 1) % period;
            let v = 0.5 * (line[k] + line[next]) * 0.996;
            *out += line[k] * 0.3;
            line[k] = v;
            k = next;
        }
        t0 += rate as usize / 4;
        i += 1;
    }
    let peak = mix.iter().fold(0f32, |m, v| m.max(v.abs()));
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&out, spec).expect("create");
    for v in mix {
        w.write_sample((v / peak * 0.9 * 32767.0) as i16).expect("write");
    }
    w.finalize().expect("finalize");
}
