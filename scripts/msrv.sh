#!/usr/bin/env bash
# Checks that the workspace builds with the rust-version it declares (Cargo.toml): the oldest
# toolchain the locked dependencies accept (1.89: nalgebra, fundsp's resampler and wide).
set -euo pipefail
cd "$(dirname "$0")/.."
msrv=$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' Cargo.toml)
rustup toolchain install "$msrv" --profile minimal >/dev/null
# A target folder of its own: another compiler's artefacts would evict the release build's.
CARGO_TARGET_DIR=target/msrv cargo +"$msrv" check --workspace --all-targets --locked
