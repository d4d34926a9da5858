//! `photophone maze DIR --layout` and `photophone walk` end to end: the layout a walk script
//! is written against, a binaural walk, and one clear line for each kind of bad input.

mod common;

use common::*;
use std::path::Path;

/// A folder with three of the real photos, a corrupt one and a zero-byte one.
fn folder(dir: &Path) -> std::path::PathBuf {
    let photos = dir.join("photos");
    std::fs::create_dir(&photos).unwrap();
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/real-photos");
    for name in ["02-fog-pier.jpg", "05-boats-sunset.jpg", "10-forest-path.jpg"] {
        std::fs::copy(real.join(name), photos.join(name)).unwrap();
    }
    std::fs::write(
        photos.join("04-corrupt.jpg"),
        b"\xff\xd8\xff\xe0 not really a jpeg",
    )
    .unwrap();
    std::fs::write(photos.join("06-empty.png"), b"").unwrap();
    std::fs::write(photos.join("notes.txt"), b"not a photo").unwrap();
    photos
}

/// `walk PHOTOS --path walk.json --seed 3 -o OUT`.
fn walk_args<'a>(photos: &'a Path, out: &'a str) -> [&'a str; 8] {
    let photos = photos.to_str().unwrap();
    ["walk", photos, "--path", "walk.json", "--seed", "3", "-o", out]
}

fn layout(dir: &Path, photos: &Path) -> serde_json::Value {
    let o = run_in(
        dir,
        &["maze", photos.to_str().unwrap(), "--layout", "--seed", "3"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn the_layout_lists_every_photo_with_its_place_and_the_same_seed_gives_the_same_maze() {
    let dir = tempfile::tempdir().unwrap();
    let photos = folder(dir.path());
    let l = layout(dir.path(), &photos);
    let hung = l["photos"].as_array().unwrap();
    let files: Vec<&str> = hung.iter().map(|p| p["file"].as_str().unwrap()).collect();
    assert_eq!(
        files,
        [
            "02-fog-pier.jpg",
            "04-corrupt.jpg",
            "05-boats-sunset.jpg",
            "06-empty.png",
            "10-forest-path.jpg"
        ]
    );
    for p in hung {
        for field in ["x", "y", "facing"] {
            assert!(p[field].is_number(), "{field} in {p}");
        }
    }
    assert_eq!(l, layout(dir.path(), &photos));
}

#[test]
fn a_walk_renders_a_binaural_wav_and_a_broken_photo_is_a_silent_wall() {
    let dir = tempfile::tempdir().unwrap();
    let photos = folder(dir.path());
    let l = layout(dir.path(), &photos);
    let (sx, sy) = (
        l["start"]["x"].as_f64().unwrap(),
        l["start"]["y"].as_f64().unwrap(),
    );
    let walk = format!(
        r#"{{"keys": [{{"t": 0, "x": {sx}, "y": {sy}, "heading": 0}}, {{"t": 6, "x": {sx}, "y": {sy}, "heading": 270}}]}}"#
    );
    std::fs::write(dir.path().join("walk.json"), walk).unwrap();
    let o = run_in(dir.path(), &walk_args(&photos, "w.wav"));
    assert!(o.status.success(), "{}", stderr(&o));
    let warnings = stderr(&o);
    assert!(
        warnings.contains("04-corrupt.jpg") && warnings.contains("06-empty.png"),
        "{warnings}"
    );
    let mut reader = hound::WavReader::open(dir.path().join("w.wav")).unwrap();
    assert_eq!((reader.spec().channels, reader.spec().sample_rate), (2, 48_000));
    let samples: Vec<f32> = reader
        .samples::<i16>()
        .map(|s| s.unwrap() as f32 / 32768.0)
        .collect();
    assert_eq!(samples.len(), 6 * 48_000 * 2);
    let rms =
        (samples[samples.len() / 2..].iter().map(|v| v * v).sum::<f32>() / (samples.len() / 2) as f32).sqrt();
    assert!(rms > 0.005, "the photos near the start are heard: rms {rms}");
    // The two ears differ: it is binaural, not two copies.
    assert!(samples.chunks_exact(2).any(|f| (f[0] - f[1]).abs() > 1e-3));
    // Same folder, walk and seed: the same bytes.
    let again = walk_args(&photos, "again.wav");
    assert!(run_in(dir.path(), &again).status.success());
    assert_eq!(
        std::fs::read(dir.path().join("w.wav")).unwrap(),
        std::fs::read(dir.path().join("again.wav")).unwrap()
    );
}

#[test]
fn bad_walks_and_folders_get_one_line_and_no_wav() {
    let dir = tempfile::tempdir().unwrap();
    let photos = folder(dir.path());
    let p = photos.to_str().unwrap();
    let cases: [(&str, &str); 4] = [
        (r#"{"keys": []}"#, "\"keys\" is empty"),
        (r#"{"keys": [{"t": 0, "x": 1, "y": 1}]}"#, "heading"),
        (
            r#"{"keys": [{"t": 2, "x": 1, "y": 1, "heading": 0}, {"t": 1, "x": 1, "y": 1, "heading": 0}]}"#,
            "keys[1].t",
        ),
        ("not json", "walk.json"),
    ];
    for (walk, what) in cases {
        std::fs::write(dir.path().join("walk.json"), walk).unwrap();
        let o = run_in(dir.path(), &["walk", p, "--path", "walk.json", "-o", "bad.wav"]);
        assert_one_line_failure(&o, what);
        assert!(!dir.path().join("bad.wav").exists(), "no WAV after {walk:?}");
    }
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let o = run_in(dir.path(), &["maze", empty.to_str().unwrap(), "--layout"]);
    assert_one_line_failure(&o, "no photos here");
    std::fs::write(
        dir.path().join("walk.json"),
        r#"{"keys": [{"t": 1, "x": 1, "y": 1, "heading": 0}]}"#,
    )
    .unwrap();
    let o = run_in(dir.path(), &["walk", "missing-folder", "--path", "walk.json"]);
    assert_one_line_failure(&o, "missing-folder");
}

#[test]
fn one_photo_makes_a_small_maze_with_that_photo() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one");
    std::fs::create_dir(&one).unwrap();
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/real-photos/02-fog-pier.jpg");
    std::fs::copy(real, one.join("pier.jpg")).unwrap();
    let l = layout(dir.path(), &one);
    assert_eq!(l["photos"].as_array().unwrap().len(), 1);
    assert_eq!((l["columns"].as_u64(), l["rows"].as_u64()), (Some(2), Some(2)));
}
