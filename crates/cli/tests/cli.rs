//! The `photophone` binary end to end: outputs, and one clear line for every kind of bad input.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Output;

/// A failure as `assert_one_line_failure` that also leaves no file in the output directory.
fn assert_clean_failure(dir: &Path, o: &Output, what: &str) {
    assert_one_line_failure(o, what);
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        leftovers
            .iter()
            .all(|n| !n.to_string_lossy().ends_with(".wav") && !n.to_string_lossy().contains(".part")),
        "left files behind: {leftovers:?}"
    );
}

#[test]
fn render_default_photo_writes_stem_wav_with_targets_met() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(dir.path(), &["render", "--seconds", "8", "--midi", "coffee.mid"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let wav = dir.path().join("coffee.wav");
    let mut reader = hound::WavReader::open(&wav).unwrap();
    let spec = reader.spec();
    assert_eq!(
        (spec.channels, spec.sample_rate, spec.bits_per_sample),
        (2, 44_100, 16)
    );
    let samples: Vec<f32> = reader
        .samples::<i16>()
        .map(|s| s.unwrap() as f32 / 32768.0)
        .collect();
    assert_eq!(samples.len(), 8 * 44_100 * 2);
    let peak = samples.iter().fold(0f32, |m, x| m.max(x.abs()));
    assert!(20.0 * peak.log10() <= -1.0, "peak {peak}");
    let lufs = photophone::synth::loudness_lufs(&samples, 44_100);
    assert!((lufs + 16.0).abs() <= 1.0, "{lufs} LUFS");
    let midi = std::fs::read(dir.path().join("coffee.mid")).unwrap();
    assert!(midly::Smf::parse(&midi).is_ok());
    // Determinism through the CLI: same photo and seed, same bytes.
    let o = run_in(dir.path(), &["render", "--seconds", "8", "-o", "again.wav"]);
    assert!(o.status.success());
    assert_eq!(
        std::fs::read(&wav).unwrap(),
        std::fs::read(dir.path().join("again.wav")).unwrap()
    );
}

#[test]
fn classic_style_and_rate_options_work() {
    let dir = tempfile::tempdir().unwrap();
    let photo = fixture("rocket.jpg");
    let o = run_in(
        dir.path(),
        &[
            "render",
            photo.to_str().unwrap(),
            "--style",
            "classic",
            "--seconds",
            "3",
            "--rate",
            "22050",
            "--seed",
            "4",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let r = hound::WavReader::open(dir.path().join("rocket.wav")).unwrap();
    assert_eq!(r.spec().sample_rate, 22_050);
    assert_eq!(r.duration(), 3 * 22_050);
}

#[test]
fn analyze_json_has_the_documented_fields_and_overlay_is_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(dir.path(), &["analyze", "--json", "--overlay", "dots.png"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    for key in ["luminance", "colour", "texture", "palette", "features", "regions"] {
        assert!(!v["analysis"][key].is_null(), "analysis.{key}");
    }
    assert!(v["music"]["key"].is_string() && v["music"]["tempo_bpm"].is_number());
    assert!(v["music"]["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["because"].is_string()));
    let pixels = v["classic"]["feature_pixels"].as_array().unwrap();
    assert_eq!(pixels.len(), 200);
    let p = &pixels[0];
    let mean = (p["r"].as_f64().unwrap() + p["g"].as_f64().unwrap() + p["b"].as_f64().unwrap()) / 3.0;
    assert!((p["frequency_hz"].as_f64().unwrap() - (20.0 + mean / 255.0 * 480.0)).abs() < 1e-3);
    let overlay = image::open(dir.path().join("dots.png")).unwrap().to_rgb8();
    let f = &v["analysis"]["features"][0];
    let px = overlay.get_pixel(f["x"].as_u64().unwrap() as u32, f["y"].as_u64().unwrap() as u32);
    assert_eq!(px.0, [255, 0, 0], "a red square at each feature point");
}

#[test]
fn bad_inputs_fail_with_one_line_and_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let write = |name: &str, bytes: &[u8]| {
        let p = d.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let png = std::fs::read(fixture("chelsea.png")).unwrap();
    let jpg = std::fs::read(fixture("rocket.jpg")).unwrap();
    // A PNG whose header claims 100000x100000 pixels.
    let mut bomb = png[..33].to_vec();
    bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32(&bomb[12..29]);
    bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    bomb.extend_from_slice(&png[33..]);
    let random: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let cases: Vec<(PathBuf, &str)> = vec![
        (d.join("missing.png"), "no such file"),
        (d.to_path_buf(), "directory"),
        (write("empty.jpg", b""), "empty"),
        (write("random.png", &random), "not an image"),
        (write("cut.png", &png[..png.len() / 2]), "cut.png"),
        (write("cut.jpg", &jpg[..jpg.len() / 3]), "cut.jpg"),
        (write("bomb.png", &bomb), "100000x100000"),
        (write("notes.txt", b"just some text, not a photo"), "not an image"),
    ];
    for (path, what) in cases {
        let out = d.join("out.wav");
        let o = run_in(
            d,
            &[
                "render",
                path.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
                "--seconds",
                "2",
            ],
        );
        assert_clean_failure(d, &o, what);
        assert!(
            stderr(&o).contains(path.file_name().unwrap().to_str().unwrap()),
            "names the file: {}",
            stderr(&o)
        );
        let o = run_in(d, &["analyze", path.to_str().unwrap()]);
        assert_clean_failure(d, &o, what);
    }
    // Unwritable output paths.
    for out in ["/nonexistent-dir/x.wav", "/proc/photophone.wav"] {
        let o = run_in(d, &["render", "--seconds", "1", "-o", out]);
        assert_clean_failure(d, &o, out);
    }
    let o = run_in(d, &["render", "--seconds", "1", "-o", d.to_str().unwrap()]);
    assert_clean_failure(d, &o, "directory");
    // Nonsense options.
    let o = run_in(d, &["render", "--seconds=-3"]);
    assert_clean_failure(d, &o, "--seconds");
    let o = run_in(d, &["render", "--seconds", "1", "--rate", "5"]);
    assert_clean_failure(d, &o, "--rate");
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn play_without_a_player_says_so_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    // A PATH with no audio player on it.
    let o = bin()
        .current_dir(dir.path())
        .env("PATH", dir.path())
        .env_remove("PHOTOPHONE_PLAYER")
        .args(["play", "--seconds", "1"])
        .output()
        .unwrap();
    assert_clean_failure(dir.path(), &o, "no audio player found");
}

#[cfg(unix)]
#[test]
fn play_hands_the_render_to_the_audio_player() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    // A stand-in player that keeps what it was given.
    let player = dir.path().join("player");
    std::fs::write(&player, "#!/bin/sh\ncp \"$1\" \"$(dirname \"$0\")/played.wav\"\n").unwrap();
    std::fs::set_permissions(&player, std::fs::Permissions::from_mode(0o755)).unwrap();
    let play = |player: &str| {
        bin()
            .current_dir(dir.path())
            .env("PHOTOPHONE_PLAYER", player)
            .args(["play", "--seconds", "2", "--seed", "4"])
            .output()
            .unwrap()
    };
    let o = play(player.to_str().unwrap());
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_in(
        dir.path(),
        &["render", "--seconds", "2", "--seed", "4", "-o", "rendered.wav"],
    );
    assert!(o.status.success());
    assert_eq!(
        std::fs::read(dir.path().join("played.wav")).unwrap(),
        std::fs::read(dir.path().join("rendered.wav")).unwrap()
    );
    // A player that fails is one line, with what it said.
    let failing = dir.path().join("failing");
    std::fs::write(
        &failing,
        "#!/bin/sh\necho 'audio open error: no such device' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&failing, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_one_line_failure(
        &play(failing.to_str().unwrap()),
        "the audio player failing failed: audio open error: no such device",
    );
}

fn write_tone(path: &Path, seconds: f32, rate: u32) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..(seconds * rate as f32) as usize {
        let t = i as f32 / rate as f32;
        w.write_sample(((2.0 * std::f32::consts::PI * 330.0 * t).sin() * 12_000.0) as i16)
            .unwrap();
    }
    w.finalize().unwrap();
}

#[test]
fn train_writes_checkpoints_resumes_and_refuses_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = d.join("tone.wav");
    write_tone(&clip, 1.0, 11_025);
    let out = d.join("model");
    let args = |extra: &[&str]| {
        let mut v = vec![
            "train",
            clip.to_str().unwrap(),
            "--preset",
            "tiny",
            "--out",
            out.to_str().unwrap(),
        ];
        v.extend_from_slice(extra);
        v.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let run = |a: Vec<String>| bin().current_dir(d).args(a).output().unwrap();
    let o = run(args(&["--steps", "30"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.join("checkpoint/model.safetensors").exists());
    assert_eq!(
        std::fs::read_to_string(out.join("metrics.jsonl"))
            .unwrap()
            .lines()
            .count(),
        30
    );
    // Training again into the same folder without --resume would overwrite: refused.
    let o = run(args(&["--steps", "40"]));
    assert!(!o.status.success() && stderr(&o).contains("--resume"));
    let o = run(args(&["--steps", "40", "--resume"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("checkpoint/state.json")).unwrap()).unwrap();
    assert_eq!(state["step"], 40);

    let one_line = assert_one_line_failure;
    let fresh = d.join("fresh");
    let with = |data: &Path, extra: &[&str]| {
        let mut v = vec![
            "train".to_string(),
            data.to_str().unwrap().into(),
            "--out".into(),
            fresh.to_str().unwrap().into(),
        ];
        v.extend(extra.iter().map(|s| s.to_string()));
        run(v)
    };
    std::fs::create_dir(d.join("empty")).unwrap();
    one_line(&with(&d.join("empty"), &["--preset", "tiny"]), "no audio files");
    std::fs::write(d.join("junk.wav"), b"RIFF....WAVEjunkjunk").unwrap();
    one_line(&with(&d.join("junk.wav"), &["--preset", "tiny"]), "junk.wav");
    let short = d.join("short.wav");
    write_tone(&short, 0.01, 8_000);
    one_line(&with(&short, &["--preset", "small"]), "receptive field");
    std::fs::write(d.join("bad.json"), br#"{"filter_width": 3}"#).unwrap();
    one_line(
        &with(&clip, &["--config", d.join("bad.json").to_str().unwrap()]),
        "bad.json",
    );
    one_line(&with(&clip, &["--preset", "huge"]), "unknown preset");
    assert!(
        !fresh.join("checkpoint").exists(),
        "failed runs leave no checkpoint"
    );
}

#[test]
fn generate_from_a_trained_model_and_refuse_bad_requests() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = d.join("tone.wav");
    write_tone(&clip, 1.0, 11_025);
    let model = d.join("model");
    let o = bin()
        .current_dir(d)
        .args([
            "train", "tone.wav", "--preset", "tiny", "--steps", "20", "--out", "model",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let o = bin()
        .current_dir(d)
        .args([
            "generate",
            "model",
            "-o",
            "gen.wav",
            "--seconds",
            "0.5",
            "--count",
            "2",
            "--prime",
            "tone.wav",
            "--prime-seconds",
            "0.1",
            "--rate",
            "16000",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    for k in 1..=2 {
        let r = hound::WavReader::open(d.join(format!("gen-{k}.wav"))).unwrap();
        assert_eq!(r.spec().sample_rate, 16_000);
        assert!((r.duration() as i64 - 8_000).abs() <= 2, "{}", r.duration());
    }
    let gen = |args: &[&str]| {
        let mut v = vec!["generate"];
        v.extend_from_slice(args);
        bin().current_dir(d).args(v).output().unwrap()
    };
    let one_line = |o: &Output, what: &str| {
        assert_one_line_failure(o, what);
        assert!(!d.join("bad.wav").exists());
    };
    one_line(&gen(&["missing", "-o", "bad.wav"]), "missing");
    std::fs::create_dir(d.join("notamodel")).unwrap();
    one_line(
        &gen(&["notamodel", "-o", "bad.wav"]),
        "not a photophone model folder",
    );
    one_line(
        &gen(&["model", "-o", "bad.wav", "--temperature=inf"]),
        "--temperature",
    );
    one_line(
        &gen(&[
            "model",
            "-o",
            "bad.wav",
            "--prime",
            "tone.wav",
            "--prime-seconds",
            "30",
        ]),
        "shorter than",
    );
    one_line(
        &gen(&["model", "-o", "bad.wav", "--condition-from", "tone.wav"]),
        "trained without conditioning",
    );
    // A mel-conditioned model re-synthesises a clip for the clip's length.
    let train_mel = |out: &str, extra: &[&str]| {
        let mut v = vec![
            "train",
            "tone.wav",
            "--preset",
            "tiny",
            "--steps",
            "10",
            "--out",
            out,
            "--condition",
            "mel",
        ];
        v.extend_from_slice(extra);
        bin().current_dir(d).args(v).output().unwrap()
    };
    let o = train_mel("melmodel", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = gen(&["melmodel", "-o", "resynth.wav", "--condition-from", "tone.wav"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r = hound::WavReader::open(d.join("resynth.wav")).unwrap();
    // 1 s of tone at the tiny preset's 8 kHz (less trimmed silence: none here).
    assert!((r.duration() as i64 - 8_000).abs() <= 10, "{}", r.duration());
    one_line(&gen(&["melmodel", "-o", "bad.wav"]), "--condition-from");
    // Trained with conditioning dropout, the same kind of model also generates without it.
    let train_dropout = |share: &str| train_mel("dropmodel", &["--condition-dropout", share]);
    one_line(&train_dropout("1.5"), "--condition-dropout must be in [0, 1)");
    assert!(!d.join("dropmodel").exists());
    let o = train_dropout("0.5");
    assert!(o.status.success(), "{}", stderr(&o));
    let o = gen(&["dropmodel", "-o", "free.wav", "--seconds", "0.25"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        hound::WavReader::open(d.join("free.wav")).unwrap().duration(),
        2_000
    );
    let o = gen(&["dropmodel", "-o", "resynth2.wav", "--condition-from", "tone.wav"]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(model.join("checkpoint/model.safetensors"), b"corrupt").unwrap();
    one_line(&gen(&["model", "-o", "bad.wav"]), "corrupt");
}

#[cfg(target_os = "linux")]
#[test]
fn ctrl_c_during_training_writes_a_checkpoint_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_tone(&d.join("tone.wav"), 2.0, 16_000);
    let child = bin()
        .current_dir(d)
        .args([
            "train",
            "tone.wav",
            "--preset",
            "tiny",
            "--steps",
            "100000000",
            "--out",
            "model",
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let metrics = d.join("model/metrics.jsonl");
    let started = std::time::Instant::now();
    while std::fs::read_to_string(&metrics)
        .map(|s| s.lines().count())
        .unwrap_or(0)
        < 20
    {
        assert!(started.elapsed().as_secs() < 60, "training did not start");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // SAFETY: sending SIGINT to our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("interrupted; checkpoint written"), "{err}");
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("model/checkpoint/state.json")).unwrap())
            .unwrap();
    let lines = std::fs::read_to_string(&metrics).unwrap().lines().count() as u64;
    assert_eq!(
        state["step"].as_u64().unwrap(),
        lines,
        "the checkpoint holds every logged step"
    );
}

#[test]
fn serve_answers_on_loopback_and_refuses_a_taken_port_in_one_line() {
    use std::io::{BufRead, BufReader, Read, Write};
    let mut server = bin()
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let addr = first
        .trim()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    assert!(addr.starts_with("127.0.0.1:"), "{first}");

    let mut conn = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        conn,
        "GET /api/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"ok\":true"), "{answer}");

    // A second server on the same port: one line, exit 1.
    let o = bin().args(["serve", "--addr", &addr]).output().unwrap();
    assert_one_line_failure(&o, &addr);
    server.kill().unwrap();
    server.wait().unwrap();

    let help = String::from_utf8(bin().args(["serve", "--help"]).output().unwrap().stdout).unwrap();
    assert!(
        help.contains("[default: 127.0.0.1:8080]"),
        "loopback by default: {help}"
    );
}
