"""Test photo libraries in MongoDB: documents with every ``_id`` type, photos inline and in
GridFS, and the checks that a run left exactly one result and one file per photo."""

import hashlib
from collections import Counter
from typing import Any, Dict, List, Sequence

import bson
import gridfs
import pymongo


def make_library(db, photos: Sequence[bytes], collection: str = "photos", gridfs_field: str = "file") -> Dict[Any, bytes]:
    """One document per photo, ``_id``\\ s cycling int → string → ObjectId, every other photo
    in GridFS (bucket ``fs``) instead of inline. Returns ``{_id: photo bytes}``."""
    bucket = gridfs.GridFSBucket(db)
    docs, expected = [], {}
    for i, data in enumerate(photos):
        photo_id = [i * 7, f"photo-{i:05d}", bson.ObjectId()][i % 3]
        if i % 2:
            docs.append({"_id": photo_id, "image": data, "title": f"photo {i}"})
        else:
            file_id = bucket.upload_from_stream(f"photo-{i}.jpg", data)
            docs.append({"_id": photo_id, gridfs_field: file_id, "title": f"photo {i}"})
        expected[photo_id] = data
    db[collection].insert_many(docs)
    return expected


def synthetic_photos(n: int) -> List[bytes]:
    """Distinct byte strings standing in for photos where nothing decodes them."""
    return [hashlib.sha256(str(i).encode()).digest() * (1 + i % 5) for i in range(n)]


def check_audio_bucket(db, results: str, bucket: str = "photophone_audio") -> Counter:
    """Every file referenced by exactly one result, no file unreferenced, every chunk belonging
    to a file and every file whole. Returns the count of files per kind."""
    files = list(db[f"{bucket}.files"].find())
    referenced = Counter()
    for doc in db[results].find({}, {"wav": 1, "midi": 1}):
        for kind in ("wav", "midi"):
            if kind in doc:
                referenced[bson.encode({"id": doc[kind]})] += 1
    file_keys = Counter(bson.encode({"id": f["_id"]}) for f in files)
    assert all(n == 1 for n in referenced.values()), "a file referenced twice"
    assert file_keys == referenced, "files without a result, or results without their file"
    for f in files:
        chunks = db[f"{bucket}.chunks"].count_documents({"files_id": f["_id"]})
        assert chunks == -(-f["length"] // f["chunkSize"]), f"file {f['_id']} has {chunks} chunks"
    assert db[f"{bucket}.chunks"].count_documents({}) == sum(-(-f["length"] // f["chunkSize"]) for f in files), "orphaned chunks"
    return Counter(f["metadata"]["kind"] for f in files)


def read_audio(db, file_id, bucket: str = "photophone_audio") -> bytes:
    return gridfs.GridFSBucket(db, bucket_name=bucket).open_download_stream(file_id).read()


def client(uri: str) -> pymongo.MongoClient:
    return pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000)
