"""``WriteResultsToMongoDB``: one result document per photo, its audio in GridFS, idempotently.

For each photo, in this order:

1. its result document is deleted, so nothing points at files about to change;
2. its audio files are replaced: each has a deterministic GridFS id (``layout.audio_file_id``:
   ``<results>/wav/<type>:<photo _id>``), and deleting an id removes its files document *and*
   its chunks, including the chunks of an upload that was killed half-way (GridFS writes
   chunks first, the files document last);
3. the result document is upserted (``_id`` = the photo's ``_id``), in bulk with others.

A kill between any two steps leaves the photo without a result document, so the next run
redoes it from step 1; a retried bundle does the same steps again. Either way the photo ends
with exactly one result and one file of each kind, and no orphaned chunks. Failures go to
``<results>_errors`` as ``{_id, error}`` (a later success removes them).
"""

import datetime
from typing import Any, Dict, List

import apache_beam as beam
from pymongo import DeleteOne, ReplaceOne

from .mongo import connect, prepare_bucket, put_file
from .layout import AUDIO_BUCKET, audio_file_id, errors_collection
from .process import Outcome, PhotoFailure, PhotoResult

class _WriteOutcomes(beam.DoFn):
    def __init__(self, uri: str, db: str, results: str, audio_bucket: str, batch_size: int):
        self._uri, self._db, self._results = uri, db, results
        self._audio_bucket, self._batch_size = audio_bucket, batch_size

    def setup(self) -> None:
        self._client = connect(self._uri)
        db = self._client[self._db]
        self._result_docs = db[self._results]
        self._error_docs = db[errors_collection(self._results)]
        self._db = db
        self._audio_files = db[f"{self._audio_bucket}.files"]
        self._audio_chunks = db[f"{self._audio_bucket}.chunks"]
        prepare_bucket(db, self._audio_bucket)

    def teardown(self) -> None:
        self._client.close()

    def start_bundle(self) -> None:
        self._pending_results: List[ReplaceOne] = []
        self._pending_errors: List[Any] = []

    def process(self, outcome: Outcome) -> None:
        if isinstance(outcome, PhotoFailure):
            self._pending_errors.append(ReplaceOne({"_id": outcome.id}, {"_id": outcome.id, "error": outcome.error}, upsert=True))
        else:
            self._pending_results.append(ReplaceOne({"_id": outcome.id}, self._store(outcome), upsert=True))
            self._pending_errors.append(DeleteOne({"_id": outcome.id}))
        if len(self._pending_results) + len(self._pending_errors) >= self._batch_size:
            self._flush()

    def finish_bundle(self) -> None:
        self._flush()

    def _store(self, result: PhotoResult) -> Dict[str, Any]:
        """Steps 1 and 2; returns the result document for step 3."""
        self._result_docs.delete_one({"_id": result.id})
        files = {kind: audio_file_id(self._results, result.id, kind) for kind in ("wav", "midi")}
        # Every kind, asked for or not: a file no result points at must not stay behind.
        self._audio_files.delete_many({"_id": {"$in": list(files.values())}})
        self._audio_chunks.delete_many({"files_id": {"$in": list(files.values())}})
        made_at = datetime.datetime.now(datetime.timezone.utc)
        doc: Dict[str, Any] = {"_id": result.id, "options": result.options, "report": result.report, "made_at": made_at}
        for kind, data in (("wav", result.wav), ("midi", result.midi)):
            if data is not None:
                name = f"{result.id}.{'mid' if kind == 'midi' else 'wav'}"
                put_file(self._db, self._audio_bucket, files[kind], name, data, {"photo": result.id, "kind": kind})
                doc[kind] = files[kind]
        return doc

    def _flush(self) -> None:
        # Results first: a photo's old error is removed only once its result is in.
        for collection, pending in ((self._result_docs, self._pending_results), (self._error_docs, self._pending_errors)):
            if pending:
                collection.bulk_write(pending, ordered=True)
                pending.clear()


class WriteResultsToMongoDB(beam.PTransform):
    """Writes :class:`PhotoResult`\\ s to ``results`` (``_id`` = photo ``_id``; ``options``,
    ``report``, ``wav`` and ``midi`` = GridFS ids in ``audio_bucket``) and
    :class:`PhotoFailure`\\ s to ``<results>_errors``. Idempotent under retries and re-runs."""

    def __init__(self, uri: str, db: str, results: str, audio_bucket: str = AUDIO_BUCKET, batch_size: int = 50):
        super().__init__()
        self._fn = _WriteOutcomes(uri, db, results, audio_bucket, batch_size)

    def expand(self, outcomes):
        return outcomes | "Write results" >> beam.ParDo(self._fn)

