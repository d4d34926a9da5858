//! Training on a synthetic harmonic clip: the loss falls, and a run stopped and resumed is
//! bit-identical to one that never stopped.

use photophone_timbre::checkpoint;
use photophone_timbre::model::Config;
use photophone_timbre::session::{run, Event, Options};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// 12 s of notes (a bright tone: harmonics falling 1/k^1.5, plucked envelope, small rests).
fn write_clip(path: &Path) {
    let rate = 16_000;
    let notes = [220.0, 247.0, 262.0, 294.0, 330.0, 294.0, 262.0, 196.0];
    let mut x = Vec::new();
    for n in 0..24 {
        let f = notes[n % notes.len()];
        let mut phase = 0f32;
        for t in 0..rate / 2 {
            let time = t as f32 / rate as f32;
            let env = if time < 0.45 {
                (time * 200.0).min(1.0) * (-3.0 * time).exp()
            } else {
                0.0
            };
            phase += std::f32::consts::TAU * f / rate as f32;
            let s: f32 = (1..=12)
                .map(|k| (k as f32 * phase).sin() / (k as f32).powf(1.5))
                .sum();
            x.push(0.3 * env * s);
        }
    }
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate as u32,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for v in x {
        w.write_sample((v * 32767.0) as i16).unwrap();
    }
    w.finalize().unwrap();
}

fn options(data: &Path, out: &Path, steps: u64, resume: bool) -> Options {
    Options {
        data: data.to_path_buf(),
        out: out.to_path_buf(),
        config: Config {
            harmonics: 16,
            noise_bands: 16,
            hidden: 32,
            ..Config::default()
        },
        steps: Some(steps),
        minutes: None,
        batch: 2,
        window: 4096,
        learning_rate: 3e-3,
        seed: 1,
        resume,
        checkpoint_every: Duration::from_secs(3600),
    }
}

fn losses(out: &Path) -> Vec<f64> {
    std::fs::read_to_string(out.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["loss"]
                .as_f64()
                .unwrap()
        })
        .collect()
}

#[test]
fn loss_falls_and_resume_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.wav");
    write_clip(&clip);
    let stop = AtomicBool::new(false);
    let whole = dir.path().join("whole");
    let mut used = 0.0;
    run(options(&clip, &whole, 60, false), &stop, |e| {
        if let Event::Data(c) = e {
            used = c.used_seconds / c.seconds;
        }
    })
    .unwrap();
    assert!(used > 0.9, "used {used}");
    let l = losses(&whole);
    let first: f64 = l[..10].iter().sum::<f64>() / 10.0;
    let last: f64 = l[l.len() - 10..].iter().sum::<f64>() / 10.0;
    assert!(last < 0.8 * first, "loss {first:.3} → {last:.3}");

    let split = dir.path().join("split");
    run(options(&clip, &split, 25, false), &stop, |_| {}).unwrap();
    run(options(&clip, &split, 60, true), &stop, |_| {}).unwrap();
    let a = checkpoint::load(&whole).unwrap();
    let b = checkpoint::load(&split).unwrap();
    assert_eq!(a.model.params, b.model.params);
    assert_eq!(a.adam, b.adam);
    assert_eq!(losses(&whole), losses(&split));
}
