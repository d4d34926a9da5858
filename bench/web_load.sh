#!/usr/bin/env bash
# Load on `photophone serve` over loopback: 50 concurrent uploads of a 12-megapixel JPEG to
# each API endpoint (bounded: 50 requests per endpoint), then the server's peak memory.
# Usage: bench/web_load.sh [REQUESTS] [CONCURRENCY]
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-50}
concurrency=${2:-50}
scripts/build-wasm.sh
cargo build --release -q -p photophone-cli
cargo build --release -q -p photophone --examples
mkdir -p bench/out
[ -f bench/out/photo-12mp.jpg ] || target/release/examples/make_photo bench/out/photo-12mp.jpg
target/release/photophone serve --addr 127.0.0.1:0 > bench/out/serve.out 2> bench/out/serve.err &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s bench/out/serve.out ] && break; sleep 0.1; done
url=$(head -1 bench/out/serve.out)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F); server $url, photo $(wc -c < bench/out/photo-12mp.jpg) bytes (4000x3000)"
for endpoint in "api/analyze" "api/render?seconds=30" "api/midi"; do
  node bench/web_load.mjs "$url" bench/out/photo-12mp.jpg "$endpoint" "$requests" "$concurrency"
done
echo "server peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$pid/status)"
