#!/usr/bin/env bash
# Time from choosing a 12-megapixel photo in the page (headless Chromium) to the first block
# the WebAssembly engine renders in the AudioWorklet: upload + server analysis + score
# transfer + engine start. Runs the page test (crates/web/tests/browser.rs) RUNS times.
# Usage: bench/web_latency.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
scripts/bootstrap.sh >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F); $(/usr/bin/chromium --version 2>/dev/null)"
for _ in $(seq "$runs"); do
  cargo test -q --release -p photophone-web --test browser -- --nocapture 2>&1 \
    | sed -n 's/^page test: //p' \
    | python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); print("%.0f ms to the first engine block (context base latency %.0f ms)" % (r["latencyMs"], r.get("baseLatencyMs", 0)))'
done
