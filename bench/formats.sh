#!/usr/bin/env bash
# 30-s renders of one 12-megapixel photo (4272x2848, the embedded photo scaled up with grain)
# stored as a baseline JPEG, a progressive JPEG, a PNG and a lossy WebP: whole-process wall time
# of `photophone render` (median of RUNS) and the decode stage (`--timings`). The other formats
# are made from the baseline JPEG with Pillow (installed into .venv for this).
# Usage: bench/formats.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-9}
out=bench/out/formats
mkdir -p "$out"
cargo build --release -q -p photophone-cli
cargo build --release -q -p photophone --example make_photo
scripts/python-env.sh >/dev/null 2>&1
.venv/bin/pip install -q --disable-pip-version-check 'pillow>=12.1.1,<13'
[ -f "$out/baseline.jpg" ] || target/release/examples/make_photo "$out/baseline.jpg" 4272 2848
.venv/bin/python - "$out" <<'PY'
import sys
from PIL import Image
out = sys.argv[1]
im = Image.open(f"{out}/baseline.jpg")
im.save(f"{out}/progressive.jpg", quality=90, progressive=True)
im.save(f"{out}/photo.png")
im.save(f"{out}/photo.webp", quality=90)
PY
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)"
for f in baseline.jpg progressive.jpg photo.png photo.webp; do
  walls=(); decodes=()
  for i in $(seq "$runs"); do
    start=$(date +%s%N)
    stages=$(target/release/photophone render "$out/$f" -o "$out/x.wav" --timings 2>&1 | sed -n 1p)  # sed reads all: head would SIGPIPE the render under pipefail
    end=$(date +%s%N)
    walls+=($(( (end - start) / 1000000 )))
    decodes+=($(echo "$stages" | sed -E 's/^decode ([0-9.]+) ms.*/\1/'))
  done
  median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
  echo "$f ($(stat -c %s "$out/$f") bytes): whole render median $(median "${walls[@]}") ms (min $(printf '%s\n' "${walls[@]}" | sort -n | head -1), max $(printf '%s\n' "${walls[@]}" | sort -n | tail -1)); decode median $(median "${decodes[@]}") ms"
done
