#!/usr/bin/env bash
# Benchmarks the issue's targets on this machine:
#  1. a 12-megapixel JPEG rendered to 30 s of stereo 44.1 kHz, whole process wall time,
#     with each stage (decode, analysis, composition, synthesis, encode+write);
#  2. the first 4096-frame block of a stream after the photo is decoded.
# Usage: bench/render.sh [RUNS]   (results go to stdout; copy them into BENCHMARKS.md)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-15}
out=bench/out
mkdir -p "$out"
cargo build --release -q -p photophone-cli
cargo build --release -q -p photophone --examples
[ -f "$out/photo12mp.jpg" ] || target/release/examples/make_photo "$out/photo12mp.jpg"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)"
echo "photo: $out/photo12mp.jpg ($(stat -c %s "$out/photo12mp.jpg") bytes, 4000x3000)"
walls=()
for i in $(seq "$runs"); do
  start=$(date +%s%N)
  stages=$(target/release/photophone render "$out/photo12mp.jpg" -o "$out/photo12mp.wav" --timings 2>&1 | head -1)
  end=$(date +%s%N)
  walls+=($(( (end - start) / 1000000 )))
  [ "$i" -eq 1 ] && echo "stages (run 1): $stages"
done
sorted=$(printf '%s\n' "${walls[@]}" | sort -n)
echo "whole process wall, ms over $runs runs: median $(echo "$sorted" | sed -n "$(( (runs + 1) / 2 ))p"), min $(echo "$sorted" | head -1), max $(echo "$sorted" | tail -1)"
echo "stages (last run): $(target/release/photophone render "$out/photo12mp.jpg" -o "$out/photo12mp.wav" --timings 2>&1 | head -1)"
target/release/examples/stream_latency "$out/photo12mp.jpg" 20
