//! `photophone render DIR_OR_PHOTOS… --out-dir OUT`: many photos on all cores, bad ones
//! reported and skipped, finished ones not redone, an interrupted batch resumable.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn real_photo(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/real-photos")
        .join(name)
}

/// A library: three photos, a subfolder with a fourth, a broken "photo" and a text file.
fn library(root: &Path) -> PathBuf {
    let lib = root.join("library");
    std::fs::create_dir_all(lib.join("trip")).unwrap();
    for name in [
        "01-jetty-lake-clouds.jpg",
        "02-fog-pier.jpg",
        "03-colorful-cups.jpg",
    ] {
        std::fs::copy(real_photo(name), lib.join(name)).unwrap();
    }
    std::fs::copy(fixture("chelsea.png"), lib.join("trip/cat.png")).unwrap();
    std::fs::write(lib.join("trip/broken.jpg"), b"not really a jpeg").unwrap();
    std::fs::write(lib.join("notes.txt"), b"not a photo, not even named like one").unwrap();
    lib
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path.to_string_lossy().into_owned());
        }
    }
    out.sort();
    out
}

fn summary(stderr: &str) -> &str {
    stderr
        .lines()
        .find(|l| l.contains(" rendered, "))
        .unwrap_or_else(|| panic!("no summary in {stderr}"))
}

#[test]
fn a_folder_renders_in_parallel_keeps_its_layout_and_reports_bad_photos() {
    let dir = tempfile::tempdir().unwrap();
    let lib = library(dir.path());
    let out = dir.path().join("music");
    let args = [
        "render",
        lib.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
        "--seconds",
        "2",
    ];
    let o = run_in(dir.path(), &args);
    let err = stderr(&o);
    assert!(!o.status.success(), "a failed photo makes the batch fail: {err}");
    assert!(
        summary(&err).contains("4 rendered, 0 already there (--force redoes them), 1 failed"),
        "{err}"
    );
    let broken: Vec<&str> = err.lines().filter(|l| l.contains("broken.jpg")).collect();
    assert_eq!(broken.len(), 1, "{err}");
    assert!(
        broken[0].starts_with("photophone: error: ") && broken[0].contains("not an image"),
        "{err}"
    );
    assert!(
        err.lines().last().unwrap().contains("1 of 5 photos failed"),
        "{err}"
    );
    let made = files_under(&out);
    let expected: Vec<String> = [
        "01-jetty-lake-clouds.wav",
        "02-fog-pier.wav",
        "03-colorful-cups.wav",
        "trip/cat.wav",
    ]
    .iter()
    .map(|n| out.join(n).to_string_lossy().into_owned())
    .collect();
    assert_eq!(
        made, expected,
        "one WAV per photo, the folder's layout kept, no temporary files"
    );

    // Each WAV is exactly what rendering that photo alone gives.
    let single = dir.path().join("single.wav");
    let cat = lib.join("trip/cat.png");
    let o = run_in(
        dir.path(),
        &[
            "render",
            cat.to_str().unwrap(),
            "-o",
            single.to_str().unwrap(),
            "--seconds",
            "2",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(&single).unwrap(),
        std::fs::read(out.join("trip/cat.wav")).unwrap()
    );

    // Again: nothing to redo (the WAVs are untouched); --force redoes them, identically.
    let before = std::fs::metadata(out.join("02-fog-pier.wav"))
        .unwrap()
        .modified()
        .unwrap();
    let o = run_in(dir.path(), &args);
    assert!(
        summary(&stderr(&o)).contains("0 rendered, 4 already there"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::metadata(out.join("02-fog-pier.wav"))
            .unwrap()
            .modified()
            .unwrap(),
        before
    );
    std::fs::remove_file(lib.join("trip/broken.jpg")).unwrap();
    let cat_wav = std::fs::read(out.join("trip/cat.wav")).unwrap();
    let o = run_in(dir.path(), &[&args[..], &["--force", "--jobs", "1"]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let line = summary(&stderr(&o)).to_string();
    assert!(
        line.contains("4 rendered, 0 already there") && line.contains(" 0 failed"),
        "{line}"
    );
    assert_eq!(std::fs::read(out.join("trip/cat.wav")).unwrap(), cat_wav);
}

#[test]
fn named_photos_and_bad_requests() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    std::fs::copy(real_photo("02-fog-pier.jpg"), a.join("pier.jpg")).unwrap();
    std::fs::copy(real_photo("03-colorful-cups.jpg"), b.join("pier.jpg")).unwrap();
    std::fs::copy(fixture("rocket.jpg"), b.join("rocket.jpg")).unwrap();
    let s = |p: &Path| p.to_str().unwrap().to_string();

    let o = run_in(
        dir.path(),
        &[
            "render",
            &s(&a.join("pier.jpg")),
            &s(&b.join("rocket.jpg")),
            "--out-dir",
            "out",
            "--seconds",
            "1",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(dir.path().join("out/pier.wav").is_file() && dir.path().join("out/rocket.wav").is_file());

    let same_stem = run_in(
        dir.path(),
        &[
            "render",
            &s(&a.join("pier.jpg")),
            &s(&b.join("pier.jpg")),
            "--out-dir",
            "clash",
        ],
    );
    assert_one_line_failure(&same_stem, "would both write");
    assert!(
        !dir.path().join("clash").exists(),
        "nothing made before the plan is sound"
    );
    assert_one_line_failure(&run_in(dir.path(), &["render", &s(&a), &s(&b)]), "give --out-dir");
    assert_one_line_failure(
        &run_in(dir.path(), &["render", "--out-dir", "x"]),
        "needs photos or folders",
    );
    assert_one_line_failure(
        &run_in(dir.path(), &["render", "nowhere", "--out-dir", "x"]),
        "nowhere: no such file or folder",
    );
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    assert_one_line_failure(
        &run_in(dir.path(), &["render", &s(&empty), "--out-dir", "x"]),
        "no photos in this folder",
    );
    // Flags clap refuses get clap's usage message.
    let o = run_in(dir.path(), &["render", &s(&a), "--out-dir", "x", "--jobs", "0"]);
    assert!(
        !o.status.success() && stderr(&o).contains("0 is not in 1..=1024"),
        "{}",
        stderr(&o)
    );
    let o = run_in(dir.path(), &["render", &s(&a), "--out-dir", "o", "-o", "x.wav"]);
    assert!(
        !o.status.success() && stderr(&o).contains("cannot be used with"),
        "{}",
        stderr(&o)
    );
}

#[cfg(target_os = "linux")]
#[test]
fn ctrl_c_finishes_the_photos_in_progress_and_a_rerun_completes_the_batch() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("many");
    std::fs::create_dir(&lib).unwrap();
    let sources = [
        "01-jetty-lake-clouds.jpg",
        "02-fog-pier.jpg",
        "03-colorful-cups.jpg",
    ];
    for i in 0..24 {
        std::fs::copy(real_photo(sources[i % 3]), lib.join(format!("photo-{i:02}.jpg"))).unwrap();
    }
    let out = dir.path().join("out");
    let args = [
        "render",
        lib.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
        "--seconds",
        "30",
        "--jobs",
        "2",
    ];
    let child = bin()
        .current_dir(dir.path())
        .args(args)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while (!out.is_dir() || files_under(&out).iter().all(|f| !f.ends_with(".wav")))
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let o = child.wait_with_output().unwrap();
    let err = stderr(&o);
    assert!(!o.status.success(), "{err}");
    assert!(err.lines().last().unwrap().contains("interrupted"), "{err}");
    let done = files_under(&out);
    assert!(!done.is_empty() && done.len() < 24, "stopped part-way: {done:?}");
    assert!(
        done.iter().all(|f| f.ends_with(".wav")),
        "no temporary files left: {done:?}"
    );
    for f in &done {
        let reader = hound::WavReader::open(f).unwrap();
        assert_eq!(reader.len(), 30 * 44_100 * 2, "{f} is whole");
    }
    let o = run_in(dir.path(), &args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(summary(&stderr(&o)).contains(&format!(
        "{} rendered, {} already there",
        24 - done.len(),
        done.len()
    )));
    assert_eq!(files_under(&out).len(), 24);
}
