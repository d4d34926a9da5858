"""``python -m photophone.beam`` end to end: the library rendered on two worker processes,
dead letters, a re-run that skips, SIGKILL mid-run and resume, and one-line errors."""

import os
import signal
import subprocess
import sys
import time

import bson
import photophone
import pytest
from conftest import photo_paths
from library import check_audio_bucket, client, make_library, read_audio

TWO_WORKERS = ["--runner=FnApiRunner", "--direct_num_workers=2", "--direct_running_mode=multi_processing"]


def pipeline_command(uri, db, *extra):
    return [sys.executable, "-m", "photophone.beam", "--mongo-uri", uri, "--db", db, *extra]


def run_pipeline(uri, db, *extra, timeout=300):
    return subprocess.run(pipeline_command(uri, db, *extra), capture_output=True, text=True, timeout=timeout)


def summary_line(out):
    return [line for line in out.stderr.splitlines() if line.startswith("photophone.beam:")][-1]


def library_with_bad_documents(db, n):
    photos = [p.read_bytes() for p in photo_paths()[:n]]
    expected = make_library(db, photos)
    db.photos.insert_many(
        [
            {"_id": "bad-bytes", "image": b"this is not a photo"},
            {"_id": "no-photo", "title": "lost"},
            {"_id": bson.ObjectId(), "file": bson.ObjectId()},  # GridFS id that does not exist
        ]
    )
    return expected


def test_renders_the_library_on_two_workers_and_skips_it_when_run_again(mongo_uri, db_name):
    with client(mongo_uri) as c:
        expected = library_with_bad_documents(c[db_name], 24)
    args = ["--photos", "photos", "--gridfs-field", "file", "--results", "music", "--render", "--midi", "--seconds", "2", "--seed", "3", *TWO_WORKERS]
    out = run_pipeline(mongo_uri, db_name, *args)
    assert out.returncode == 1, out.stderr  # finished, with failed photos to report
    assert "24 photos rendered, 0 already done, 3 failed" in summary_line(out)
    with client(mongo_uri) as c:
        db = c[db_name]
        assert db.music.count_documents({}) == 24
        assert check_audio_bucket(db, "music") == {"wav": 24, "midi": 24}
        for photo_id, data in expected.items():
            doc = db.music.find_one({"_id": photo_id})
            made = photophone.process(data, seconds=2, seed=3, wav=True, midi=True)
            assert doc["options"] == {"style": "ambient", "seed": 3, "seconds": 2.0}
            assert read_audio(db, doc["wav"]) == made.wav == photophone.render(data, seconds=2, seed=3)
            assert read_audio(db, doc["midi"]) == made.midi
            assert doc["report"] == made.report
        errors = {str(d["_id"]): d["error"] for d in db.music_errors.find()}
        assert errors["bad-bytes"] == "not an image in a supported format (PNG, JPEG, GIF, BMP, TIFF, WebP)"
        assert errors["no-photo"] == "document has no 'image' field and no 'file' field"
        assert len(errors) == 3 and all("\n" not in e for e in errors.values())
        files_before = sorted(str(f["uploadDate"]) for f in db["photophone_audio.files"].find())

    again = run_pipeline(mongo_uri, db_name, *args)
    assert "0 photos rendered, 24 already done, 3 failed" in summary_line(again), again.stderr
    with client(mongo_uri) as c:
        assert sorted(str(f["uploadDate"]) for f in c[db_name]["photophone_audio.files"].find()) == files_before


def test_sigkill_mid_run_then_resume_completes_with_nothing_lost_or_doubled(mongo_uri, db_name):
    with client(mongo_uri) as c:
        expected = make_library(c[db_name], [p.read_bytes() for p in photo_paths()[:40]])
    args = ["--photos", "photos", "--gridfs-field", "file", "--results", "music", "--render", "--seconds", "20", "--bundle-photos", "4", *TWO_WORKERS]
    first = subprocess.Popen(pipeline_command(mongo_uri, db_name, *args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    with client(mongo_uri) as c:
        deadline = time.monotonic() + 120
        while c[db_name].music.count_documents({}) < 6 and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(first.pid, signal.SIGKILL)  # the launcher and its worker processes
        first.wait()
        done_at_kill = c[db_name].music.count_documents({})
    assert 6 <= done_at_kill < 40, f"the kill should land mid-run ({done_at_kill} of 40 done)"

    second = run_pipeline(mongo_uri, db_name, *args)
    assert second.returncode == 0, second.stderr
    line = summary_line(second)
    rendered, skipped = int(line.split()[1]), int(line.split(" photos rendered, ")[1].split()[0])
    assert skipped >= done_at_kill and rendered + skipped == 40, line
    with client(mongo_uri) as c:
        db = c[db_name]
        assert db.music.count_documents({}) == 40
        assert check_audio_bucket(db, "music") == {"wav": 40}
        assert db.music_errors.count_documents({}) == 0
        some = list(expected.items())[::9]
        for photo_id, data in some:
            assert read_audio(db, db.music.find_one({"_id": photo_id})["wav"]) == photophone.render(data, seconds=20)


def test_a_gridfs_bucket_library_analysed_only(mongo_uri, db_name):
    import gridfs

    with client(mongo_uri) as c:
        bucket = gridfs.GridFSBucket(c[db_name], bucket_name="maze")
        ids = {bucket.upload_from_stream(p.name, p.read_bytes()): p.read_bytes() for p in photo_paths()[:6]}
    out = run_pipeline(mongo_uri, db_name, "--photos-bucket", "maze", "--results", "reports", "--seconds", "10")
    assert out.returncode == 0, out.stderr
    assert "6 photos analysed" in summary_line(out)
    with client(mongo_uri) as c:
        db = c[db_name]
        for file_id, data in ids.items():
            doc = db.reports.find_one({"_id": file_id})
            assert "wav" not in doc and doc["report"] == photophone.process(data, seconds=10, wav=False).report
        assert "photophone_audio.files" not in db.list_collection_names() or db["photophone_audio.files"].count_documents({}) == 0


def one_line_error(out):
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 1 and len(lines) == 1, out.stderr
    assert lines[0].startswith("photophone.beam: error: ") and "Traceback" not in out.stderr
    return lines[0]


def test_unreachable_server_fails_within_seconds(db_name):
    from conftest import free_port

    t0 = time.monotonic()
    out = run_pipeline(f"mongodb://127.0.0.1:{free_port()}/", db_name, "--photos", "photos", "--results", "music", timeout=60)
    assert time.monotonic() - t0 < 20
    assert "Connection refused" in one_line_error(out) or "timed out" in one_line_error(out)


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--photos", "nothing-here", "--results", "music"], ".nothing-here: no such collection"),
        (["--photos", "photos", "--results", "music", "--seconds", "0"], "seconds must be between 0 and 3600, got 0"),
        (["--photos", "photos", "--results", "locked"], "Document failed validation"),
    ],
)
def test_bad_setups_are_one_line(mongo_uri, db_name, extra, message):
    with client(mongo_uri) as c:
        db = c[db_name]
        db.photos.insert_one({"_id": 1, "image": b"x"})
        # A results collection that refuses every write photophone would make.
        db.create_collection("locked", validator={"$jsonSchema": {"bsonType": "object", "required": ["never"]}})
    assert message in one_line_error(run_pipeline(mongo_uri, db_name, *extra))


def test_bad_uri_is_one_line(db_name):
    assert "notmongo" in one_line_error(run_pipeline("notmongo://x", db_name, "--photos", "p", "--results", "r"))


def test_loading_a_folder_into_a_library(mongo_uri, db_name, tmp_path):
    folder = tmp_path / "pictures"
    (folder / "trip").mkdir(parents=True)
    paths = photo_paths()[:4]
    for i, p in enumerate(paths):
        (folder / ("trip" if i % 2 else "") / p.name).write_bytes(p.read_bytes())
    (folder / "notes.txt").write_text("not a photo")
    load = [sys.executable, "-m", "photophone.beam.load", "--mongo-uri", mongo_uri, "--db", db_name, "--photos", "photos", "--inline-limit", "0.04", str(folder)]
    for _ in range(2):  # loading again replaces, it does not add
        out = subprocess.run(load, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
    with client(mongo_uri) as c:
        db = c[db_name]
        docs = {d["_id"]: d for d in db.photos.find()}
        assert sorted(docs) == sorted((f"trip/{p.name}" if i % 2 else p.name) for i, p in enumerate(paths))
        big = [d for d in docs.values() if "file" in d]
        assert big and len(big) < 4 and all(d["bytes"] > 0.04 * 2**20 for d in big)
        assert db["fs.files"].count_documents({}) == len(big)
        for i, p in enumerate(paths):
            d = docs[f"trip/{p.name}" if i % 2 else p.name]
            data = d["image"] if "image" in d else read_audio(db, d["file"], bucket="fs")
            assert data == p.read_bytes()
    out = subprocess.run(load[:-1] + [str(tmp_path / "missing")], capture_output=True, text=True)
    assert out.returncode == 1 and out.stderr.strip().endswith("missing: not a folder")
