"""The photo-library benchmark (issue 11): one run, one machine, one server.

Photos per second for the same JPEGs (30-s renders) through
  (a) the Beam pipeline (`python -m photophone.beam --render`) on 1 and 2 worker processes,
  (b) a plain single-process Python loop over the same collection (pymongo + photophone.render,
      writing the same results: the WAV to GridFS and a result document),
  (c) `photophone render DIR --out-dir` on 2 cores from local files,
  (d) the test server's raw read rate for the same documents (no rendering),
then the reader alone against Beam's own `ReadFromMongoDB(bucket_auto=True)` (when the server
runs with the `collstats` alias, bench/secantusd_beam_compat.py), and the peak memory of a
worker for a small and a large library. Run it through bench/library.sh.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import photophone
import pymongo
from photophone.beam.mongo import prepare_bucket, put_file

HERE = Path(__file__).resolve().parent
SECONDS = 30.0


def process_cpu_seconds() -> float:
    """CPU time of this process and of every child it has waited for (and theirs)."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The secantusdb test server on a free loopback port (with Beam's `collstats` alias when
    the compatibility launcher is there)."""

    def __init__(self, storage: Path):
        self.port = free_port()
        self.uri = f"mongodb://127.0.0.1:{self.port}/"
        shutil.rmtree(storage, ignore_errors=True)
        storage.mkdir(parents=True)
        compat = HERE / "secantusd_beam_compat.py"
        base = [sys.executable, str(compat)] if compat.exists() else [str(Path(sys.executable).with_name("secantusd-py"))]
        self.compat = compat.exists()
        self.proc = subprocess.Popen([*base, "--host", "127.0.0.1", "--port", str(self.port), "--storage-path", str(storage)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(150):
            try:
                with pymongo.MongoClient(self.uri, serverSelectionTimeoutMS=300) as c:
                    c.admin.command("ping")
                return
            except pymongo.errors.PyMongoError:
                time.sleep(0.2)
        raise SystemExit("the test server did not start")

    def cpu_seconds(self) -> float:
        """CPU time the server has used so far (it shares this machine's cores)."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


class PeakMemory:
    """Peak resident memory of a process and each of its descendants, sampled every 0.2 s."""

    def __init__(self, root_pid: int):
        self.root, self.peaks, self.names = root_pid, {}, {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self):
        children = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                    children.setdefault(ppid, []).append(int(entry))
                except (OSError, IndexError, ValueError):
                    pass
        pids, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            todo += children.get(pid, [])
        return pids

    def _run(self):
        while not self._stop.wait(0.2):
            for pid in self._tree():
                try:
                    with open(f"/proc/{pid}/status") as f:
                        rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        self.names[pid] = f.read().replace(b"\0", b" ").decode(errors="replace")
                except (OSError, StopIteration):
                    continue
                self.peaks[pid] = max(self.peaks.get(pid, 0), rss)

    def stop(self):
        self._stop.set()
        self._thread.join()
        workers = [kb for pid, kb in self.peaks.items() if "sdk_worker_main" in self.names.get(pid, "")]
        return {"worker_mb": round(max(workers, default=0) / 1024, 1), "launcher_mb": round(self.peaks.get(self.root, 0) / 1024, 1)}


def load(uri, photos, count=None):
    """`count` documents (default: one per photo) of bench.photos, `_id` 0, 1, …, each holding
    a photo inline, the photos taken in turn."""
    count = count or len(photos)
    with pymongo.MongoClient(uri) as c:
        db = c.bench
        db.drop_collection("photos")
        for start in range(0, count, 64):
            ids = range(start, min(start + 64, count))
            db.photos.insert_many([{"_id": i, "image": photos[i % len(photos)].read_bytes(), "name": photos[i % len(photos)].name} for i in ids])


def clean_results(uri):
    with pymongo.MongoClient(uri) as c:
        for name in c.bench.list_collection_names():
            if name != "photos":
                c.bench.drop_collection(name)


def raw_read(uri):
    t0, n, size = time.monotonic(), 0, 0
    with pymongo.MongoClient(uri) as c:
        for doc in c.bench.photos.find({}, batch_size=8):
            n, size = n + 1, size + len(doc["image"])
    dt = time.monotonic() - t0
    return {"photos_per_s": n / dt, "mb_per_s": size / dt / 2**20, "seconds": dt}


def raw_write(uri, wav: bytes, n: int):
    """The server's rate for storing `n` WAVs of a 30-s render in GridFS, nothing else."""
    t0 = time.monotonic()
    with pymongo.MongoClient(uri) as c:
        prepare_bucket(c.bench, "write_test")
        for i in range(n):
            put_file(c.bench, "write_test", f"w/{i}", "w.wav", wav, {})
    dt = time.monotonic() - t0
    return {"wavs_per_s": n / dt, "mb_per_s": n * len(wav) / dt / 2**20, "seconds": dt}


def plain_loop(uri):
    """What a user would write without Beam: read, render, store, one photo at a time."""
    t0, n = time.monotonic(), 0
    with pymongo.MongoClient(uri) as c:
        db = c.bench
        prepare_bucket(db, "plain_audio")
        for doc in db.photos.find({}, batch_size=8):
            made = photophone.process(doc["image"], seconds=SECONDS, wav=True)
            put_file(db, "plain_audio", f"plain/{doc['_id']}", f"{doc['_id']}.wav", made.wav, {})
            db.plain.replace_one({"_id": doc["_id"]}, {"_id": doc["_id"], "report": made.report, "wav": f"plain/{doc['_id']}"}, upsert=True)
            n += 1
    dt = time.monotonic() - t0
    return {"photos_per_s": n / dt, "seconds": dt}


def beam(uri, workers, results, seconds=SECONDS):
    cmd = [sys.executable, "-m", "photophone.beam", "--mongo-uri", uri, "--db", "bench", "--photos", "photos", "--results", results, "--render", "--seconds", str(seconds),
           "--runner=FnApiRunner", f"--direct_num_workers={workers}", "--direct_running_mode=multi_processing"]  # fmt: skip
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    memory = PeakMemory(proc.pid)
    _, err = proc.communicate()
    dt = time.monotonic() - t0
    peaks = memory.stop()
    if proc.returncode:
        raise SystemExit(f"beam run failed: {err[-2000:]}")
    with pymongo.MongoClient(uri) as c:
        done = c.bench[results].count_documents({})
    return {"photos_per_s": done / dt, "seconds": dt, "photos": done, **peaks}


def cli_batch(cli, folder, out):
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.monotonic()
    subprocess.run([cli, "render", str(folder), "--out-dir", str(out), "--seconds", str(SECONDS), "--jobs", "2"], check=True, capture_output=True)
    dt = time.monotonic() - t0
    n = len(list(out.glob("*.wav")))
    shutil.rmtree(out, ignore_errors=True)
    return {"photos_per_s": n / dt, "seconds": dt}


def readers(uri, compat):
    """Documents/s of the reader alone, against Beam's ReadFromMongoDB(bucket_auto=True)."""
    script = HERE / "library_readers.py"
    out = {}
    for which in ["photophone"] + (["beam"] if compat else []):
        run = subprocess.run([sys.executable, str(script), uri, which], capture_output=True, text=True)
        if run.returncode:
            raise SystemExit(run.stderr[-2000:])
        out[which] = json.loads(run.stdout.strip().splitlines()[-1])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", type=Path, required=True, help="folder of benchmark JPEGs")
    ap.add_argument("--small-photos", type=Path, required=True, help="folder of small photos (memory check)")
    ap.add_argument("--cli", required=True)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--large-library", type=int, default=10_000, help="0 skips the memory runs")
    a = ap.parse_args()
    photos = sorted(a.photos.glob("*.jpg"))
    server = Server(a.work / "mongo")
    report = {"photos": len(photos), "megabytes": round(sum(p.stat().st_size for p in photos) / 2**20, 1), "seconds_per_render": SECONDS, "server_compat": server.compat}
    try:
        load(server.uri, photos)
        phases = [
            ("d_raw_read", lambda: raw_read(server.uri)),
            ("e_raw_write", lambda: raw_write(server.uri, photophone.render(photos[0].read_bytes(), seconds=SECONDS), len(photos))),
            ("c_cli_2_cores", lambda: cli_batch(a.cli, a.photos, a.work / "wav")),
            ("a_beam_1_worker", lambda: beam(server.uri, 1, "beam1")),
            ("a_beam_2_workers", lambda: beam(server.uri, 2, "beam2")),
            ("b_plain_loop", lambda: plain_loop(server.uri)),
        ]
        for name, phase in phases:
            cpu, own = server.cpu_seconds(), process_cpu_seconds()
            result = phase()
            result["cpu_s"] = round(process_cpu_seconds() - own, 1)  # this process and the ones it ran
            result["server_cpu_s"] = round(server.cpu_seconds() - cpu, 1)
            report[name] = result
            print(name, report[name], flush=True)
            clean_results(server.uri)
        report["readers"] = readers(server.uri, server.compat)
        print("readers", report["readers"], flush=True)
        # Memory against library size: the same small photos, 1-s renders, 200 vs many.
        small = sorted(a.small_photos.glob("*.jpg"))
        for size in (200, a.large_library) if a.large_library else ():
            load(server.uri, small, size)
            report[f"memory_{size}"] = beam(server.uri, 2, "mem", seconds=1.0)
            print("memory", size, report[f"memory_{size}"], flush=True)
            clean_results(server.uri)
    finally:
        server.stop()
    a2, a1 = report["a_beam_2_workers"]["photos_per_s"], report["a_beam_1_worker"]["photos_per_s"]
    report["ratios"] = {
        "beam2_over_beam1": a2 / a1,
        "beam2_over_plain_loop": a2 / report["b_plain_loop"]["photos_per_s"],
        "beam2_over_cli_batch": a2 / report["c_cli_2_cores"]["photos_per_s"],
    }
    print(json.dumps(report, indent=2))
    (a.work / "library.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
