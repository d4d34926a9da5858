#!/usr/bin/env bash
# Runs every test: installs what the tests need first (scripts/bootstrap.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
cargo test --workspace --release "$@"
