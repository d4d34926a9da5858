#!/usr/bin/env bash
# Checks that the workspace builds with the rust-version it declares (Cargo.toml): the oldest
# toolchain the locked dependencies accept (1.89: nalgebra, fundsp's resampler and wide).
# Where rustup cannot fetch that toolchain (no route to static.rust-lang.org), it says so in
# one line and checks nothing rather than failing the run for a network reason.
set -euo pipefail
cd "$(dirname "$0")/.."
msrv=$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' Cargo.toml)
if ! rustup toolchain install "$msrv" --profile minimal >/dev/null 2>&1; then
  echo "msrv: could not install Rust $msrv with rustup (offline?): rust-version NOT checked" >&2
  exit 0
fi
# A target folder of its own: another compiler's artefacts would evict the release build's.
CARGO_TARGET_DIR=target/msrv cargo +"$msrv" check --workspace --all-targets --locked
