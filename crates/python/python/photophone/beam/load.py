"""``python -m photophone.beam.load``: put a folder of photos into MongoDB as a photo library.

    python -m photophone.beam.load --mongo-uri mongodb://127.0.0.1:27017 --db maze --photos photos DIR...

One document per photo, ``_id`` = its path below the folder: the photo inline as binary data
in ``image``, or, when it is larger than ``--inline-limit`` (MongoDB documents stop at 16 MB),
in GridFS (bucket ``fs``) with the file's id in ``file``. Loading again replaces documents by
``_id`` (their old GridFS files go too), so it can be re-run after adding photos.
"""

import argparse
import sys
from pathlib import Path
from typing import Iterator, List

import gridfs
from bson import ObjectId
from pymongo.errors import PyMongoError

from .mongo import connect, describe, prepare_bucket, put_file, redact

PHOTO_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".jfif"}


def photos_under(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix.lower() in PHOTO_SUFFIXES and not path.name.startswith("."):
            yield path


def main(argv: List[str] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m photophone.beam.load", description=__doc__.split("\n\n")[0])
    p.add_argument("--mongo-uri", required=True)
    p.add_argument("--db", required=True)
    p.add_argument("--photos", required=True, help="collection to load into")
    p.add_argument("--inline-limit", type=float, default=8.0, help="MB above which a photo goes to GridFS (default 8)")
    p.add_argument("folders", nargs="+", type=Path)
    args = p.parse_args(argv)
    for folder in args.folders:
        if not folder.is_dir():
            print(f"photophone.beam.load: error: {folder}: not a folder", file=sys.stderr)
            return 1
    limit = int(args.inline_limit * 2**20)
    inline = in_gridfs = 0
    try:
        with connect(args.mongo_uri) as client:
            db = client[args.db]
            bucket = gridfs.GridFSBucket(db)
            prepare_bucket(db, "fs")
            for folder in args.folders:
                for path in photos_under(folder):
                    photo_id = path.relative_to(folder).as_posix()
                    old = db[args.photos].find_one({"_id": photo_id}, {"file": 1})
                    data = path.read_bytes()
                    doc = {"_id": photo_id, "name": path.name, "bytes": len(data)}
                    if len(data) > limit:
                        doc["file"] = ObjectId()
                        put_file(db, "fs", doc["file"], path.name, data, {"photo": photo_id})
                        in_gridfs += 1
                    else:
                        doc["image"] = data
                        inline += 1
                    db[args.photos].replace_one({"_id": photo_id}, doc, upsert=True)
                    if old and old.get("file") is not None:
                        try:
                            bucket.delete(old["file"])
                        except gridfs.errors.NoFile:
                            pass
    except PyMongoError as e:
        print(f"photophone.beam.load: error: {redact(args.mongo_uri)}: {describe(e)}", file=sys.stderr)
        return 1
    print(f"photophone.beam.load: {inline + in_gridfs} photos in {args.db}.{args.photos} ({inline} inline, {in_gridfs} in GridFS)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
