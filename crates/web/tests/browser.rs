//! The page in a real headless Chromium (Debian's, driven by playwright-core from
//! `tools/webtest/page.mjs`) against a real server on loopback: a 12-megapixel upload plays
//! through the WebAssembly engine, dots are drawn, downloads parse, a gallery walk
//! cross-fades without a click; then the same page against a server that offers no engine
//! plays the server's WAV. Screenshots and downloads land in `target/web-test/`.
//!
//! Needs node, Chromium, `tools/webtest/node_modules` and the embedded WebAssembly engine —
//! `scripts/test.sh` installs and builds them. Without them the test is skipped locally and
//! fails under CI (CI=true), so it cannot pass by not running there.

mod common;

use common::{browser_available, root, start_server};
use std::process::Command;

#[test]
fn the_page_plays_a_dropped_photo_in_chromium() {
    if !browser_available("browser test") {
        return;
    }
    let out = root().join("target/web-test");
    std::fs::create_dir_all(&out).unwrap();
    let photo = out.join("photo-12mp.jpg");
    std::fs::write(&photo, photophone::large_test_jpeg(4000, 3000)).unwrap();

    // With the engine, then as a server without it would answer (server-rendered WAVs).
    for (engine, wasm_engine) in [("wasm", true), ("server", false)] {
        let addr = start_server(photophone_web::Limits {
            wasm_engine,
            ..Default::default()
        });
        let dir = out.join(engine);
        let run = Command::new("node")
            .arg(root().join("tools/webtest/page.mjs"))
            .arg(format!("http://{addr}/"))
            .arg(&dir)
            .arg(&photo)
            .arg(engine)
            .output()
            .expect("run node");
        let stdout = String::from_utf8_lossy(&run.stdout);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(
            run.status.success(),
            "page test ({engine}) failed:\n{stderr}\n{stdout}"
        );
        let result: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
        eprintln!("page test ({engine}): {result}");
        assert_eq!(result["engine"], engine);
        assert!(
            dir.join("page.png").metadata().unwrap().len() > 10_000,
            "screenshot saved"
        );
    }
}
