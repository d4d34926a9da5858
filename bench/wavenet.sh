#!/usr/bin/env bash
# photophone's WaveNet training step against PyTorch's, same machine, same run, all cores.
# Usage: bench/wavenet.sh [small|ibab|all] [STEPS]
# Installs the PyTorch reference into bench/.venv on first use (bench/setup_torch.sh, ~5 GB).
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-all}
steps=${2:-5}
threads=$(nproc)
bench/setup_torch.sh >/dev/null
cargo build --release -q -p photophone-wavenet --features bench --examples
echo "machine: $threads cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)"
for preset in small ibab; do
  [ "$which" = all ] || [ "$which" = "$preset" ] || continue
  ours=$( { /usr/bin/time -f "peak RSS %M KB" target/release/examples/step_time "$preset" "$steps"; } 2>&1 )
  theirs=$(bench/.venv/bin/python bench/wavenet_ref.py bench "$preset" "$steps" "$threads")
  echo "$ours"
  echo "$theirs"
  a=$(echo "$ours" | sed -n 's/.*median \([0-9.]*\) ms.*/\1/p' | head -1)
  b=$(echo "$theirs" | sed -n 's/.*median \([0-9.]*\) ms.*/\1/p')
  python3 -c "print(f'$preset: photophone / PyTorch = {$a / $b:.2f}')"
done
