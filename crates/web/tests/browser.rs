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

use common::{browser_available, root, run_page_script, start_server};

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
        let url = format!("http://{addr}/");
        let args = [url.as_ref(), dir.as_os_str(), photo.as_os_str(), engine.as_ref()];
        let result = run_page_script("page.mjs", &args, &format!("page test ({engine})"));
        eprintln!("page test ({engine}): {result}");
        assert_eq!(result["engine"], engine);
        assert!(
            dir.join("page.png").metadata().unwrap().len() > 10_000,
            "screenshot saved"
        );
    }
}
