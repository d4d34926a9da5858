"""photophone on Apache Beam: a photo library in MongoDB turned into music, on any runner.

    import apache_beam as beam
    from photophone.beam import ReadPhotosFromMongoDB, ProcessPhotos, MusicOptions, WriteResultsToMongoDB

    with beam.Pipeline() as p:
        (p
         | ReadPhotosFromMongoDB(uri, "maze", "photos", gridfs_field="file")
         | beam.ParDo(ProcessPhotos(MusicOptions(seconds=20, render=True)))
         | WriteResultsToMongoDB(uri, "maze", "music"))

Or the whole pipeline from the command line: ``python -m photophone.beam --help``.
"""

import importlib
from typing import Any

# Attributes load their modules on first use, so `python -m photophone.beam` can check a setup
# (and fail in one line) before Apache Beam is imported.
_HOME = {
    "IdRange": ".idrange",
    "IdRangeTracker": ".idrange",
    "MusicOptions": ".layout",
    "audio_file_id": ".layout",
    "complete_result_filter": ".layout",
    "errors_collection": ".layout",
    "PhotoFailure": ".process",
    "PhotoResult": ".process",
    "ProcessPhotos": ".process",
    "PhotoRecord": ".read",
    "ReadPhotosFromGridFS": ".read",
    "ReadPhotosFromMongoDB": ".read",
    "WriteResultsToMongoDB": ".write",
}
__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOME[name], __name__), name)
