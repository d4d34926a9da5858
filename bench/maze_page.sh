#!/usr/bin/env bash
# The maze page's goals in headless Chromium (issue 21 §3–4), measured by the page test with
# the goals as its limits (MAZE_GOALS=1): 24 dropped 12-MP photos → first sound ≤ 1 s, every
# wall textured ≤ 5 s; a 60-s walk through 64 photos with no underrun and ≤ 4 ms of script per
# frame; 200 photos: page ≤ 500 MB, server ≤ 300 MB. Prints the test's measurements.
# Usage: bench/maze_page.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1}
scripts/bootstrap.sh >/dev/null
export CARGO_PROFILE_RELEASE_LTO=false
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F); $(/usr/bin/chromium --version 2>/dev/null)"
for _ in $(seq "$runs"); do
  MAZE_GOALS=1 cargo test -q --release -p photophone-web --test maze_browser -- --nocapture 2>&1 | grep -E '^maze test|test result|panicked|FAILED'
done
