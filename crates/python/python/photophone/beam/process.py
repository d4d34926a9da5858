"""``ProcessPhotos``: each photo's report, WAV and MIDI from the native engine, or its failure."""

from typing import Any, Dict, Iterator, NamedTuple, Optional, Union

import apache_beam as beam
from apache_beam.metrics import Metrics

from .layout import MusicOptions
from .read import PhotoRecord


class PhotoResult(NamedTuple):
    id: Any
    options: Dict[str, Any]
    report: Dict[str, Any]
    wav: Optional[bytes]
    midi: Optional[bytes]


class PhotoFailure(NamedTuple):
    id: Any
    error: str


Outcome = Union[PhotoResult, PhotoFailure]


class ProcessPhotos(beam.DoFn):
    """:class:`PhotoRecord` → :class:`PhotoResult`, or :class:`PhotoFailure` for a photo the
    engine refuses (corrupt, truncated, too large, not an image) or could not be read."""

    def __init__(self, options: MusicOptions):
        self._options = options
        self._done = Metrics.counter("photophone", "photos_rendered" if options.render else "photos_analysed")
        self._failed = Metrics.counter("photophone", "photos_failed")

    def setup(self) -> None:
        # Once per worker: load the native engine (and fail early if the worker lacks it).
        import photophone

        self._engine = photophone

    def process(self, record: PhotoRecord) -> Iterator[Outcome]:
        outcome = self._outcome(record)
        (self._failed if isinstance(outcome, PhotoFailure) else self._done).inc()
        yield outcome

    def _outcome(self, record: PhotoRecord) -> Outcome:
        if record.error is not None:
            return PhotoFailure(record.id, record.error)
        o = self._options
        try:
            made = self._engine.process(record.data, seconds=o.seconds, style=o.style, seed=o.seed, wav=o.render, midi=o.midi)
        except self._engine.PhotoError as e:
            return PhotoFailure(record.id, str(e))
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as e:  # noqa: B036 - a Rust panic arrives as pyo3's PanicException
            return PhotoFailure(record.id, f"internal error: {type(e).__name__}: {e}".splitlines()[0])
        return PhotoResult(record.id, o.document(), made.report, made.wav, made.midi)
