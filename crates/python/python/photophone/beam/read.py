"""Reading a photo library from MongoDB: ``ReadPhotosFromMongoDB`` and ``ReadPhotosFromGridFS``.

The seed's minimal Beam reader, done properly, as a splittable DoFn:

1. *Plan* (one element): for each ``_id`` bracket present (numbers, strings, ObjectIds), the
   range from its smallest to its largest ``_id`` and how many photos it holds.
2. *Split* (``_ReadRanges.split``): a ``$bucketAuto`` aggregation on ``_id`` cuts each
   range into bundles of about ``bundle_photos`` photos or ``bundle_mb`` MB (average document
   size from ``collStats``, or measured on a sample where ``collStats`` is not offered).
   ``$bucketAuto`` runs on Atlas and on servers without ``splitVector``.
3. *Read* (``_ReadRanges.process``): the ids of a range in ascending order, each claimed
   through :class:`~photophone.beam.idrange.IdRangeTracker` (so a runner can split the rest
   of a range while it is read), then the photo's bytes: from a binary field of the document,
   or streamed from GridFS (photos over MongoDB's 16 MB document limit live there).

Every photo comes out exactly once as a :class:`PhotoRecord`; a document whose photo cannot be
fetched comes out with ``error`` set instead of bytes, so it reaches the dead-letter collection
and the rest of the library goes on.
"""

import logging
from typing import Any, Dict, Iterable, Iterator, List, NamedTuple, Optional, Set, Tuple

import apache_beam as beam
import gridfs
import pymongo
from apache_beam.metrics import Metrics
from apache_beam.transforms.core import RestrictionProvider

from .idrange import BRACKETS, END, IdRange, IdRangeTracker, successor
from .mongo import connect, estimate_average_size

_LOG = logging.getLogger(__name__)

# The decoder refuses larger files (crates/analysis/src/decode.rs MAX_FILE_BYTES): such a photo
# is reported from its GridFS length without being downloaded.
MAX_PHOTO_BYTES = 256 * 1024 * 1024


class PhotoRecord(NamedTuple):
    """One photo of the library: its ``_id`` and bytes, or why they could not be read."""

    id: Any
    data: Optional[bytes]
    error: Optional[str] = None


class _Source(NamedTuple):
    """Where the photos are and how a document holds one (picklable, shipped to workers)."""

    uri: str
    db: str
    collection: str
    filter: Dict[str, Any]
    image_field: Optional[str]
    gridfs_field: Optional[str]
    gridfs_bucket: str
    # ReadPhotosFromGridFS: the documents are the bucket's files; each _id is a file id.
    files_are_photos: bool
    bundle_photos: int
    bundle_mb: float
    # (collection, filter): photos whose _id has a matching document there are skipped.
    skip_if_done: Optional[Tuple[str, Dict[str, Any]]]

    def match(self, id_range: IdRange) -> dict:
        return {"$and": [self.filter, id_range.query()]} if self.filter else id_range.query()


def _plan(source: _Source) -> Iterator[IdRange]:
    """One range per ``_id`` bracket present, from its smallest ``_id`` to past its largest."""
    with connect(source.uri) as client:
        coll = client[source.db][source.collection]
        supported = [t for types in BRACKETS.values() for t in types]
        others = coll.count_documents({"$and": [source.filter, {"_id": {"$not": {"$type": supported}}}]}, limit=1)
        if others:
            raise ValueError(
                f"{source.db}.{source.collection}: some _ids are neither numbers, strings nor ObjectIds; "
                "photophone cannot divide such a collection into ranges"
            )
        for bracket, types in BRACKETS.items():
            match = {"$and": [source.filter, {"_id": {"$type": types}}]}
            first = coll.find_one(match, {"_id": 1}, sort=[("_id", pymongo.ASCENDING)])
            if first is None:
                continue
            last = coll.find_one(match, {"_id": 1}, sort=[("_id", pymongo.DESCENDING)])
            count = coll.count_documents(match)
            yield IdRange(bracket, first["_id"], successor(last["_id"]), count)


class _PlanRanges(beam.DoFn):
    def __init__(self, source: _Source):
        self._source = source

    def process(self, _impulse) -> Iterator[IdRange]:
        yield from _plan(self._source)


class _ReadRanges(beam.DoFn, RestrictionProvider):
    """Reads the photos of an ``_id`` range, claiming each ``_id`` before fetching its bytes.

    It is its own restriction provider: the initial restriction is the planned range, split
    at the start by ``$bucketAuto``.
    """

    def __init__(self, source: _Source):
        self._source = source
        self._read = Metrics.counter("photophone", "photos_read")
        self._skipped = Metrics.counter("photophone", "photos_skipped")
        self._unreadable = Metrics.counter("photophone", "photos_unreadable")

    def initial_restriction(self, element: IdRange) -> IdRange:
        return element

    def create_tracker(self, restriction: IdRange) -> IdRangeTracker:
        return IdRangeTracker(restriction)

    def restriction_size(self, element: IdRange, restriction: IdRange) -> float:
        # In photos: the work per photo (decode, render) dwarfs the bytes moved.
        return float(max(restriction.count, 1))

    def split(self, element: IdRange, restriction: IdRange) -> Iterator[IdRange]:
        src = self._source
        with connect(src.uri) as client:
            coll = client[src.db][src.collection]
            average = estimate_average_size(client[src.db], src.collection)
            megabytes = restriction.count * average / 2**20
            buckets = max(-(-restriction.count // src.bundle_photos), int(-(-megabytes // src.bundle_mb)), 1)
            if buckets == 1 or restriction.count < 2:
                yield restriction
                return
            pipeline = [
                {"$match": src.match(restriction)},
                {"$bucketAuto": {"groupBy": "$_id", "buckets": buckets}},
            ]
            found = list(coll.aggregate(pipeline, allowDiskUse=True))
        # Bucket i holds [min_i, min_i+1); the first starts at the range's start and the last
        # ends at its stop, so the pieces cover the range exactly.
        starts = [restriction.start] + [b["_id"]["min"] for b in found[1:]]
        stops = starts[1:] + [restriction.stop]
        counts = [b["count"] for b in found] or [restriction.count]
        for start, stop, count in zip(starts, stops, counts):
            yield IdRange(restriction.bracket, start, stop, count)

    def setup(self) -> None:
        src = self._source
        self._client = connect(src.uri)
        self._coll = self._client[src.db][src.collection]
        self._bucket = gridfs.GridFSBucket(self._client[src.db], bucket_name=src.gridfs_bucket)
        self._done = self._client[src.db][src.skip_if_done[0]] if src.skip_if_done else None

    def teardown(self) -> None:
        self._client.close()

    def process(self, element: IdRange, tracker=beam.DoFn.RestrictionParam()) -> Iterator[PhotoRecord]:
        src = self._source
        id_range = tracker.current_restriction()
        fields = {"_id": 1, **({src.gridfs_field: 1} if src.gridfs_field else {})}
        ids = self._coll.find(src.match(id_range), fields, sort=[("_id", pymongo.ASCENDING)], batch_size=1000)
        with ids:
            for batch in _batches(ids, 64):
                done = self._already_done([doc["_id"] for doc in batch])
                for doc in batch:
                    if not tracker.try_claim(doc["_id"]):
                        return
                    if doc["_id"] in done:
                        self._skipped.inc()
                        continue
                    record = self._fetch(doc)
                    (self._unreadable if record.error else self._read).inc()
                    yield record
        tracker.try_claim(END)

    def _already_done(self, photo_ids: List[Any]) -> Set[Any]:
        """Those of ``photo_ids`` that ``skip_if_done`` says need no work (one query)."""
        if self._done is None:
            return set()
        match = {"_id": {"$in": photo_ids}, **self._source.skip_if_done[1]}
        return {doc["_id"] for doc in self._done.find(match, {"_id": 1})}

    def _fetch(self, doc: dict) -> PhotoRecord:
        src, photo_id = self._source, doc["_id"]
        if src.files_are_photos:
            return self._from_gridfs(photo_id, photo_id)
        if src.gridfs_field and doc.get(src.gridfs_field) is not None:
            return self._from_gridfs(photo_id, doc[src.gridfs_field])
        full = self._coll.find_one({"_id": photo_id}, {src.image_field: 1})
        value = None if full is None else full.get(src.image_field)
        if full is None:
            return PhotoRecord(photo_id, None, "the document was deleted while the library was read")
        if value is None:
            where = f"no '{src.image_field}' field" + (f" and no '{src.gridfs_field}' field" if src.gridfs_field else "")
            return PhotoRecord(photo_id, None, f"document has {where}")
        if not isinstance(value, bytes):
            return PhotoRecord(photo_id, None, f"'{src.image_field}' holds {type(value).__name__}, not binary image data")
        return PhotoRecord(photo_id, bytes(value))

    def _from_gridfs(self, photo_id: Any, file_id: Any) -> PhotoRecord:
        bucket = self._source.gridfs_bucket
        try:
            with self._bucket.open_download_stream(file_id) as stream:
                if stream.length > MAX_PHOTO_BYTES:
                    return PhotoRecord(photo_id, None, f"file is {stream.length} bytes, more than the {MAX_PHOTO_BYTES}-byte limit")
                data = bytearray()
                while chunk := stream.readchunk():
                    data += chunk
                return PhotoRecord(photo_id, bytes(data))
        except gridfs.errors.NoFile:
            return PhotoRecord(photo_id, None, f"GridFS file {file_id!r} not found in bucket '{bucket}'")
        except gridfs.errors.CorruptGridFile as e:
            return PhotoRecord(photo_id, None, f"GridFS file {file_id!r} in bucket '{bucket}' is corrupt: {e}")


def _batches(items: Iterable[Any], size: int) -> Iterator[List[Any]]:
    batch: List[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class _ReadPhotos(beam.PTransform):
    def __init__(self, source: _Source):
        super().__init__()
        self._source = source

    def expand(self, pbegin):
        return (
            pbegin
            | "Impulse" >> beam.Impulse()
            | "Plan _id ranges" >> beam.ParDo(_PlanRanges(self._source))
            | "Read ranges" >> beam.ParDo(_ReadRanges(self._source))
        )


class ReadPhotosFromMongoDB(_ReadPhotos):
    """Reads every photo of a MongoDB collection once, as :class:`PhotoRecord` elements.

    A document holds its photo inline, as binary data in ``image_field``, or as the id of a
    GridFS file (bucket ``gridfs_bucket``) in ``gridfs_field`` when that is given; one
    collection may mix both. ``filter`` selects documents (a MongoDB query). ``_id``\\ s may be
    ObjectIds, integers, doubles or strings, mixed. The collection is divided into ``_id``
    ranges with ``$bucketAuto`` (bundles of about ``bundle_photos`` photos or ``bundle_mb``
    MB, whichever gives more), and a runner can split a range further while it is read.
    """

    def __init__(
        self,
        uri: str,
        db: str,
        collection: str,
        filter: Optional[Dict[str, Any]] = None,
        image_field: str = "image",
        gridfs_field: Optional[str] = None,
        gridfs_bucket: str = "fs",
        bundle_photos: int = 16,
        bundle_mb: float = 64.0,
        skip_if_done: Optional[Tuple[str, Dict[str, Any]]] = None,
    ):
        """``skip_if_done=(collection, filter)`` skips photos whose ``_id`` has a document
        matching ``filter`` in that collection of the same database (how a re-run resumes)."""
        super().__init__(
            _source(uri, db, collection, filter, image_field, gridfs_field, gridfs_bucket, False, bundle_photos, bundle_mb, skip_if_done)
        )


class ReadPhotosFromGridFS(_ReadPhotos):
    """Reads every file of a GridFS bucket as a photo (``_id`` = the file's id)."""

    def __init__(
        self,
        uri: str,
        db: str,
        bucket: str = "fs",
        filter: Optional[Dict[str, Any]] = None,
        bundle_photos: int = 16,
        bundle_mb: float = 64.0,
        skip_if_done: Optional[Tuple[str, Dict[str, Any]]] = None,
    ):
        """``filter`` is a query on the bucket's files documents (e.g. on ``metadata``)."""
        super().__init__(
            _source(uri, db, f"{bucket}.files", filter, None, None, bucket, True, bundle_photos, bundle_mb, skip_if_done)
        )


def _source(uri, db, collection, filter, image_field, gridfs_field, bucket, files_are_photos, bundle_photos, bundle_mb, skip_if_done) -> _Source:
    for name, value in (("uri", uri), ("db", db), ("collection", collection), ("gridfs_bucket", bucket)):
        if not isinstance(value, str) or not value:
            raise ValueError(f"{name} must be a non-empty string, not {value!r}")
    if not (isinstance(bundle_photos, int) and bundle_photos >= 1) or not bundle_mb > 0:
        raise ValueError("bundle_photos must be an integer >= 1 and bundle_mb > 0")
    return _Source(uri, db, collection, dict(filter or {}), image_field, gridfs_field, bucket, files_are_photos, bundle_photos, float(bundle_mb), skip_if_done)
