#!/usr/bin/env bash
# The Beam pipeline on this machine, end to end: starts the MongoDB-compatible test server
# (data kept in target/mongo-local, so a second run resumes), loads a folder of photos
# (python -m photophone.beam.load), renders every photo on 2 worker processes
# (python -m photophone.beam), prints where the results are, stops the server.
# Needs .venv from scripts/python-env.sh.
# Usage: scripts/beam-local.sh [FOLDER] [more photophone.beam or Beam options...]
set -euo pipefail
cd "$(dirname "$0")/.."
folder=${1:-testdata/real-photos}
shift || true
py=.venv/bin/python
[ -x "$py" ] || { echo "beam-local: run scripts/python-env.sh first" >&2; exit 1; }
port=${PHOTOPHONE_MONGO_PORT:-27017}
uri="mongodb://127.0.0.1:$port/"
mkdir -p target/mongo-local
.venv/bin/secantusd-py --host 127.0.0.1 --port "$port" --storage-path target/mongo-local >target/mongo-local.log 2>&1 &
server=$!
trap 'kill -TERM $server; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  "$py" -c "import pymongo,sys; pymongo.MongoClient('$uri', serverSelectionTimeoutMS=200).admin.command('ping')" 2>/dev/null && break
  kill -0 $server 2>/dev/null || { echo "beam-local: the server did not start (target/mongo-local.log)" >&2; exit 1; }
  sleep 0.2
done
"$py" -m photophone.beam.load --mongo-uri "$uri" --db photophone --photos photos "$folder"
"$py" -m photophone.beam --mongo-uri "$uri" --db photophone --photos photos --gridfs-field file \
  --results music --render --midi \
  --runner=FnApiRunner --direct_num_workers=2 --direct_running_mode=multi_processing "$@" || status=$?
echo "beam-local: results in $uri photophone.music (WAV/MIDI in GridFS bucket photophone_audio), failures in photophone.music_errors" >&2
exit "${status:-0}"
