"""Connections and the few server facts the reader and writer need."""

import re

import pymongo
from pymongo.driver_info import DriverInfo
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
