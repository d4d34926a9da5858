"""ReadPhotosFromMongoDB / ReadPhotosFromGridFS: every photo exactly once, however the
collection is divided, split while read, or spread over worker processes."""

import hashlib
import os
from collections import Counter

import apache_beam as beam
import bson
import gridfs
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from library import client, make_library, synthetic_photos
from photophone.beam import read as reader
from photophone.beam.idrange import END, IdRange, IdRangeTracker, bracket_of, position_at, successor

TWO_WORKERS = ["--runner=FnApiRunner", "--direct_num_workers=2", "--direct_running_mode=multi_processing"]


def source(uri, db, **kw):
    return reader.ReadPhotosFromMongoDB(uri, db, "photos", gridfs_field="file", **kw)._source


def read_piece(src, piece: IdRange, split_after=None, fraction=0.5):
    """Reads one range in this process as a worker would; optionally asks for a split after
    ``split_after`` photos. Returns (ids read, the split's residual or None)."""
    fn = reader._ReadRanges(src)
    fn.setup()
    tracker = IdRangeTracker(piece)
    ids, residual = [], None
    try:
        for record in fn.process(piece, tracker=tracker):
            ids.append(record.id)
            if split_after is not None and len(ids) == split_after:
                halves = tracker.try_split(fraction)
                residual = halves[1] if halves else None
        tracker.check_done()
    finally:
        fn.teardown()
    return ids, residual


def test_every_photo_read_once_across_splits_and_two_worker_processes(mongo_uri, db_name):
    with client(mongo_uri) as c:
        expected = make_library(c[db_name], synthetic_photos(306))

    # How the initial split divides the library: >= 4 pieces covering each range exactly.
    src = source(mongo_uri, db_name, bundle_photos=32)
    fn = reader._ReadRanges(src)
    pieces = [p for r in reader._plan(src) for p in fn.split(r, r)]
    assert len(pieces) >= 4
    assert {p.bracket for p in pieces} == {"number", "string", "objectId"}

    class Record(beam.DoFn):  # runs in the worker processes: only installed modules here
        def setup(self):
            import pymongo

            self.c = pymongo.MongoClient(mongo_uri)

        def process(self, r):
            self.c[db_name].seen.insert_one({"photo": r.id, "sha": hashlib.sha256(r.data).hexdigest(), "pid": os.getpid(), "error": r.error})

        def teardown(self):
            self.c.close()

    with beam.Pipeline(options=PipelineOptions(TWO_WORKERS)) as p:
        p | reader.ReadPhotosFromMongoDB(mongo_uri, db_name, "photos", gridfs_field="file", bundle_photos=32) | beam.ParDo(Record())

    with client(mongo_uri) as c:
        seen = list(c[db_name].seen.find())
    counts = Counter(bson.encode({"k": s["photo"]}) for s in seen)
    assert len(seen) == len(expected) == 306
    assert set(counts.values()) == {1}, "a photo was read twice"
    assert {s["photo"]: s["sha"] for s in seen} == {k: hashlib.sha256(v).hexdigest() for k, v in expected.items()}
    assert all(s["error"] is None for s in seen)
    assert len({s["pid"] for s in seen} - {os.getpid()}) == 2, "both worker processes read photos"


def test_initial_splits_cover_each_range_exactly(mongo_uri, db_name):
    with client(mongo_uri) as c:
        expected = make_library(c[db_name], synthetic_photos(120))
    src = source(mongo_uri, db_name, bundle_photos=9)
    fn = reader._ReadRanges(src)
    read = []
    for planned in reader._plan(src):
        pieces = list(fn.split(planned, planned))
        assert len(pieces) >= 4
        assert pieces[0].start == planned.start and pieces[-1].stop == planned.stop
        assert all(a.stop == b.start for a, b in zip(pieces, pieces[1:])), "pieces must abut"
        for piece in pieces:
            ids, _ = read_piece(src, piece)
            assert len(ids) == piece.count
            read += ids
    assert sorted(map(repr, read)) == sorted(map(repr, expected))


@pytest.mark.parametrize("fraction", [0.5, 0.1, 0.0])
def test_a_range_split_while_read_is_covered_exactly_by_its_halves(mongo_uri, db_name, fraction):
    with client(mongo_uri) as c:
        expected = make_library(c[db_name], synthetic_photos(90))
    src = source(mongo_uri, db_name)
    for planned in reader._plan(src):
        primary_ids, residual = read_piece(src, planned, split_after=7, fraction=fraction)
        assert residual is not None, f"{planned.bracket}: no split"
        residual_ids, _ = read_piece(src, residual)
        everything = [i for i in expected if bracket_of(i) == planned.bracket]
        assert len(primary_ids) >= 7 and residual_ids
        assert sorted(primary_ids + residual_ids) == sorted(everything)
        assert not set(map(repr, primary_ids)) & set(map(repr, residual_ids))
        if fraction == 0.0:  # a checkpoint keeps exactly what was claimed
            assert len(primary_ids) == 7


def test_tracker_refuses_splits_it_cannot_honour():
    t = IdRangeTracker(IdRange("number", 0, 10, 10))
    assert t.try_claim(9)
    assert t.try_split(0.5) is None  # nothing left between 9 and 10
    assert not t.try_claim(10)
    t.check_done()
    t = IdRangeTracker(IdRange("number", 0, 10, 10))
    assert t.try_claim(3)
    with pytest.raises(ValueError):
        t.check_done()  # stopped without reading to the end
    with pytest.raises(ValueError):
        t.try_claim(2)  # ids must ascend
    assert not t.try_claim(END)
    t.check_done()


@pytest.mark.parametrize(
    "low,high",
    [(0, 1000), (2.5, 7.25), ("a", "b"), ("photo-00001", "photo-00999"), ("é", "\U0001F600z"), ("\ud7ff", "\ue001"), (bson.ObjectId("000000000000000000000000"), bson.ObjectId("0000000000000000000000ff"))],
)
def test_positions_between_bounds_are_ordered(low, high):
    last = low
    for f in (0.1, 0.25, 0.5, 0.75, 0.9):
        p = position_at(low, high, f)
        assert low <= p <= high and p >= last, (f, p)
        last = p
        if isinstance(p, str):
            p.encode("utf-8")  # a split point must be storable
    assert successor(low) > low and bracket_of(successor(low)) == bracket_of(low)


def test_gridfs_bucket_as_the_library(mongo_uri, db_name):
    photos = synthetic_photos(40)
    with client(mongo_uri) as c:
        bucket = gridfs.GridFSBucket(c[db_name], bucket_name="library")
        ids = {bucket.upload_from_stream(f"{i}.jpg", data): data for i, data in enumerate(photos)}
    src = reader.ReadPhotosFromGridFS(mongo_uri, db_name, "library", bundle_photos=8)._source
    got = {}
    for planned in reader._plan(src):
        for piece in reader._ReadRanges(src).split(planned, planned):
            fn = reader._ReadRanges(src)
            fn.setup()
            got.update({r.id: r.data for r in fn.process(piece, tracker=IdRangeTracker(piece))})
            fn.teardown()
    assert got == ids


def test_documents_without_a_usable_photo_become_error_records(mongo_uri, db_name, monkeypatch):
    with client(mongo_uri) as c:
        db = c[db_name]
        big = gridfs.GridFSBucket(db).upload_from_stream("big.jpg", b"x" * 5000)
        db.photos.insert_many(
            [
                {"_id": 1, "image": b"fine"},
                {"_id": 2, "title": "no photo"},
                {"_id": 3, "file": bson.ObjectId()},
                {"_id": 4, "image": "base64 text"},
                {"_id": 5, "file": big},
            ]
        )
    monkeypatch.setattr(reader, "MAX_PHOTO_BYTES", 4096)
    src = source(mongo_uri, db_name)
    (planned,) = reader._plan(src)
    fn = reader._ReadRanges(src)
    fn.setup()
    records = {r.id: r for r in fn.process(planned, tracker=IdRangeTracker(planned))}
    fn.teardown()
    assert records[1].data == b"fine" and records[1].error is None
    assert records[2].error == "document has no 'image' field and no 'file' field"
    assert records[3].error.startswith("GridFS file ObjectId(") and records[3].error.endswith("not found in bucket 'fs'")
    assert records[4].error == "'image' holds str, not binary image data"
    assert records[5].error == "file is 5000 bytes, more than the 4096-byte limit"
    assert all(r.data is None for r in records.values() if r.error)


def test_unsupported_id_types_are_refused_up_front(mongo_uri, db_name):
    with client(mongo_uri) as c:
        c[db_name].photos.insert_many([{"_id": 1, "image": b"a"}, {"_id": {"compound": 1}, "image": b"b"}])
    with pytest.raises(ValueError, match="neither numbers, strings nor ObjectIds"):
        list(reader._plan(source(mongo_uri, db_name)))


def test_filter_and_skip_if_done(mongo_uri, db_name):
    with client(mongo_uri) as c:
        db = c[db_name]
        expected = make_library(db, synthetic_photos(30))
        db.photos.update_many({}, {"$set": {"album": "a"}})
        odd = [k for i, k in enumerate(expected) if i % 2]
        db.photos.update_many({"_id": {"$in": odd}}, {"$set": {"album": "b"}})
        done = odd[:4]
        db.done.insert_many([{"_id": k, "state": "complete"} for k in done])
    src = reader.ReadPhotosFromMongoDB(mongo_uri, db_name, "photos", filter={"album": "b"}, gridfs_field="file", skip_if_done=("done", {"state": "complete"}))._source
    ids = [i for planned in reader._plan(src) for i in read_piece(src, planned)[0]]
    assert sorted(map(repr, ids)) == sorted(map(repr, odd[4:]))
