//! What the browser tests share: the repository root, whether the browser test can run here,
//! and a real server on loopback.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Whether the browser tests can run: without node, Chromium, `tools/webtest/node_modules`
/// or the embedded WebAssembly engine they are skipped locally and fail under CI (CI=true),
/// so they cannot pass by not running there.
pub fn browser_available(test: &str) -> bool {
    let missing = missing();
    if missing.is_empty() {
        return true;
    }
    let msg = format!(
        "{test} needs: {}; scripts/test.sh installs them",
        missing.join(", ")
    );
    assert!(std::env::var_os("CI").is_none(), "{msg}");
    eprintln!("skipping: {msg}");
    false
}

fn missing() -> Vec<String> {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let mut missing = Vec::new();
    if !Path::new(&chromium).exists() {
        missing.push(format!("Chromium at {chromium} (apt install chromium)"));
    }
    if Command::new("node").arg("--version").output().is_err() {
        missing.push("node".into());
    }
    if !root().join("tools/webtest/node_modules/playwright-core").is_dir() {
        missing.push("tools/webtest/node_modules (npm ci in tools/webtest)".into());
    }
    if !photophone_web::has_wasm_engine() {
        missing.push("the WebAssembly engine (scripts/build-wasm.sh, then rebuild)".into());
    }
    missing
}

/// Runs a `tools/webtest` script under node with these arguments; the JSON line it prints
/// last (its measurements). Fails with its output when it fails.
pub fn run_page_script(script: &str, args: &[&std::ffi::OsStr], what: &str) -> serde_json::Value {
    let run = Command::new("node")
        .arg(root().join("tools/webtest").join(script))
        .args(args)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{what} failed:\n{stderr}\n{stdout}");
    serde_json::from_str(stdout.lines().last().unwrap()).unwrap()
}

/// A real server on a free loopback port, on a thread of its own.
pub fn start_server(limits: photophone_web::Limits) -> std::net::SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let addr = "127.0.0.1:0".parse().unwrap();
        runtime
            .block_on(photophone_web::serve(addr, limits, move |a| {
                tx.send(a).unwrap();
            }))
            .unwrap();
    });
    rx.recv_timeout(Duration::from_secs(10)).expect("server starts")
}
