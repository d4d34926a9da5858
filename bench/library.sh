#!/usr/bin/env bash
# The photo-library benchmark (issue 11), in one run on this machine: 200 JPEGs of 2–12 MP
# (made from testdata/real-photos by the make_library example), 30-s renders, through the Beam
# pipeline on 1 and 2 workers, a plain Python loop, `photophone render DIR --out-dir` on 2
# cores, and the test server's raw read rate; the reader alone against Beam's
# ReadFromMongoDB(bucket_auto=True); a worker's peak memory for 200 and 10,000 photos.
# Usage: bench/library.sh [COUNT] [LARGE]   (defaults 200 and 10000, LARGE 0 skips the memory runs;
#        results in bench/out/library/library.json)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-200}
large=${2:-10000}
work=bench/out/library
cargo build --release -q -p photophone-cli
cargo build --release -q -p photophone --example make_library
scripts/python-env.sh
photos="$work/photos-$count"
if [ "$(ls "$photos" 2>/dev/null | wc -l)" -ne "$count" ]; then
  rm -rf "$photos"
  target/release/examples/make_library "$photos" "$count"
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB, $(date -u +%F)"
echo "photos: $count JPEGs, $(du -sh "$photos" | cut -f1) in $photos"
.venv/bin/python bench/library.py --photos "$photos" --small-photos testdata/real-photos \
  --cli target/release/photophone --work "$work" --large-library "$large"
