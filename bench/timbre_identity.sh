#!/usr/bin/env bash
# Issue 13, measure 3 (identity): 10 photos rendered through each of two timbres learnt by
# bench/timbre.sh; a nearest-centroid classifier on MFCC means/variances, fitted on the two
# training clips, names the timbre of each render.
# Usage: bench/timbre_identity.sh [A B]   (default: flute guitar)
set -euo pipefail
cd "$(dirname "$0")/.."
a=${1:-flute}
b=${2:-guitar}
out=target/timbre-bench
cargo build --release -q -p photophone-cli -p photophone-timbre --example timbre_measure
photos=$(ls testdata/real-photos/*.jpg | head -10)
for t in "$a" "$b"; do
  rm -rf "$out/renders-$t"
  mkdir -p "$out/renders-$t"
  for p in $photos; do
    /usr/bin/time -f "%e" -a -o "$out/renders-$t.times" target/release/photophone render "$p" \
      --timbre "$out/$t.timbre" -o "$out/renders-$t/$(basename "$p" .jpg).wav" 2>/dev/null
  done
  echo "$t: 30-s renders, wall seconds: $(tr '\n' ' ' < "$out/renders-$t.times")"
  rm -f "$out/renders-$t.times"
done
target/release/examples/timbre_measure identity "$out/$a.train.wav" "$out/$b.train.wav" \
  "$out/renders-$a" "$out/renders-$b" | tee "$out/identity.json"
