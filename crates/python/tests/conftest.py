"""Shared fixtures: the CLI to compare against, fixture photos, and a MongoDB-compatible test
server (secantusdb, installed into .venv by scripts/python-env.sh) that these tests start on a
free loopback port and stop themselves. No test touches a server it did not start."""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pymongo
import pytest

REPO = Path(__file__).resolve().parents[3]
REAL_PHOTOS = REPO / "testdata" / "real-photos"
FIXTURES = REPO / "crates" / "photophone" / "tests" / "fixtures"


@pytest.fixture(scope="session")
def cli() -> Path:
    path = Path(os.environ.get("PHOTOPHONE_BIN", REPO / "target" / "release" / "photophone"))
    if not path.is_file():
        pytest.fail(f"{path} is missing: build it with `cargo build --release -p photophone-cli` (scripts/test.sh does)")
    return path


def photo_paths():
    """Real photographs (testdata/real-photos) and the Rust tests' fixtures."""
    return sorted(REAL_PHOTOS.glob("*.jpg")) + sorted(REAL_PHOTOS.glob("*.png")) + [FIXTURES / "chelsea.png", FIXTURES / "rocket.jpg"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory):
    server = Path(sys.executable).with_name("secantusd-py")
    if not server.exists():
        pytest.fail(f"{server} is missing: run scripts/python-env.sh")
    port = free_port()
    storage = tmp_path_factory.mktemp("mongo")
    log = open(storage.parent / "secantusd.log", "w")
    proc = subprocess.Popen(
        [str(server), "--host", "127.0.0.1", "--port", str(port), "--storage-path", str(storage)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    uri = f"mongodb://127.0.0.1:{port}/"
    deadline = time.monotonic() + 30
    while True:
        try:
            with pymongo.MongoClient(uri, serverSelectionTimeoutMS=500) as c:
                c.admin.command("ping")
            break
        except pymongo.errors.PyMongoError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"the test server did not start (see {log.name})")
            time.sleep(0.2)
    yield uri
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture
def db_name(mongo_uri):
    """A database of the test's own, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield name
    with pymongo.MongoClient(mongo_uri) as c:
        c.drop_database(name)
