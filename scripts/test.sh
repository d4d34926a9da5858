#!/usr/bin/env bash
# Runs every test: installs what the tests need first (scripts/bootstrap.sh; .venv for the
# Python package via scripts/python-env.sh), then the Rust tests, then the Python tests
# (crates/python/tests, which start their own MongoDB-compatible test server).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
cargo test --workspace --release "$@"
cargo check --release -p photophone-cli --features playback   # the optional cpal audio output builds
cargo build --release -p photophone-cli   # the binary the Python tests compare against
scripts/python-env.sh
.venv/bin/python -m pytest crates/python/tests -q -p no:cacheprovider
