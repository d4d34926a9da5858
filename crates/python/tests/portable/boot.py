"""A stand-in for the Beam Python SDK container's ``boot`` program, for the portable-runner test.

On a cluster (Dataflow, Flink, Spark) each SDK worker starts inside a container whose Go
``boot`` program (apache/beam sdks/python/container/boot.go) fetches the job's staged files
(``--extra_package`` wheels, ``--requirements_file``) from the runner, pip-installs them, then
starts ``sdk_worker_main``. That program is not in the apache-beam wheel and cannot be built
here (no Go module proxy, no Docker), so this script does the same steps, and
``worker_pool_main --container_executable=boot.py`` runs it for every worker:

1. ask the runner's provision service for the job's options and dependencies;
2. download the staged artifacts through the artifact-retrieval service;
3. make a virtual environment that sees the pool's packages (Beam, pymongo) *except
   photophone*, as a cluster image with only Beam installed would, and pip-install the staged
   wheels into it, offline;
4. exec ``sdk_worker_main`` in that environment (same pid, so the pool can still stop it).

So the worker can only run photophone's DoFns if the wheel was staged and installed.
Output goes to ``$PHOTOPHONE_BOOT_ROOT/logs`` (the pool gives workers a stdout pipe that nobody
reads; a chatty worker would block on it).
"""

import argparse
import fcntl
import hashlib
import os
import site
import subprocess
import sys
import time

import grpc
from apache_beam.portability import common_urns
from apache_beam.portability.api import beam_artifact_api_pb2_grpc, beam_provision_api_pb2, beam_provision_api_pb2_grpc, beam_runner_api_pb2, endpoints_pb2
from apache_beam.runners.portability import artifact_service
from apache_beam.runners.worker.worker_id_interceptor import WorkerIdInterceptor
from google.protobuf import json_format, text_format

ROOT = os.environ["PHOTOPHONE_BOOT_ROOT"]
HIDDEN = ("photophone",)  # what a cluster image would not have


def log(message: str) -> None:
    print(f"[boot {os.getpid()} {time.time():.3f}] {message}", flush=True)


def staged_name(artifact) -> str:
    assert artifact.role_urn == common_urns.artifact_roles.STAGING_TO.urn, artifact
    return beam_runner_api_pb2.ArtifactStagingToRolePayload.FromString(artifact.role_payload).staged_name


def retrieve(channel, dependencies, folder: str) -> dict:
    os.makedirs(folder, exist_ok=True)
    stub = beam_artifact_api_pb2_grpc.ArtifactRetrievalServiceStub(channel)
    files = {}
    for artifact in artifact_service.resolve_artifacts(dependencies, stub, folder):
        name = staged_name(artifact)
        path = beam_runner_api_pb2.ArtifactFilePayload.FromString(artifact.type_payload).path
        os.replace(path, os.path.join(folder, name))
        files[name] = os.path.join(folder, name)
    return files


def parent_view(folder: str) -> str:
    """Links to the pool's site-packages entries, photophone's left out."""
    os.makedirs(folder, exist_ok=True)
    for packages in site.getsitepackages():
        for entry in os.listdir(packages):
            if entry.startswith(HIDDEN) or entry.endswith(".pth") or os.path.exists(os.path.join(folder, entry)):
                continue
            os.symlink(os.path.join(packages, entry), os.path.join(folder, entry))
    return folder


def install(channel, dependencies, worker_id: str) -> str:
    """The staged files installed into a virtual environment (shared by a job's workers)."""
    scratch = os.path.join(ROOT, f"tmp-{worker_id}-{os.getpid()}")
    files = retrieve(channel, dependencies, scratch)
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + artifact_service.sha256(files[name]).encode())
    home = os.path.join(ROOT, digest.hexdigest()[:16])
    venv = os.path.join(home, "venv")
    os.makedirs(home, exist_ok=True)
    with open(os.path.join(home, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the job's other workers wait for one install
        if os.path.exists(os.path.join(home, ".complete")):
            return venv
        staged = os.path.join(home, "staged")
        os.replace(scratch, staged)
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
        python = os.path.join(venv, "bin", "python")
        purelib = subprocess.check_output([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip()
        with open(os.path.join(purelib, "_cluster_image.pth"), "w") as pth:
            pth.write(parent_view(os.path.join(home, "image")) + "\n")
        wheels = []
        if "extra_packages.txt" in files:
            with open(os.path.join(staged, "extra_packages.txt")) as listing:
                wheels = [os.path.join(staged, line.strip()) for line in listing if line.strip()]
        if "requirements.txt" in files:
            wheels += ["-r", os.path.join(staged, "requirements.txt")]
        if wheels:
            # pip from the pool's environment, installing into the worker's (offline).
            cmd = [sys.executable, "-m", "pip", "--python", python, "install", "--no-index", "--no-deps", "--find-links", staged, *wheels]
            log("installing staged packages: " + " ".join(cmd))
            subprocess.run(cmd, check=True, stdout=sys.stdout, stderr=subprocess.STDOUT)
        open(os.path.join(home, ".complete"), "w").close()
        return venv


def main() -> None:
    parser = argparse.ArgumentParser()
    for flag in ("id", "logging_endpoint", "artifact_endpoint", "provision_endpoint", "control_endpoint"):
        parser.add_argument("--" + flag)
    args, _ = parser.parse_known_args()
    os.makedirs(os.path.join(ROOT, "logs"), exist_ok=True)
    out = os.open(os.path.join(ROOT, "logs", f"worker-{args.id}-{os.getpid()}.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(out, 1)
    os.dup2(out, 2)

    channel = grpc.intercept_channel(grpc.insecure_channel(args.provision_endpoint), WorkerIdInterceptor(args.id))
    info = beam_provision_api_pb2_grpc.ProvisionServiceStub(channel).GetProvisionInfo(beam_provision_api_pb2.GetProvisionInfoRequest()).info
    artifacts = grpc.intercept_channel(grpc.insecure_channel(info.artifact_endpoint.url or args.artifact_endpoint), WorkerIdInterceptor(args.id))
    log(f"staged: {[staged_name(d) for d in info.dependencies]}")
    venv = install(artifacts, list(info.dependencies), args.id)

    descriptor = lambda url: text_format.MessageToString(endpoints_pb2.ApiServiceDescriptor(url=url))  # noqa: E731
    env = dict(
        os.environ,
        WORKER_ID=args.id,
        PIPELINE_OPTIONS=json_format.MessageToJson(info.pipeline_options),
        SEMI_PERSISTENT_DIRECTORY=os.path.dirname(venv),
        LOGGING_API_SERVICE_DESCRIPTOR=descriptor(info.logging_endpoint.url or args.logging_endpoint),
        CONTROL_API_SERVICE_DESCRIPTOR=descriptor(info.control_endpoint.url or args.control_endpoint),
        RUNNER_CAPABILITIES=" ".join(info.runner_capabilities),
        VIRTUAL_ENV=venv,
        PATH=os.path.join(venv, "bin") + os.pathsep + os.environ.get("PATH", ""),
    )
    python = os.path.join(venv, "bin", "python")
    log(f"exec {python} -m apache_beam.runners.worker.sdk_worker_main")
    os.execve(python, [python, "-m", "apache_beam.runners.worker.sdk_worker_main"], env)


if __name__ == "__main__":
    main()
