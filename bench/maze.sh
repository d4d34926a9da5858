#!/usr/bin/env bash
# The maze engine's cost per quantum, natively and as WebAssembly in Chromium, for 8, 32 and
# 64 voices (issue 21's goal: 64 natively and 32 in WebAssembly within 1.33 ms, half of a
# 128-frame quantum at 48 kHz). Note: performance.now() in a page is coarsened to 0.1 ms
# (Chromium without cross-origin isolation); medians over 3000 quanta are still meaningful.
# Usage: bench/maze.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F); $(/usr/bin/chromium --version 2>/dev/null)"
echo "native (cargo run --release -p photophone-maze --example maze_cost):"
cargo run -q --release -p photophone-maze --example maze_cost
cargo build -q --release -p photophone-cli
port=18123
target/release/photophone serve --addr 127.0.0.1:$port 2>/dev/null &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 50); do curl -sf http://127.0.0.1:$port/api/health >/dev/null && break; sleep 0.2; done
echo "WebAssembly in Chromium (tools/webtest/maze_cost.mjs):"
node tools/webtest/maze_cost.mjs http://127.0.0.1:$port/ testdata/real-photos
