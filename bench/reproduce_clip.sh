#!/usr/bin/env bash
# The seed's failed experiment, reproduced: train a WaveNet on one ~8-second clip and report
#  1. the training time to reach >= 90 % teacher-forced next-sample accuracy,
#  2. free-running generation primed with the clip's first 0.5 s (8 s in all): log-mel
#     distance to the clip against loudness-matched white noise's, and a check for blow-ups,
#     silence and lost stretches in every 0.5 s,
#  3. mel-conditioned re-synthesis of the clip: its log-mel distance.
# One model does both: it is trained on the clip's own log-mel frames with half the windows
# left without them (--condition-dropout 0.5), so it generates from a prime alone (goal 2)
# and re-synthesises from the frames (goal 3); what it learns about the waveform serves both.
# Usage: bench/reproduce_clip.sh [CLIP]
#   Without CLIP, synthesises the 8-second Karplus–Strong arpeggio (16 kHz mono,
#   crates/wavenet/examples/make_pluck.rs). Any clip photophone can read works (it is
#   resampled to 16 kHz mono).
# Settings (environment): STEPS, LR, MEL_BANDS, DROPOUT, TEMPERATURE, SEED. The defaults are
# the measured ones in BENCHMARKS.md.
# Outputs in bench/out/clip/: the model, free.wav, resynth.wav, report.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${STEPS:-15000}
LR=${LR:-3e-3}
MEL_BANDS=${MEL_BANDS:-40}
DROPOUT=${DROPOUT:-0.5}
TEMPERATURE=${TEMPERATURE:-0.01}
SEED=${SEED:-1}
out=bench/out/clip
mkdir -p "$out"
cargo build --release -q -p photophone-cli
cargo build --release -q -p photophone-wavenet --examples
pp=target/release/photophone
clip=${1:-}
if [ -z "$clip" ]; then
  clip=$out/pluck.wav
  target/release/examples/make_pluck "$clip" 8
fi
rm -rf "$out/model"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)"
echo "clip: $clip; $STEPS steps, lr $LR (cosine decay), $MEL_BANDS mel bands, conditioning dropout $DROPOUT, temperature $TEMPERATURE, seed $SEED"

t0=$(date +%s.%N)
$pp train "$clip" --preset clip --condition mel --mel-bands "$MEL_BANDS" --condition-dropout "$DROPOUT" \
  --steps "$STEPS" --lr "$LR" --lr-decay --seed "$SEED" --out "$out/model" 2> "$out/train.log"
t1=$(date +%s.%N)
# 2: no conditioning, the clip's first 0.5 s as the prime.
$pp generate "$out/model" -o "$out/free.wav" --prime "$clip" --prime-seconds 0.5 --seconds 7.5 \
  --temperature "$TEMPERATURE" --seed "$SEED" 2> "$out/free-gen.log"
# 3: the clip's own mel frames, nothing else.
$pp generate "$out/model" -o "$out/resynth.wav" --condition-from "$clip" \
  --temperature "$TEMPERATURE" --seed "$SEED" 2> "$out/resynth-gen.log"

{
  python3 - "$out/model/metrics.jsonl" "$t0" "$t1" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
t0, t1 = map(float, sys.argv[2:4])
print(f"training: {t1 - t0:.0f} s for {rows[-1]['step']} steps (goal <= 600 s)")
# One window's accuracy swings with the window drawn: the mean over the last 200 windows of a
# mode (~3 passes over an 8 s clip in 2,000-sample windows) tracks the whole-clip figure.
for name, dropped in (("without conditioning", 1.0), ("with conditioning", 0.0)):
    mode = [r for r in rows if r.get("dropped_conditioning", 0.0) == dropped]
    window, hit = 200, None
    for i in range(window, len(mode) + 1):
        if sum(r["accuracy"] for r in mode[i - window:i]) / window >= 0.9:
            hit = mode[i - 1]
            break
    if hit:
        print(f"teacher-forced accuracy {name} (mean of {window} windows) reached 90 % at step {hit['step']}, {hit['seconds']:.0f} s of training")
    elif mode:
        last = sum(r["accuracy"] for r in mode[-window:]) / min(window, len(mode))
        print(f"teacher-forced accuracy {name} (mean of {window} windows) did not reach 90 %: {last * 100:.1f} % at the end")
PY
  target/release/examples/clip_report "$clip" "$out/model" 0.5 "$out/free.wav" "$out/model" "$out/resynth.wav" || true
} | tee "$out/report.txt"
