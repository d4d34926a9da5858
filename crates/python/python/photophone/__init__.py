"""photophone: photographs into music.

The same engine as the ``photophone`` command (a Rust library, called through PyO3): the same
photo and options give byte-for-byte the WAV and MIDI files the CLI writes, and the analysis
document of ``photophone analyze --json``. Calls release the GIL, so threads render in parallel.

>>> import photophone
>>> wav = photophone.render(open("lake.jpg", "rb").read(), seconds=20)
>>> open("lake.wav", "wb").write(wav)

Photos are bytes (PNG, JPEG, GIF, BMP, TIFF, WebP). A photo that cannot be used raises
:class:`PhotoError`, a :class:`ValueError`, with the one-line reason the CLI prints.
``photophone.beam`` (needs ``pip install 'photophone[beam]'``) turns a photo library in
MongoDB into music on Apache Beam.
"""

import json
import os
from typing import Any, Dict, NamedTuple, Optional, Union

from . import _native
from ._native import PhotoError

__all__ = ["PhotoError", "Processed", "analyze", "midi", "process", "render", "score", "__version__"]
__version__: str = _native.__version__

Photo = Union[bytes, bytearray, memoryview]
"""Encoded photo bytes (a file's contents)."""

STYLES = ("ambient", "classic")
"""``ambient``: photophone's design. ``classic``: the seed's 2014 mapping (FAST corners → sines)."""


def _bytes(data: Photo) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"a photo is bytes (a file's contents), not {type(data).__name__}")


def render(
    data: Photo,
    seconds: float = 30.0,
    style: str = "ambient",
    seed: int = 0,
    rate: int = 44100,
    timbre: Optional[Union[str, "os.PathLike[str]"]] = None,
) -> bytes:
    """Render a photo's music: a 16-bit stereo WAV file, as bytes.

    Exactly the file ``photophone render PHOTO --seconds S --style STYLE --seed N --rate R``
    writes: mastered to -16 LUFS, peak at most -1 dBFS; the same photo and options always give
    the same bytes.

    Args:
        data: the photo file's bytes (PNG, JPEG, GIF, BMP, TIFF, WebP).
        seconds: length, 0 < seconds <= 3600.
        style: ``"ambient"`` (default) or ``"classic"`` (the 2014 baseline).
        seed: variation seed; another seed gives another piece for the same photo.
        rate: sample rate in Hz, 8000..192000.
        timbre: a timbre folder written by ``photophone timbre learn``: it plays the lead line
            (and the bass where the instrument reaches low enough), exactly as
            ``photophone render --timbre T`` (the same bytes).

    Raises:
        PhotoError: the photo cannot be used (the message says why, in one line).
        ValueError: an option is out of range, or the timbre cannot be loaded.
    """
    path = None if timbre is None else os.fspath(timbre)
    return _native.render(_bytes(data), float(seconds), style, int(seed), int(rate), path)


def midi(data: Photo, seconds: float = 30.0, style: str = "ambient", seed: int = 0) -> bytes:
    """The photo's score as a Standard MIDI File, as bytes (``photophone render --midi``).

    Arguments and errors as for :func:`render`.
    """
    return _native.midi(_bytes(data), float(seconds), style, int(seed))


def analyze(data: Photo, style: str = "ambient", seed: int = 0, seconds: float = 30.0, name: str = "photo") -> Dict[str, Any]:
    """What photophone sees in a photo and the musical decisions it makes, with reasons.

    The document ``photophone analyze --json`` prints (schema in the README): ``photo``,
    ``analysis`` (light, colour, texture, palette, feature points, regions), ``music`` (key,
    mode, tempo, layers, decisions with their reasons) and ``classic``. ``name`` is what the
    document calls the photo (the CLI uses the file's stem).

    Raises:
        PhotoError: the photo cannot be used.
        ValueError: an option is out of range.
    """
    return json.loads(_native.analyze_json(_bytes(data), style, int(seed), float(seconds), name))


def score(data: Photo, seconds: float = 30.0, style: str = "ambient", seed: int = 0) -> Dict[str, Any]:
    """The score photophone composes for a photo: every note, chord and layer with its timing.

    The JSON document the web page's in-browser engine plays (``POST /api/analyze``'s
    ``score``).

    Raises:
        PhotoError: the photo cannot be used.
        ValueError: an option is out of range.
    """
    return json.loads(_native.score_json(_bytes(data), style, int(seed), float(seconds)))


class Processed(NamedTuple):
    """What :func:`process` makes of one photo."""

    report: Dict[str, Any]
    """The analysis document (as :func:`analyze`), for the photo as decoded for rendering."""
    wav: Optional[bytes]
    """The WAV file, when asked for."""
    midi: Optional[bytes]
    """The MIDI file, when asked for."""


def process(
    data: Photo,
    seconds: float = 30.0,
    style: str = "ambient",
    seed: int = 0,
    rate: int = 44100,
    wav: bool = True,
    midi: bool = False,
) -> Processed:
    """Report, WAV and MIDI of one photo from a single decode and analysis (for batches).

    The WAV and MIDI equal :func:`render`'s and :func:`midi`'s. The report is the analysis the
    music was made from: for large JPEGs that is the photo decoded at reduced scale, so a few
    of its figures can differ slightly from :func:`analyze`'s full-resolution ones.
    """
    report, wav_bytes, midi_bytes = _native.process(_bytes(data), float(seconds), style, int(seed), int(rate), bool(wav), bool(midi))
    return Processed(json.loads(report), wav_bytes, midi_bytes)
