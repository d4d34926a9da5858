#!/usr/bin/env bash
# Training clips for timbre learning (issue 13), made here rather than committed: a ~2.5-minute
# monophonic phrase per instrument (flute, violin, nylon guitar) rendered at 16 kHz with
# fluidsynth through Debian's General MIDI soundfont (reverb and chorus off), and Karplus-Strong
# plucks. Needs: python3, fluidsynth, fluid-soundfont-gm
# (apt-get install -y fluidsynth fluid-soundfont-gm).
# Usage: scripts/make-timbre-clips.sh [OUT_DIR]   (default target/timbre-clips)
set -euo pipefail
out=${1:-target/timbre-clips}
sf2=${SF2:-/usr/share/sounds/sf2/FluidR3_GM.sf2}
command -v fluidsynth >/dev/null || { echo "fluidsynth missing: apt-get install -y fluidsynth fluid-soundfont-gm" >&2; exit 1; }
[ -f "$sf2" ] || { echo "$sf2 missing: apt-get install -y fluid-soundfont-gm" >&2; exit 1; }
mkdir -p "$out"
python3 "$(dirname "$0")/make_timbre_clips.py" "$out"
for name in flute violin guitar; do
  fluidsynth -ni -q -R 0 -C 0 -g 0.6 -r 16000 -F "$out/$name.wav" -T wav "$sf2" "$out/$name.mid" >/dev/null
done
ls -l "$out"
