#!/usr/bin/env bash
# Issue 13, measure 3 (identity): 10 photos rendered through each of two timbres learnt by
# bench/timbre.sh; a nearest-centroid classifier on MFCC means/variances, fitted on the two
# training clips, names the timbre of each render. Twice: the full render (`render --timbre`,
# the timbre's lead and bass over the rest of the arrangement) and the timbre's lines alone
# (crates/photophone/examples/timbre_lines.rs), which separates the timbre's own identity from
# the arrangement's masking of it.
# Usage: bench/timbre_identity.sh [A B]   (default: flute guitar; PHOTOS="head -10" picks the
# photos from testdata/real-photos/*.jpg)
set -euo pipefail
cd "$(dirname "$0")/.."
a=${1:-flute}
b=${2:-guitar}
out=target/timbre-bench
# (Three commands: `--example` limits every package named in one command to that example, so
# the CLI would not be rebuilt.)
cargo build --release -q -p photophone-cli
cargo build --release -q -p photophone-timbre --example timbre_measure
cargo build --release -q -p photophone --features timbre --example timbre_lines
photos=$(ls testdata/real-photos/*.jpg | ${PHOTOS:-head -10})
for t in "$a" "$b"; do
  rm -rf "$out/renders-$t" "$out/lines-$t"
  mkdir -p "$out/renders-$t" "$out/lines-$t"
  for p in $photos; do
    name=$(basename "$p" .jpg)
    /usr/bin/time -f "%e" -a -o "$out/renders-$t.times" target/release/photophone render "$p" \
      --timbre "$out/$t.timbre" -o "$out/renders-$t/$name.wav" 2>/dev/null
    target/release/examples/timbre_lines "$p" "$out/$t.timbre" "$out/lines-$t/$name.wav"
  done
  echo "$t: 30-s renders, wall seconds: $(tr '\n' ' ' < "$out/renders-$t.times")"
  rm -f "$out/renders-$t.times"
done
for kind in renders lines; do
  target/release/examples/timbre_measure identity "$out/$a.train.wav" "$out/$b.train.wav" \
    "$out/$kind-$a" "$out/$kind-$b" > "$out/identity-$kind-$a-$b.json"
  python3 - "$out/identity-$kind-$a-$b.json" "$kind" "$a" "$b" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
wrong = [x["file"] for x in r["assignments"] if x["assigned"] != x["timbre"]]
print(f"{sys.argv[3]}/{sys.argv[4]} {sys.argv[2]}: {100 * r['accuracy']:.0f} % right "
      f"({100 * r['accuracy_with_level']:.0f} % with c0's mean, the level); wrong: {wrong}")
PY
done
