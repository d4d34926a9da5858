#!/usr/bin/env python3
"""Splits a WAV into its first SHARE (training) and the rest (held back), and the onset list
with it (held-back onsets shifted to the held-back file's start). Usage:
timbre_split.py IN.wav ONSETS.txt SHARE TRAIN.wav HELD.wav HELD.onsets.txt"""
import sys
import wave

src, onsets, share, train, held, held_onsets = sys.argv[1:]
with wave.open(src, "rb") as w:
    params = w.getparams()
    n = w.getnframes()
    data = w.readframes(n)
cut = int(n * float(share))
bytes_per = params.sampwidth * params.nchannels
for path, part in ((train, data[: cut * bytes_per]), (held, data[cut * bytes_per :])):
    with wave.open(path, "wb") as w:
        w.setparams(params)
        w.writeframes(part)
start = cut / params.framerate
with open(onsets) as f, open(held_onsets, "w") as g:
    for line in f:
        t = float(line)
        if t >= start:
            g.write(f"{t - start:.4f}\n")
