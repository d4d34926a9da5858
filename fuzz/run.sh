#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60) with libFuzzer under AddressSanitizer:
# inputs ≤ 1 MB, a hang is 2 s, an allocation over 1 GB or 2 GB resident is a failure. Leak
# detection is off: jpeg-decoder (the DCT-scaled JPEG path) ends its worker threads after a decode
# returns, and LeakSanitizer counts their thread-locals as leaked when it checks first.
# New inputs collect in fuzz/corpus/ (not committed); crashes go to fuzz/artifacts/.
# Needs cargo-fuzz (`cargo install cargo-fuzz`); the stable toolchain runs it with
# RUSTC_BOOTSTRAP=1 (cargo-fuzz passes nightly-only sanitizer flags).
# Usage: fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(decode_photo score_json decode_audio load_checkpoint http_api maze_json)
command -v cargo-fuzz >/dev/null || cargo install -q cargo-fuzz --version 0.13.2 --locked
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O >&2
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  seeds=("seeds/$t")
  [ -d "regressions/$t" ] && seeds+=("regressions/$t")
  log="target/fuzz-$t.log"
  if cargo fuzz run -O "$t" "corpus/$t" "${seeds[@]}" -- -max_total_time="$seconds" -timeout=2 \
      -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=1048576 -detect_leaks=0 -print_final_stats=1 >"$log" 2>&1; then
    echo "$t: $(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}') runs in ${seconds} s, $(grep -E '^stat::average_exec_per_sec' "$log" | awk '{print $2}') per second, clean"
  else
    echo "$t: FAILED (see fuzz/$log and fuzz/artifacts/$t/)" >&2
    grep -E 'SUMMARY|panicked|ERROR' "$log" | head -5 >&2
    exit 1
  fi
done
