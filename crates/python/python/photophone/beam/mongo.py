"""Connections, the few server facts the reader and writer need, and GridFS writes."""

import datetime
import re
from typing import Any, Dict

import pymongo
from pymongo.driver_info import DriverInfo
from pymongo import ASCENDING
from pymongo.errors import OperationFailure, PyMongoError

from .. import __version__

# A wrong URI or a server that is down fails within this many seconds, not after pymongo's
# default 30 s of retrying.
TIMEOUT_MS = 10_000


def connect(uri: str) -> pymongo.MongoClient:
    return pymongo.MongoClient(
        uri,
        serverSelectionTimeoutMS=TIMEOUT_MS,
        connectTimeoutMS=TIMEOUT_MS,
        driver=DriverInfo(name="photophone", version=__version__),
    )


def estimate_average_size(db, collection: str) -> float:
    """Average document size in bytes: ``collStats`` where the server offers it, else the
    mean BSON size of a random sample."""
    try:
        stats = db.command("collStats", collection)
        if stats.get("count"):
            return float(stats.get("avgObjSize") or stats["size"] / stats["count"])
    except (OperationFailure, KeyError, ZeroDivisionError):
        pass
    sample = db[collection].aggregate([{"$sample": {"size": 32}}, {"$project": {"_id": 0, "bytes": {"$bsonSize": "$$ROOT"}}}])
    sizes = [d["bytes"] for d in sample]
    return sum(sizes) / len(sizes) if sizes else 0.0


def redact(uri: str) -> str:
    """The URI without its password, for messages."""
    return re.sub(r"//([^:/@]*):[^@/]*@", r"//\1:***@", uri)


def describe(e: PyMongoError) -> str:
    """pymongo's message cut to its first clause: no topology dump, no raw server reply."""
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    for tail in (", full error:", " (configured timeouts", ", Timeout:"):
        text = text.split(tail)[0]
    return text[:300]


CHUNK_BYTES = 255 * 1024  # GridFS's default chunk size


def prepare_bucket(db, bucket: str) -> None:
    """The indexes GridFS readers rely on (idempotent; once per worker, not per file)."""
    db[f"{bucket}.files"].create_index([("filename", ASCENDING), ("uploadDate", ASCENDING)])
    db[f"{bucket}.chunks"].create_index([("files_id", ASCENDING), ("n", ASCENDING)], unique=True)


def put_file(db, bucket: str, file_id: Any, filename: str, data: bytes, metadata: Dict[str, Any]) -> None:
    """Stores ``data`` as a GridFS file: chunks first, the files document last (GridFS's layout;
    any GridFS reader reads it).

    Written here rather than with ``GridFSBucket.upload_from_stream_with_id`` because pymongo
    checks the bucket's indexes before every upload with an unfiltered ``find_one`` on the
    chunks collection, which the test server answers by scanning it: measured 0.58 s per
    upload at 1,680 chunks, growing with the bucket (bench/library.py). The indexes are made
    once per worker instead (:func:`prepare_bucket`).
    """
    chunks = [{"files_id": file_id, "n": n, "data": data[i : i + CHUNK_BYTES]} for n, i in enumerate(range(0, len(data), CHUNK_BYTES))]
    if chunks:
        db[f"{bucket}.chunks"].insert_many(chunks, ordered=True)
    db[f"{bucket}.files"].insert_one(
        {
            "_id": file_id,
            "length": len(data),
            "chunkSize": CHUNK_BYTES,
            "uploadDate": datetime.datetime.now(datetime.timezone.utc),
            "filename": filename,
            "metadata": metadata,
        }
    )
