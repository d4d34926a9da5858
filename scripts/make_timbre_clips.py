#!/usr/bin/env python3
"""Training clips for timbre learning: a ~2.5-minute monophonic phrase per instrument.

Writes, into OUT_DIR: PHRASE.mid (the score: Standard MIDI File, written here by hand to need
no package), PHRASE.onsets.txt (note onsets in seconds, the ground truth for onset F1), PHRASE.notes.txt
(start s, duration s, MIDI note, velocity 0..1: a score to play in a learnt timbre), and
ks.wav (the same kind of phrase as Karplus-Strong plucks, rendered here). The GM instruments
are rendered by scripts/make-timbre-clips.sh with fluidsynth. Deterministic."""
import math
import random
import struct
import sys
import wave

RATE = 16000
SECONDS = 150.0
TEMPO_US = 500000  # 120 bpm: one beat = 0.5 s
TPQ = 480


def phrase(seed, low, high):
    """(onset s, duration s, midi note, velocity): a random walk on a major scale, varied note
    lengths, occasional rests; one note at a time."""
    rng = random.Random(seed)
    scale = [0, 2, 4, 5, 7, 9, 11]
    pitches = [n for n in range(low, high + 1) if (n - 2) % 12 in scale]
    i = len(pitches) // 2
    t, notes = 0.5, []
    while t < SECONDS - 1.5:
        dur = rng.choice([0.25, 0.25, 0.5, 0.5, 0.5, 0.75, 1.0, 1.5])
        i = max(0, min(len(pitches) - 1, i + rng.choice([-2, -1, -1, 1, 1, 2, 0, 3, -3])))
        vel = rng.randint(60, 115)
        gap = rng.choice([0.0, 0.0, 0.05, 0.1, 0.5]) if dur < 1.0 else 0.1
        notes.append((t, dur * 0.92, pitches[i], vel))
        t += dur + gap
    return notes


def vlq(n):
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def write_midi(path, notes, program):
    ticks = lambda s: int(round(s * TPQ * 1e6 / TEMPO_US))
    events = [(0, bytes([0xFF, 0x51, 3]) + TEMPO_US.to_bytes(3, "big")), (0, bytes([0xC0, program]))]
    for on, dur, note, vel in notes:
        events.append((ticks(on), bytes([0x90, note, vel])))
        events.append((ticks(on + dur), bytes([0x80, note, 0])))
    events.sort(key=lambda e: (e[0], e[1][0] == 0x90))  # note-offs first at equal times
    track, now = b"", 0
    for t, data in events:
        track += vlq(t - now) + data
        now = t
    track += vlq(0) + b"\xff\x2f\x00"
    with open(path, "wb") as f:
        f.write(b"MThd" + struct.pack(">IHHH", 6, 0, 1, TPQ))
        f.write(b"MTrk" + struct.pack(">I", len(track)) + track)


def karplus_strong(notes, seed):
    """Plucked strings: a noise burst through a delay line with a two-point average."""
    rng = random.Random(seed)
    out = [0.0] * int(RATE * SECONDS)
    for on, dur, note, vel in notes:
        f = 440.0 * 2 ** ((note - 69) / 12)
        period = RATE / f
        n = int(period)
        frac = period - n
        buf = [rng.uniform(-1, 1) for _ in range(n + 1)]
        amp = 0.35 * vel / 127
        start, length = int(on * RATE), int((dur + 0.05) * RATE)
        prev, k = 0.0, 0
        for t in range(min(length, len(out) - start)):
            a = buf[k % (n + 1)]
            b = buf[(k + 1) % (n + 1)]
            y = (1 - frac) * a + frac * b
            new = 0.996 * 0.5 * (y + prev)
            prev = y
            buf[k % (n + 1)] = new
            k += 1
            # A damped release at the note's end, so notes do not ring into each other.
            rel = 1.0 if t < length - 800 else (length - t) / 800
            out[start + t] += amp * y * rel
    return out


def write_wav(path, x):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"".join(struct.pack("<h", int(max(-1, min(1, v)) * 32767)) for v in x))


def main(out):
    specs = {  # name: (GM program, lowest, highest MIDI note, seed)
        "flute": (73, 72, 91, 1),
        "violin": (40, 57, 84, 2),
        "guitar": (24, 45, 72, 3),
    }
    for name, (program, low, high, seed) in specs.items():
        notes = phrase(seed, low, high)
        write_midi(f"{out}/{name}.mid", notes, program)
        with open(f"{out}/{name}.onsets.txt", "w") as f:
            f.writelines(f"{on:.4f}\n" for on, _, _, _ in notes)
        with open(f"{out}/{name}.notes.txt", "w") as f:
            f.writelines(f"{on:.4f} {dur:.4f} {note} {vel / 127:.3f}\n" for on, dur, note, vel in notes)
    notes = phrase(4, 45, 72)
    with open(f"{out}/ks.onsets.txt", "w") as f:
        f.writelines(f"{on:.4f}\n" for on, _, _, _ in notes)
    write_wav(f"{out}/ks.wav", karplus_strong(notes, 4))


if __name__ == "__main__":
    main(sys.argv[1])
