#!/usr/bin/env bash
# Soak (issue 14 §3): `photophone serve` on loopback under DURATION seconds (default 600) of
# mixed load from CLIENTS clients (analyze/render/midi; 12-MP and small photos; truncated
# JPEGs, random bytes, out-of-range and unknown parameters, empty bodies), with JOBS
# processing slots. bench/soak.mjs samples the server's RSS every 10 s and reports requests
# by route and status, p50/p99 latency, the RSS slope, and fails on any 5xx but the
# documented 503. Then SIGTERM during a 12-MP render: the render must still get its 200 and
# the server exit 0 within its shutdown grace.
# Usage: [DURATION=600] [CLIENTS=4] [JOBS=2] bench/soak.sh   (results in bench/out/soak/)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-600}
clients=${CLIENTS:-4}
jobs=${JOBS:-2}
grace=30
out=bench/out/soak
cargo build --release -q -p photophone-cli
cargo build --release -q -p photophone --example make_photo
mkdir -p "$out"
[ -f "$out/photo-12mp.jpg" ] || target/release/examples/make_photo "$out/photo-12mp.jpg"
[ -f "$out/photo-small.jpg" ] || target/release/examples/make_photo "$out/photo-small.jpg" 800 600
# Bad inputs: a JPEG cut off after its first 200 kB, and bytes that are no image at all.
head -c 200000 "$out/photo-12mp.jpg" > "$out/truncated.jpg"
head -c 65536 /dev/urandom > "$out/random.bin"

rm -f "$out/serve.out"
target/release/photophone serve --addr 127.0.0.1:0 --jobs "$jobs" --shutdown-grace "$grace" \
  > "$out/serve.out" 2> "$out/serve.log" &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$out/serve.out" ] && break; sleep 0.1; done
url=$(head -1 "$out/serve.out")
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg) at start; $(date -u '+%F %H:%M UTC')"
echo "server $url (pid $pid), --jobs $jobs${MALLOC_ARENA_MAX:+, MALLOC_ARENA_MAX=$MALLOC_ARENA_MAX}; $clients clients for $duration s; photos $(wc -c < "$out/photo-12mp.jpg") B (4000x3000) and $(wc -c < "$out/photo-small.jpg") B (800x600)"

load=0
node bench/soak.mjs "$url" "$pid" "$out" "$duration" "$clients" | tee "$out/report.txt" || load=$?
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"

# Graceful stop: SIGTERM while a 12-MP render is in flight; it must still get its 200, and
# the server must exit 0 within the grace.
curl -s -o "$out/last.wav" -w '%{http_code}' --data-binary @"$out/photo-12mp.jpg" \
  "${url}api/render?seconds=180" > "$out/last.status" &
curl_pid=$!
sleep 1
kill -TERM "$pid"
stopped=$(date +%s.%N)
rc=0
wait "$pid" || rc=$?
trap - EXIT
wait "$curl_pid" || true
echo "render in flight at SIGTERM: HTTP $(cat "$out/last.status"), $(wc -c < "$out/last.wav") B"
awk -v rc="$rc" -v t0="$stopped" -v t1="$(date +%s.%N)" 'BEGIN { printf "SIGTERM: exit %s after %.2f s\n", rc, t1 - t0 }'
echo "server log: $(grep -c ' INFO ' "$out/serve.log") INFO, $(grep -c ' WARN ' "$out/serve.log") WARN, $(grep -c ' ERROR ' "$out/serve.log") ERROR lines; $(grep -c 'job panicked' "$out/serve.log") panics"
grep -E "stopping|stopped" "$out/serve.log"
[ "$load" -eq 0 ] || { echo "soak: FAILED (unexpected statuses; see above)"; exit 1; }
[ "$rc" -eq 0 ] || { echo "soak: FAILED (server exit $rc after SIGTERM)"; exit 1; }
[ "$(cat "$out/last.status")" = 200 ] || { echo "soak: FAILED (the render in flight at SIGTERM got no 200)"; exit 1; }
echo "soak: OK"
