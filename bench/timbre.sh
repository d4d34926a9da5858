#!/usr/bin/env bash
# Issue 13's timbre measures 1, 2, 4, 5 and 6 (of a score played by the timbre alone), per instrument:
# learn a timbre from the first 80 % of a ~2.5-minute monophonic phrase (made by
# scripts/make-timbre-clips.sh), re-synthesise the held-back last 20 % from its own pitch and
# loudness, and compare (crates/timbre/examples/timbre_measure.rs). Nothing is tuned on the
# held-back part.
# Usage: bench/timbre.sh [INSTRUMENT...]   (default: flute guitar; MINUTES=10 per timbre)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${MINUTES:-10}
clips=target/timbre-clips
out=target/timbre-bench
[ -f "$clips/flute.notes.txt" ] || scripts/make-timbre-clips.sh "$clips" >/dev/null
# (Two commands: `--example` limits every package named in one command to that example.)
cargo build --release -q -p photophone-cli
cargo build --release -q -p photophone-timbre --example timbre_measure
mkdir -p "$out"
for name in "${@:-flute guitar}"; do
  for n in $name; do
    python3 bench/timbre_split.py "$clips/$n.wav" "$clips/$n.onsets.txt" 0.8 \
      "$out/$n.train.wav" "$out/$n.held.wav" "$out/$n.held.onsets.txt"
    rm -rf "$out/$n.timbre"
    start=$(date +%s.%N)
    target/release/photophone timbre learn "$out/$n.train.wav" --out "$out/$n.timbre" \
      --minutes "$minutes" --batch 8 2>&1 | tail -1
    end=$(date +%s.%N)
    echo "$n: learnt in $(echo "$end - $start" | bc) s wall"
    # Measure 1: the loss curve, mean per minute; plateau = under 2 % better than the minute before.
    python3 - "$out/$n.timbre/metrics.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
per, prev = {}, None
for r in rows:
    per.setdefault(int(r["seconds"] // 60), []).append(r["loss"])
for m in sorted(per):
    mean = sum(per[m]) / len(per[m])
    note = "" if prev is None else f"  {100 * (prev - mean) / prev:+.1f} %"
    print(f"  minute {m + 1}: steps to {len(per[m]) + sum(len(per[k]) for k in per if k < m)}, mean loss {mean:.3f}{note}")
    prev = mean
PY
    start=$(date +%s.%N)
    target/release/photophone timbre resynth "$out/$n.timbre" "$out/$n.held.wav" -o "$out/$n.resynth.wav"
    end=$(date +%s.%N)
    echo "$n: re-synthesised the held-back $(python3 -c "import wave;w=wave.open('$out/$n.held.wav');print(round(w.getnframes()/w.getframerate(),1))") s in $(echo "$end - $start" | bc) s wall"
    target/release/examples/timbre_measure "$out/$n.held.wav" "$out/$n.resynth.wav" "$out/$n.held.onsets.txt" | tee "$out/$n.json"
    # Measures 5 and 6: the first 30 s of the score played in the timbre, on one core.
    taskset -c 0 target/release/examples/timbre_measure play "$out/$n.timbre" "$out/$n.train.wav" \
      "$clips/$n.notes.txt" 30 "$out/$n.play.wav" | tee "$out/$n.play.json"
  done
done
