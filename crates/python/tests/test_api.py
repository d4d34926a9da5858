"""The Python API is the CLI's library: same bytes, same documents, same one-line errors."""

import json
import subprocess
import threading
import time

import photophone
import pytest
from conftest import FIXTURES, REAL_PHOTOS


def run_cli(cli, *args, cwd):
    return subprocess.run([str(cli), *map(str, args)], cwd=cwd, capture_output=True, text=True)


CASES = [
    # (photo, style, seed, seconds, rate): a real JPEG, a PNG, a baseline large-ish JPEG, the
    # classic style (full-resolution decode), another seed and rate.
    (REAL_PHOTOS / "01-jetty-lake-clouds.jpg", "ambient", 0, 4.0, 44100),
    (FIXTURES / "chelsea.png", "ambient", 7, 3.0, 22050),
    (FIXTURES / "rocket.jpg", "classic", 3, 2.5, 44100),
]


@pytest.mark.parametrize("photo,style,seed,seconds,rate", CASES, ids=lambda v: getattr(v, "name", str(v)))
def test_render_and_midi_are_the_cli_bytes(cli, tmp_path, photo, style, seed, seconds, rate):
    out = run_cli(cli, "render", photo, "-o", "cli.wav", "--midi", "cli.mid", "--style", style, "--seed", seed, "--seconds", seconds, "--rate", rate, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    data = photo.read_bytes()
    wav = photophone.render(data, seconds=seconds, style=style, seed=seed, rate=rate)
    assert wav == (tmp_path / "cli.wav").read_bytes()
    assert photophone.midi(data, seconds=seconds, style=style, seed=seed) == (tmp_path / "cli.mid").read_bytes()
    # process(): one decode gives the same files.
    made = photophone.process(data, seconds=seconds, style=style, seed=seed, rate=rate, wav=True, midi=True)
    assert made.wav == wav and made.midi == (tmp_path / "cli.mid").read_bytes()


@pytest.mark.parametrize("photo,style,seed,seconds,rate", CASES, ids=lambda v: getattr(v, "name", str(v)))
def test_analyze_is_the_cli_document(cli, tmp_path, photo, style, seed, seconds, rate):
    out = run_cli(cli, "analyze", photo, "--json", "--style", style, "--seed", seed, "--seconds", seconds, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    expected = json.loads(out.stdout)
    assert photophone.analyze(photo.read_bytes(), style=style, seed=seed, seconds=seconds, name=photo.stem) == expected
    # These photos are below the size where JPEGs decode at reduced scale, so process()'s
    # report (the analysis the music was made from) is the same document.
    report = photophone.process(photo.read_bytes(), seconds=seconds, style=style, seed=seed, wav=False).report
    assert report == photophone.analyze(photo.read_bytes(), style=style, seed=seed, seconds=seconds, name="photo")


def test_score_is_what_the_music_plays():
    data = (REAL_PHOTOS / "01-jetty-lake-clouds.jpg").read_bytes()
    score = photophone.score(data, seconds=12)
    assert score == photophone.score(data, seconds=12)
    report = photophone.analyze(data, seconds=12)
    # The score carries the decisions the report explains, note for note the same piece.
    assert score["decisions"] == report["music"]["decisions"]
    arrangement = score["arrangement"]
    assert arrangement["style"] == "ambient"
    assert arrangement["tempo_bpm"] == pytest.approx(report["music"]["tempo_bpm"])
    assert arrangement["key"]["mode"] == report["music"]["mode"]
    assert arrangement["lead"] and all(0 <= n["start"] < 12 for n in arrangement["lead"])
    assert photophone.score(data, seconds=12, seed=1) != score


def cli_error(cli, tmp_path, data: bytes) -> str:
    path = tmp_path / "photo.jpg"
    path.write_bytes(data)
    out = run_cli(cli, "render", path, "-o", "x.wav", cwd=tmp_path)
    assert out.returncode != 0
    line = out.stderr.strip()
    prefix = f"photophone: error: {path}: "
    assert line.startswith(prefix), line
    return line[len(prefix):]


BAD_PHOTOS = {
    "empty": b"",
    "not an image": b"hello, this is text",
    "truncated JPEG": (FIXTURES / "rocket.jpg").read_bytes()[:5000],
    "corrupt PNG": (FIXTURES / "chelsea.png").read_bytes()[:60] + b"\0" * 200,
    "huge dimensions": bytes.fromhex("89504e470d0a1a0a0000000d49484452") + (100000).to_bytes(4, "big") * 2 + bytes.fromhex("0802000000") + b"\0" * 4,
}


@pytest.mark.parametrize("kind", list(BAD_PHOTOS))
def test_bad_photos_raise_photo_error_with_the_cli_message(cli, tmp_path, kind):
    data = BAD_PHOTOS[kind]
    with pytest.raises(photophone.PhotoError) as raised:
        photophone.render(data, seconds=1)
    message = str(raised.value)
    assert "\n" not in message and message
    assert message == cli_error(cli, tmp_path, data)
    assert isinstance(raised.value, ValueError)
    for call in (photophone.analyze, photophone.score, photophone.midi, photophone.process):
        with pytest.raises(photophone.PhotoError, match="^" + "".join("\\" + c if not c.isalnum() else c for c in message) + "$"):
            call(data)


def test_options_out_of_range_are_value_errors():
    data = (FIXTURES / "chelsea.png").read_bytes()
    with pytest.raises(ValueError, match="seconds must be between 0 and 3600, got 0"):
        photophone.render(data, seconds=0)
    with pytest.raises(ValueError, match="rate must be between 8000 and 192000 Hz, got 100"):
        photophone.render(data, rate=100)
    with pytest.raises(ValueError, match='style must be ambient or classic, not "jazz"'):
        photophone.render(data, style="jazz")
    with pytest.raises(TypeError, match="not str"):
        photophone.render("chelsea.png")
    # Options are refused as ValueError, not PhotoError: the photo is fine.
    with pytest.raises(ValueError) as raised:
        photophone.score(data, seconds=float("nan"))
    assert not isinstance(raised.value, photophone.PhotoError)


def test_bytes_like_photos_are_accepted():
    data = (FIXTURES / "chelsea.png").read_bytes()
    wav = photophone.render(data, seconds=1)
    assert photophone.render(bytearray(data), seconds=1) == wav
    assert photophone.render(memoryview(data), seconds=1) == wav


def test_rendering_releases_the_gil():
    """While one thread renders, another thread's Python code keeps running."""
    data = (REAL_PHOTOS / "01-jetty-lake-clouds.jpg").read_bytes()
    rendered = threading.Event()
    worker = threading.Thread(target=lambda: (photophone.render(data, seconds=30), rendered.set()))
    ticks = 0
    worker.start()
    while not rendered.is_set():
        ticks += 1
        time.sleep(0.001)
    worker.join()
    # A render of 30 s takes a few hundred milliseconds; holding the GIL would stop this loop
    # at zero or one tick.
    assert ticks >= 20, ticks


def test_help_documents_the_api():
    doc = photophone.render.__doc__
    for word in ("WAV", "seconds", "style", "seed", "rate", "PhotoError", "-16 LUFS"):
        assert word in doc, word
    assert "PhotoError" in photophone.analyze.__doc__
    assert photophone.__version__


def write_phrase(path, seconds=12.0, rate=16000, freqs=(220.0, 277.2, 329.6, 246.9)):
    """A monophonic phrase of plucked harmonic tones, two notes a second (16-bit mono WAV)."""
    import math
    import struct
    import wave

    frames = bytearray()
    for i in range(int(seconds * rate)):
        t = i / rate
        note, tn = int(t * 2.0), math.fmod(t * 2.0, 1.0) / 2.0
        env = min(tn * 300.0, 1.0) * math.exp(-4.0 * tn)
        f = freqs[note % len(freqs)]
        tone = sum(math.sin(2 * math.pi * f * k * t) / k for k in range(1, 7))
        frames += struct.pack("<h", int(max(-1.0, min(1.0, 0.3 * env * tone)) * 32767))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))


def test_render_with_a_timbre_is_the_cli_bytes(cli, tmp_path):
    write_phrase(tmp_path / "tune.wav")
    out = run_cli(cli, "timbre", "learn", "tune.wav", "--out", "t", "--preset", "tiny", "--steps", "4", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    photo = REAL_PHOTOS / "01-jetty-lake-clouds.jpg"
    out = run_cli(cli, "render", photo, "--timbre", "t", "--seconds", 4, "-o", "cli.wav", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    data = photo.read_bytes()
    wav = photophone.render(data, seconds=4, timbre=tmp_path / "t")
    assert wav == (tmp_path / "cli.wav").read_bytes()
    assert wav != photophone.render(data, seconds=4), "the timbre plays the lead"
    # A folder that is not a timbre: the CLI's one line, as a ValueError.
    (tmp_path / "not-a-timbre").mkdir()
    cli_out = run_cli(cli, "render", photo, "--timbre", tmp_path / "not-a-timbre", "--seconds", 1, "-o", "x.wav", cwd=tmp_path)
    assert cli_out.returncode != 0
    with pytest.raises(ValueError) as raised:
        photophone.render(data, seconds=1, timbre=tmp_path / "not-a-timbre")
    assert cli_out.stderr.strip() == f"photophone: error: {raised.value}"
