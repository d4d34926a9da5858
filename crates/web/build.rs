//! Embeds the WebAssembly engine (built by `scripts/build-wasm.sh` into `pkg/`) when it is
//! there; without it the server still runs and the page falls back to server-rendered WAVs.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(embedded_wasm)");
    println!("cargo::rerun-if-changed=pkg/photophone_wasm.js");
    println!("cargo::rerun-if-changed=pkg/photophone_wasm_bg.wasm");
    let dir = std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo")).join("pkg");
    if dir.join("photophone_wasm.js").is_file() && dir.join("photophone_wasm_bg.wasm").is_file() {
        println!("cargo::rustc-cfg=embedded_wasm");
    }
}
