//! `photophone timbre learn` and `timbre resynth` end to end: a timbre learnt, resumed and
//! played; one clear line and nothing half-written for every kind of bad input.

mod common;

use common::*;
use std::path::Path;

fn write_wav(path: &Path, rate: u32, samples: &[f32]) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for &v in samples {
        w.write_sample((v.clamp(-1.0, 1.0) * 32767.0) as i16).unwrap();
    }
    w.finalize().unwrap();
}

/// `seconds` of a monophonic phrase: plucked harmonic tones of `freqs` in turn, or of
/// all `freqs` at once (a chord) with `chord`.
fn phrase(seconds: f32, freqs: &[f32], chord: bool) -> Vec<f32> {
    let rate = 16_000.0;
    (0..(seconds * rate) as usize)
        .map(|i| {
            let t = i as f32 / rate;
            let (note, tn) = ((t * 2.0) as usize, (t * 2.0).fract() / 2.0);
            let env = (tn * 300.0).min(1.0) * (-4.0 * tn).exp();
            let tone = |f: f32| {
                (1..=6)
                    .map(|k| (std::f32::consts::TAU * f * k as f32 * t).sin() / k as f32)
                    .sum::<f32>()
            };
            if chord {
                0.15 * env * freqs.iter().map(|&f| tone(f)).sum::<f32>()
            } else {
                0.3 * env * tone(freqs[note % freqs.len()])
            }
        })
        .collect()
}

#[test]
fn learn_resume_resynth_and_refuse_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_wav(
        &d.join("tune.wav"),
        16_000,
        &phrase(12.0, &[220.0, 277.2, 329.6, 246.9], false),
    );
    let learn = |data: &str, out: &str, extra: &[&str]| {
        let mut a = vec!["timbre", "learn", data, "--out", out, "--preset", "tiny"];
        a.extend_from_slice(extra);
        run_in(d, &a)
    };
    let o = learn("tune.wav", "t", &["--steps", "6"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(d.join("t/checkpoint/model.safetensors").exists());
    let o = learn("tune.wav", "t", &["--steps", "8"]);
    assert_one_line_failure(&o, "--resume");
    let o = learn("tune.wav", "t", &["--steps", "8", "--resume"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let metrics = std::fs::read_to_string(d.join("t/metrics.jsonl")).unwrap();
    assert_eq!(metrics.lines().count(), 8);
    let o = run_in(d, &["timbre", "resynth", "t", "tune.wav", "-o", "out.wav"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r = hound::WavReader::open(d.join("out.wav")).unwrap();
    assert_eq!((r.spec().sample_rate, r.duration()), (16_000, 12 * 16_000));

    // The photo's lead played by the timbre: mastered as always, deterministic.
    for out in ["a.wav", "b.wav"] {
        let o = run_in(d, &["render", "--timbre", "t", "--seconds", "6", "-o", out]);
        assert!(o.status.success(), "{}", stderr(&o));
        let err = stderr(&o);
        let lufs: f64 = err
            .split(" LUFS")
            .next()
            .unwrap()
            .rsplit(", ")
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let peak: f64 = err
            .split("peak ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!((lufs + 16.0).abs() < 0.5 && peak <= -1.0, "{err}");
    }
    assert_eq!(
        std::fs::read(d.join("a.wav")).unwrap(),
        std::fs::read(d.join("b.wav")).unwrap()
    );
    let o = run_in(d, &["analyze", "--timbre", "t"]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("plays the lead"),
        "{}",
        stderr(&o)
    );
    // The JSON report names the layers and gives the timbre's reasons among the decisions.
    let o = run_in(d, &["analyze", "--json", "--timbre", "t"]);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
    let plays = report["music"]["timbre"]["plays"].as_array().expect("plays");
    assert_eq!(plays[0], "lead", "{report}");
    let topics: Vec<&str> = report["music"]["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["topic"].as_str())
        .collect();
    assert!(topics.contains(&"timbre lead"), "{topics:?}");
    assert_eq!(
        topics.contains(&"timbre bass"),
        plays.len() == 2,
        "a bass layer has its reason"
    );
    assert_one_line_failure(
        &run_in(d, &["render", "--timbre", "empty-nothing", "-o", "c.wav"]),
        "empty-nothing",
    );
    assert!(!d.join("c.wav").exists());

    // Bad clips: one line, exit ≠ 0, no timbre folder.
    write_wav(&d.join("short.wav"), 16_000, &phrase(5.0, &[220.0], false));
    write_wav(&d.join("silence.wav"), 16_000, &vec![0.0; 16_000 * 12]);
    write_wav(
        &d.join("chords.wav"),
        16_000,
        &phrase(12.0, &[220.0, 277.2, 329.6, 415.3], true),
    );
    let mut s = 3u64;
    let noise: Vec<f32> = (0..16_000 * 12)
        .map(|_| 0.2 * photophone_wavenet::train::gaussian(&mut s))
        .collect();
    write_wav(&d.join("noise.wav"), 16_000, &noise);
    std::fs::write(d.join("corrupt.wav"), b"RIFF\x10\0\0\0WAVEfmt junk").unwrap();
    for (clip, says) in [
        ("short.wav", "at least 10 s"),
        ("silence.wav", "silent"),
        ("chords.wav", "confident single pitch"),
        ("noise.wav", "confident single pitch"),
        ("corrupt.wav", "corrupt.wav"),
        ("missing.wav", "missing.wav"),
    ] {
        assert_one_line_failure(&learn(clip, "bad", &["--steps", "2"]), says);
        assert!(!d.join("bad").exists(), "{clip} left a timbre folder");
    }

    // Partly chordal: trains on the confident part and says how much.
    let mut mixed = phrase(9.0, &[220.0, 277.2, 329.6], false);
    mixed.extend(phrase(5.0, &[220.0, 277.2, 329.6, 415.3], true));
    write_wav(&d.join("mixed.wav"), 16_000, &mixed);
    let o = learn("mixed.wav", "m", &["--steps", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("training on "), "{}", stderr(&o));

    // Bad timbres: one line, no output.
    std::fs::create_dir_all(d.join("empty")).unwrap();
    let resynth = |timbre: &str| run_in(d, &["timbre", "resynth", timbre, "tune.wav", "-o", "never.wav"]);
    assert_one_line_failure(&resynth("empty"), "not a photophone timbre");
    assert_one_line_failure(&resynth("nowhere"), "nowhere");
    let copy = |name: &str| {
        let to = d.join(name).join("checkpoint");
        std::fs::create_dir_all(&to).unwrap();
        for f in std::fs::read_dir(d.join("t/checkpoint")).unwrap() {
            let f = f.unwrap();
            std::fs::copy(f.path(), to.join(f.file_name())).unwrap();
        }
        to
    };
    let truncated = copy("truncated");
    let bytes = std::fs::read(truncated.join("model.safetensors")).unwrap();
    std::fs::write(truncated.join("model.safetensors"), &bytes[..bytes.len() / 2]).unwrap();
    assert_one_line_failure(&resynth("truncated"), "corrupt or incompatible timbre");
    let future = copy("future");
    let cfg = std::fs::read_to_string(future.join("config.json")).unwrap();
    std::fs::write(
        future.join("config.json"),
        cfg.replace("\"format\": 1", "\"format\": 99"),
    )
    .unwrap();
    assert_one_line_failure(&resynth("future"), "format 99");
    let reshaped = copy("reshaped");
    let cfg = std::fs::read_to_string(reshaped.join("config.json")).unwrap();
    std::fs::write(
        reshaped.join("config.json"),
        cfg.replace("\"hidden\": 32", "\"hidden\": 33"),
    )
    .unwrap();
    assert_one_line_failure(&resynth("reshaped"), "shape");
    assert!(!d.join("never.wav").exists());
}

#[cfg(target_os = "linux")]
#[test]
fn ctrl_c_during_learning_writes_a_checkpoint_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_wav(&d.join("tune.wav"), 16_000, &phrase(12.0, &[220.0, 329.6], false));
    let child = bin()
        .current_dir(d)
        .args([
            "timbre",
            "learn",
            "tune.wav",
            "--out",
            "t",
            "--preset",
            "tiny",
            "--steps",
            "100000000",
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let metrics = d.join("t/metrics.jsonl");
    let started = std::time::Instant::now();
    while std::fs::read_to_string(&metrics)
        .map(|s| s.lines().count())
        .unwrap_or(0)
        < 5
    {
        assert!(started.elapsed().as_secs() < 60, "learning did not start");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // SAFETY: sending SIGINT to our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("interrupted; checkpoint written"), "{err}");
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("t/checkpoint/state.json")).unwrap()).unwrap();
    let lines = std::fs::read_to_string(&metrics).unwrap().lines().count() as u64;
    assert_eq!(
        state["step"].as_u64().unwrap(),
        lines,
        "the checkpoint holds every logged step"
    );
}
