#!/usr/bin/env bash
# Builds the in-page synthesis engine (crates/wasm) to WebAssembly and writes the
# wasm-bindgen output to crates/web/pkg/, which `photophone serve` embeds when it is built.
# Installs what is missing: the wasm32 target (rustup) and wasm-bindgen-cli at exactly the
# version in Cargo.lock (cargo install into target/tools). Run it before building the server.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "build-wasm: adding the wasm32-unknown-unknown target" >&2
  rustup target add wasm32-unknown-unknown >&2
fi

version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
bindgen=target/tools/bin/wasm-bindgen
if [ ! -x "$bindgen" ] || [ "$("$bindgen" --version | awk '{print $2}')" != "$version" ]; then
  echo "build-wasm: installing wasm-bindgen-cli $version into target/tools (a few minutes, once)" >&2
  cargo install -q wasm-bindgen-cli --version "$version" --root target/tools >&2
fi

cargo build -q --release -p photophone-wasm --lib --target wasm32-unknown-unknown
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bindgen" --target web --no-typescript --out-dir "$tmp" target/wasm32-unknown-unknown/release/photophone_wasm.wasm
mkdir -p crates/web/pkg
# Replace both files only when both were produced (the server embeds them as a pair).
for f in photophone_wasm.js photophone_wasm_bg.wasm; do
  cmp -s "$tmp/$f" "crates/web/pkg/$f" || cp "$tmp/$f" "crates/web/pkg/$f.new"
done
for f in photophone_wasm.js photophone_wasm_bg.wasm; do
  [ -f "crates/web/pkg/$f.new" ] && mv "crates/web/pkg/$f.new" "crates/web/pkg/$f"
done
echo "build-wasm: crates/web/pkg/photophone_wasm_bg.wasm ($(wc -c < crates/web/pkg/photophone_wasm_bg.wasm) bytes)" >&2
