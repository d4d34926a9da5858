"""The pipeline through Beam's portable job API, as a Flink, Spark or Dataflow cluster runs it:
a job service, SDK workers in processes of their own started by a worker pool, and the
photophone wheel staged with ``--extra_package`` and installed on the workers (whose
environment has Beam but not photophone; see portable/boot.py)."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import photophone
import pytest
from conftest import REPO, free_port, photo_paths
from library import check_audio_bucket, client, make_library, read_audio


def wait_for_port(port: int, proc: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the {what} did not start")
            time.sleep(0.1)


@pytest.fixture
def job_service(tmp_path):
    """A local job service and an external worker pool, each its own process."""
    python = Path(sys.executable)
    boot = tmp_path / "boot"
    boot.write_text(f"#!/bin/sh\nexec {python} {Path(__file__).parent / 'portable' / 'boot.py'} \"$@\"\n")
    boot.chmod(0o755)
    env = dict(os.environ, PHOTOPHONE_BOOT_ROOT=str(tmp_path / "workers"), PATH=f"{python.parent}{os.pathsep}{os.environ['PATH']}")
    job_port, pool_port = free_port(), free_port()
    logs = open(tmp_path / "services.log", "w")
    services = [
        subprocess.Popen([str(python), "-m", "apache_beam.runners.portability.local_job_service_main", "--port", str(job_port)], stdout=logs, stderr=subprocess.STDOUT, env=env),
        subprocess.Popen(
            [str(python), "-m", "apache_beam.runners.worker.worker_pool_main", f"--service_port={pool_port}", f"--container_executable={boot}"],
            stdout=logs,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        ),
    ]
    wait_for_port(job_port, services[0], "job service")
    wait_for_port(pool_port, services[1], "worker pool")
    yield job_port, pool_port, tmp_path / "workers"
    services[1].send_signal(signal.SIGINT)  # the pool stops its workers on SIGINT
    services[0].terminate()
    for s in services:
        try:
            s.wait(timeout=20)
        except subprocess.TimeoutExpired:
            s.kill()
    logs.close()


def test_pipeline_on_the_portable_job_api_with_the_wheel_staged(mongo_uri, db_name, job_service):
    wheels = sorted((REPO / "target" / "wheels").glob("photophone-*.whl"))
    if not wheels:
        pytest.fail("no wheel in target/wheels: run scripts/python-env.sh")
    job_port, pool_port, workers = job_service
    with client(mongo_uri) as c:
        expected = make_library(c[db_name], [p.read_bytes() for p in photo_paths()[:6]])
    command = [
        sys.executable, "-m", "photophone.beam", "--mongo-uri", mongo_uri, "--db", db_name,
        "--photos", "photos", "--gridfs-field", "file", "--results", "music", "--render", "--seconds", "2",
        "--runner=PortableRunner", f"--job_endpoint=localhost:{job_port}",
        "--environment_type=EXTERNAL", f"--environment_config=localhost:{pool_port}",
        f"--extra_package={wheels[-1]}",
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "6 photos rendered" in out.stderr
    with client(mongo_uri) as c:
        db = c[db_name]
        assert check_audio_bucket(db, "music") == {"wav": 6}
        for photo_id, data in expected.items():
            assert read_audio(db, db.music.find_one({"_id": photo_id})["wav"]) == photophone.render(data, seconds=2)
    # The workers ran in processes the pool started, with the staged wheel installed.
    boot_logs = "".join(p.read_text() for p in (workers / "logs").glob("*.log"))
    assert wheels[-1].name in boot_logs and "installing staged packages" in boot_logs, boot_logs[-2000:]
