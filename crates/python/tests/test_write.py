"""WriteResultsToMongoDB: one result and one file of each kind per photo, whatever was
interrupted before, and dead letters that follow the photo's latest outcome."""

import bson
from library import check_audio_bucket, client, read_audio
from photophone.beam.process import PhotoFailure, PhotoResult
from photophone.beam.write import _WriteOutcomes, audio_file_id

OPTIONS = {"style": "ambient", "seed": 0, "seconds": 2.0}


def outcomes(n, wav_size=600_000, midi=True):
    ids = [[i, f"p{i}", bson.ObjectId()][i % 3] for i in range(n)]
    return [
        PhotoResult(i, OPTIONS, {"photo": {"name": str(i)}}, bytes([k % 251]) * (wav_size + k), (b"MThd%d" % k) if midi else None)
        for k, i in enumerate(ids)
    ]


def writer(uri, db, batch_size=50):
    fn = _WriteOutcomes(uri, db, "music", "photophone_audio", batch_size)
    fn.setup()
    return fn


def run_bundle(uri, db, items, finish=True, batch_size=50):
    fn = writer(uri, db, batch_size)
    fn.start_bundle()
    for item in items:
        fn.process(item)
    if finish:
        fn.finish_bundle()
    fn.teardown()  # without finish_bundle: a worker that died before the bundle committed


def test_a_retried_bundle_leaves_one_result_and_one_file_per_photo(mongo_uri, db_name):
    items = outcomes(12)
    # Attempt 1 dies after uploading the files of 8 photos, before any result document.
    run_bundle(mongo_uri, db_name, items[:8], finish=False)
    with client(mongo_uri) as c:
        db = c[db_name]
        assert db.music.count_documents({}) == 0
        assert db["photophone_audio.files"].count_documents({}) == 16
        # ...and photo 9's WAV upload was killed after two chunks (no files document yet).
        for n in range(2):
            db["photophone_audio.chunks"].insert_one({"files_id": audio_file_id("music", items[9].id, "wav"), "n": n, "data": b"partial"})
    # The retry, and a second retry of the whole bundle.
    for _ in range(2):
        run_bundle(mongo_uri, db_name, items)
        with client(mongo_uri) as c:
            db = c[db_name]
            assert db.music.count_documents({}) == 12
            assert check_audio_bucket(db, "music") == {"wav": 12, "midi": 12}
            for item in items:
                doc = db.music.find_one({"_id": item.id})
                assert doc["options"] == OPTIONS and doc["report"] == item.report
                assert read_audio(db, doc["wav"]) == item.wav and read_audio(db, doc["midi"]) == item.midi


def test_a_result_replaced_without_midi_drops_its_old_midi_file(mongo_uri, db_name):
    first = outcomes(6)
    run_bundle(mongo_uri, db_name, first)
    second = [r._replace(options={**OPTIONS, "seconds": 5.0}, midi=None, wav=b"v2" + r.wav) for r in first]
    run_bundle(mongo_uri, db_name, second, batch_size=4)
    with client(mongo_uri) as c:
        db = c[db_name]
        assert check_audio_bucket(db, "music") == {"wav": 6}
        for r in second:
            doc = db.music.find_one({"_id": r.id})
            assert "midi" not in doc and doc["options"]["seconds"] == 5.0
            assert read_audio(db, doc["wav"]) == r.wav


def test_dead_letters_follow_the_latest_outcome(mongo_uri, db_name):
    good = outcomes(4)
    bad = [PhotoFailure(r.id, "corrupt or truncated image: boom") for r in good[:2]]
    run_bundle(mongo_uri, db_name, bad + good[2:])
    with client(mongo_uri) as c:
        db = c[db_name]
        assert sorted(map(repr, (d["_id"] for d in db.music_errors.find()))) == sorted(repr(r.id) for r in bad)
        assert db.music_errors.find_one({"_id": bad[0].id})["error"] == "corrupt or truncated image: boom"
        assert db.music.count_documents({}) == 2
    # The photos were fixed: their results replace the dead letters.
    run_bundle(mongo_uri, db_name, good[:2])
    with client(mongo_uri) as c:
        db = c[db_name]
        assert db.music_errors.count_documents({}) == 0 and db.music.count_documents({}) == 4
        check_audio_bucket(db, "music")
