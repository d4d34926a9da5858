"""``python -m photophone.beam``: a MongoDB photo library → music, on any Beam runner.

    python -m photophone.beam --mongo-uri mongodb://127.0.0.1:27017 --db maze --photos photos \\
        --results music --render --runner=FnApiRunner --direct_num_workers=2 \\
        --direct_running_mode=multi_processing

Before the pipeline starts, the launcher checks what would otherwise fail on a worker with a
stack trace (the server answers, the library exists, the results can be written) and says
what is wrong in one line. While it runs, it shows progress read from the results collection
(so it works on every runner); at the end, Beam's counters.
"""

import argparse
import datetime
import logging
import sys
import threading
import time
from typing import List, Optional

from pymongo.errors import PyMongoError

from .layout import AUDIO_BUCKET, MusicOptions, complete_result_filter, errors_collection
from .mongo import connect, describe, redact

# Apache Beam is imported only once the setup has passed its checks (`run`): a wrong URI or a
# missing collection is then one line, at once, without Beam's import-time chatter.


class Failure(Exception):
    """A problem for the user: printed as one line, exit status 1."""


def parse(argv: List[str]):
    p = argparse.ArgumentParser(
        prog="python -m photophone.beam",
        description="Turn a photo library in MongoDB into music with Apache Beam. "
        "Unknown options are Beam pipeline options (--runner, --direct_num_workers, --project, ...).",
    )
    p.add_argument("--mongo-uri", required=True, help="MongoDB connection string")
    p.add_argument("--db", required=True, help="database holding the photos and the results")
    library = p.add_mutually_exclusive_group(required=True)
    library.add_argument("--photos", help="collection with one document per photo")
    library.add_argument("--photos-bucket", help="a GridFS bucket whose files are the photos")
    p.add_argument("--image-field", default="image", help="field holding a photo inline as binary data (default: image)")
    p.add_argument("--gridfs-field", help="field holding the GridFS file id of a photo stored in GridFS")
    p.add_argument("--gridfs-bucket", default="fs", help="bucket of the --gridfs-field files (default: fs)")
    p.add_argument("--results", required=True, help="collection for the results; failures go to <results>_errors")
    p.add_argument("--audio-bucket", default=AUDIO_BUCKET, help=f"GridFS bucket for WAV and MIDI files (default: {AUDIO_BUCKET})")
    p.add_argument("--render", action="store_true", help="render each photo's WAV (otherwise: the analysis report only)")
    p.add_argument("--midi", action="store_true", help="also store each photo's score as MIDI")
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--style", choices=["ambient", "classic"], default="ambient")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--force", action="store_true", help="redo photos that already have a complete result")
    p.add_argument("--bundle-photos", type=int, default=16, help="photos per initial bundle (default: 16)")
    args, beam_args = p.parse_known_args(argv)
    if args.photos_bucket and args.gridfs_field:
        p.error("--gridfs-field belongs with --photos, not --photos-bucket")
    # Beam's default local runner first tries to download the Prism runner; the FnApiRunner is
    # in the SDK itself, so a local run needs nothing from the network.
    if not any(a == "--runner" or a.startswith("--runner=") for a in beam_args):
        beam_args.append("--runner=FnApiRunner")
    return args, beam_args


def build(pipeline, args, options: MusicOptions) -> None:
    import apache_beam as beam

    from .process import ProcessPhotos
    from .read import ReadPhotosFromGridFS, ReadPhotosFromMongoDB
    from .write import WriteResultsToMongoDB

    skip = None if args.force else (args.results, complete_result_filter(options))
    if args.photos_bucket:
        read = ReadPhotosFromGridFS(args.mongo_uri, args.db, args.photos_bucket, bundle_photos=args.bundle_photos, skip_if_done=skip)
    else:
        read = ReadPhotosFromMongoDB(
            args.mongo_uri,
            args.db,
            args.photos,
            image_field=args.image_field,
            gridfs_field=args.gridfs_field,
            gridfs_bucket=args.gridfs_bucket,
            bundle_photos=args.bundle_photos,
            skip_if_done=skip,
        )
    (
        pipeline
        | "Read photos" >> read
        | "Make music" >> beam.ParDo(ProcessPhotos(options))
        | "Write" >> WriteResultsToMongoDB(args.mongo_uri, args.db, args.results, args.audio_bucket)
    )


def preflight(args) -> int:
    """The checks a user would otherwise meet as a worker's stack trace. Returns the number of
    photos in the library."""
    library = f"{args.photos_bucket}.files" if args.photos_bucket else args.photos
    try:
        with connect(args.mongo_uri) as client:
            client.admin.command("ping")
            db = client[args.db]
            if library not in db.list_collection_names():
                raise Failure(f"{args.db}.{library}: no such collection")
            for name in (args.results, errors_collection(args.results)):
                probe = {"_id": "__photophone_write_check__"}
                db[name].replace_one(probe, probe, upsert=True)
                db[name].delete_one(probe)
            db[args.results].create_index("made_at")  # progress polls count by it
            return db[library].estimated_document_count()
    except PyMongoError as e:
        raise Failure(f"{redact(args.mongo_uri)}: {describe(e)}") from None


class Progress:
    """Photos done out of the library, every few seconds, read from the results collection (so
    it works on every runner): those complete when the run started, plus results written
    since (``made_at``, indexed, so a poll does not scan the results)."""

    def __init__(self, args, options: MusicOptions, total: int):
        self._args, self._total = args, total
        self._filter = complete_result_filter(options)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._tty = sys.stderr.isatty()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        if self._tty:
            sys.stderr.write("\n")

    def _run(self) -> None:
        started = datetime.datetime.now(datetime.timezone.utc)
        with connect(self._args.mongo_uri) as client:
            results = client[self._args.db][self._args.results]
            errors = client[self._args.db][errors_collection(self._args.results)]
            t0 = time.monotonic()
            before = 0 if self._args.force else results.count_documents(self._filter)
            while not self._stop.wait(1.0 if self._tty else 10.0):
                try:
                    made = results.count_documents({"made_at": {"$gte": started}})
                    failed = errors.estimated_document_count()
                except PyMongoError:
                    continue
                rate = made / max(time.monotonic() - t0, 1e-9)
                left = max(self._total - before - made - failed, 0)
                eta = f"{left / rate:.0f} s" if rate > 0 else "?"
                line = f"photophone: {min(before + made, self._total)}/{self._total} photos, {failed} failed, {rate:.2f} photos/s, ETA {eta}"
                sys.stderr.write(f"\r{line}\x1b[K" if self._tty else line + "\n")
                sys.stderr.flush()


def summary(result) -> dict:
    """Beam's photophone counters, summed over steps and workers."""
    totals: dict = {}
    for c in result.metrics().query()["counters"]:
        value = c.committed if c.committed is not None else c.attempted
        totals[c.key.metric.name] = totals.get(c.key.metric.name, 0) + (value or 0)
    return totals


def main(argv: Optional[List[str]] = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args, beam_args = parse(sys.argv[1:] if argv is None else argv)
    try:
        options = MusicOptions(args.style, args.seed, args.seconds, args.render, args.midi).checked()
        total = preflight(args)
    except (Failure, ValueError) as e:
        print(f"photophone.beam: error: {e}", file=sys.stderr)
        return 1
    t0 = time.monotonic()
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    pipeline = beam.Pipeline(options=PipelineOptions(beam_args))
    build(pipeline, args, options)
    with Progress(args, options, total):
        result = pipeline.run()
        result.wait_until_finish()
    counts = summary(result)
    made = counts.get("photos_rendered", 0) + counts.get("photos_analysed", 0)
    failed = counts.get("photos_failed", 0)
    print(
        f"photophone.beam: {made} photos {'rendered' if args.render else 'analysed'}, "
        f"{counts.get('photos_skipped', 0)} already done, {failed} failed "
        f"(in {args.db}.{errors_collection(args.results)}), {time.monotonic() - t0:.1f} s",
        file=sys.stderr,
    )
    return 1 if failed else 0
