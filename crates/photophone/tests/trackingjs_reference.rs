//! The classic style's FAST must be tracking.js 1.1.3's, corner for corner. This runs
//! tracking.js itself under node (installed by scripts/bootstrap.sh into tools/trackingjs)
//! on the very pixels photophone decoded, and compares.

mod common;

use photophone::analysis::trackingjs;
use std::path::PathBuf;
use std::process::Command;

fn tool_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/trackingjs")
}

/// `None` (with the reason printed) when node or tracking.js is missing outside CI.
fn reference_available() -> Option<()> {
    let node = Command::new("node").arg("--version").output();
    let module = tool_dir().join("node_modules/tracking/build/tracking.js");
    let missing = match node {
        Err(_) => Some("node is not installed".to_string()),
        Ok(_) if !module.exists() => Some(format!(
            "{} is missing (run scripts/bootstrap.sh)",
            module.display()
        )),
        Ok(_) => None,
    };
    match missing {
        None => Some(()),
        Some(why) if std::env::var_os("CI").is_some() => {
            panic!("tracking.js reference must run in CI: {why}")
        }
        Some(why) => {
            eprintln!("SKIPPED: tracking.js reference test: {why}");
            None
        }
    }
}

fn reference(img: &image::RgbImage) -> (Vec<u8>, Vec<(u32, u32)>) {
    let rgba = image::DynamicImage::ImageRgb8(img.clone()).into_rgba8();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), rgba.as_raw()).unwrap();
    let out = Command::new("node")
        .arg(tool_dir().join("corners.js"))
        .arg(file.path())
        .arg(img.width().to_string())
        .arg(img.height().to_string())
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let gray = base64_decode(v["gray"].as_str().unwrap());
    let flat: Vec<u32> = v["corners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect();
    (gray, flat.chunks(2).map(|c| (c[0], c[1])).collect())
}

fn base64_decode(s: &str) -> Vec<u8> {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|&c| c != b'=') {
        acc = (acc << 6) | A.iter().position(|&a| a == c).unwrap() as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

#[test]
fn classic_fast_matches_tracking_js_exactly() {
    if reference_available().is_none() {
        return;
    }
    let mut photos = common::real_photos();
    photos.push(common::stormy());
    for photo in photos {
        let img = photo.full.as_ref().unwrap();
        let (js_gray, js_corners) = reference(img);
        let gray = trackingjs::grayscale(img);
        assert!(
            gray == js_gray,
            "{}: grayscale differs from tracking.Image.grayscale",
            photo.name
        );
        let corners = trackingjs::find_corners(&gray, img.width() as usize, img.height() as usize, 40);
        assert!(!corners.is_empty());
        assert_eq!(corners, js_corners, "{}: corner lists differ", photo.name);
        eprintln!(
            "{}: {} corners identical to tracking.js",
            photo.name,
            corners.len()
        );
    }
}
