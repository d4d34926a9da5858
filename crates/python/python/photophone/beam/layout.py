"""The documents photophone reads and writes in MongoDB, and the options stored with them.

No Apache Beam here: the launcher checks a setup with these before it imports Beam.
"""

from typing import Any, Dict, NamedTuple

AUDIO_BUCKET = "photophone_audio"


class MusicOptions(NamedTuple):
    """What to make of every photo (stored with each result as ``options``)."""

    style: str = "ambient"
    seed: int = 0
    seconds: float = 30.0
    render: bool = True
    midi: bool = False

    def document(self) -> Dict[str, Any]:
        return {"style": self.style, "seed": self.seed, "seconds": self.seconds}

    def checked(self) -> "MusicOptions":
        """Raises ValueError for options the engine refuses (before any photo is read)."""
        import photophone

        try:
            photophone.score(b"", seconds=self.seconds, style=self.style, seed=self.seed)
        except photophone.PhotoError:
            return self  # the options passed; only the (empty) photo was refused
        raise AssertionError("an empty photo was accepted")


def errors_collection(results: str) -> str:
    """Where photos that could not be made into music are listed: ``{_id, error}``."""
    return f"{results}_errors"


def audio_file_id(results: str, photo_id: Any, kind: str) -> str:
    """The GridFS id of a photo's WAV or MIDI file: ``<results>/<kind>/<type>:<_id>``.

    Deterministic, so a retry replaces rather than adds; a string, because servers index
    strings well (an embedded-document id makes the test server scan every chunk per delete).
    """
    tag = {bool: "bool", int: "int", float: "float", str: "str"}.get(type(photo_id), type(photo_id).__name__)
    return f"{results}/{kind}/{tag}:{photo_id}"


def complete_result_filter(options: MusicOptions) -> Dict[str, Any]:
    """Matches a result document that already holds everything ``options`` asks for."""
    match: Dict[str, Any] = {f"options.{k}": v for k, v in options.document().items()}
    if options.render:
        match["wav"] = {"$exists": True}
    if options.midi:
        match["midi"] = {"$exists": True}
    return match
