#!/usr/bin/env bash
# Runs every test: installs what the tests need first (scripts/bootstrap.sh; .venv for the
# Python package via scripts/python-env.sh), then the Rust and the Python tests
# (crates/python/tests, which start their own MongoDB-compatible test server).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
# The tests build without cross-crate (thin) LTO: with it every one of the ~40 test and example
# binaries is an LTO link of 20–55 s, and a change to the engine costs 8.5 min to rebuild
# instead of 1.7 (2 cores, 2026-11-26). LTO changes speed (2–11 % on a render), not results;
# benchmarks and `cargo run --release` keep it (its artefacts are kept apart by cargo).
export CARGO_PROFILE_RELEASE_LTO=false
cargo test --workspace --release "$@"
# The binary the Python tests compare against (the tests above built it with the same
# features, so this only checks it is current).
cargo build --release -p photophone-cli
scripts/python-env.sh
.venv/bin/python -m pytest crates/python/tests -q -p no:cacheprovider
