"""Push a 1 GiB safetensors model with the official `huggingface_hub` client and compare with raw boto3.

One run, against a fresh embedded SeaweedFS and a gunicorn server of this project:
  - the time of `HfApi.upload_folder` with HF_HUB_DISABLE_XET=1 (client sha256, preupload, LFS
    batch, presigned multipart PUTs straight to S3, completion, then the commit, which re-hashes
    the stored bytes, validates, signs and publishes before it answers),
  - the time of one raw boto3 multipart upload of the same bytes (64 MiB parts, 4 in flight),
  - their ratio (target <= 1.3) and the web server's peak RSS (all gunicorn processes; flat:
    the bytes never pass through Django),
  - boto3 again with one part in flight: `huggingface_hub` sends the parts of a file one after
    another, so this is the transfer the unchanged client can do at best; push / that ratio is
    what the client's hashing and the registry (commit, read-back, signing) add to it,
  - the CPU seconds each party spent (client, web server, S3 server): when the cores are all
    busy, wall time cannot fall below CPU time / cores.

Each round pushes a new 1 GiB model (a new repository) after its raw upload; the medians decide,
and every round's pair is printed too (the first round also pays the workers' first signing).

    .venv/bin/python benchmarks/push_1gib.py [--size-mib 1024] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from boto3.s3.transfer import TransferConfig

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import (  # noqa: E402
    CpuClock,
    TreeRss,
    cpu_line,
    manage,
    registry_env,
    s3_client,
    start_s3,
    wait_http,
)
from benchmarks.publish_1gib import write_model  # noqa: E402
from registry.storage.seaweed import free_ports  # noqa: E402

BUCKET = "registry-bench"
PART = 64 << 20

PUSH = """
import sys, time
from huggingface_hub import HfApi
api = HfApi(endpoint=sys.argv[1], token=sys.argv[2])
api.create_repo(sys.argv[3], exist_ok=True)
start = time.perf_counter()
info = api.upload_folder(folder_path=sys.argv[4], repo_id=sys.argv[3])
print(f"{time.perf_counter() - start:.3f} {info.oid}")
"""


def raw_upload(endpoint: str, path: Path, key: str, *, in_flight: int = 4) -> float:
    client = s3_client(endpoint)
    start = time.perf_counter()
    client.upload_file(
        str(path),
        BUCKET,
        key,
        Config=TransferConfig(multipart_threshold=PART, multipart_chunksize=PART, max_concurrency=in_flight),
    )
    return time.perf_counter() - start


def start_registry(env: dict[str, str], port: int) -> tuple[str, subprocess.Popen]:
    """Migrate, create the `bench` user and a write token, then serve: (token, web process)."""
    subprocess.run(manage("migrate", "-v", "0"), cwd=ROOT, env=env, check=True)
    subprocess.run(manage("createsuperuser", "--noinput"), cwd=ROOT, env=env, check=True)
    token = subprocess.run(
        manage("create_token", "bench", "--scope", "write"),
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()[-1]
    return token, start_web(env, port)


def start_web(env: dict[str, str], port: int) -> subprocess.Popen:
    """gunicorn, 2 workers x 4 threads, a long timeout for big commits; returns once it answers."""
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    options = ["--no-control-socket", "-w", "2", "--threads", "4", "--timeout", "600"]
    web = subprocess.Popen(
        [gunicorn, *options, "-b", f"127.0.0.1:{port}", "config.wsgi"],
        cwd=ROOT,
        env=env,
    )
    wait_http(f"http://127.0.0.1:{port}/healthz", timeout=20)
    return web


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    size = args.size_mib << 20

    with tempfile.TemporaryDirectory(prefix="bench-push-") as tmp:
        tmp_path = Path(tmp)
        server = start_s3(tmp_path / "s3", BUCKET)
        (web_port,) = free_ports(1)
        endpoint = f"http://127.0.0.1:{web_port}"
        env = registry_env(
            tmp_path,
            server.endpoint,
            BUCKET,
            REGISTRY_UPLOAD_PART_SIZE=str(PART),
            DJANGO_SUPERUSER_USERNAME="bench",
            DJANGO_SUPERUSER_EMAIL="bench@example.com",
            DJANGO_SUPERUSER_PASSWORD="bench-password-1",  # noqa: S106 - a throwaway benchmark user
        )
        web = None
        try:
            token, web = start_registry(env, web_port)
            rss = TreeRss(web.pid)
            time.sleep(0.5)
            idle_rss = rss.peak_total / 1e6
            client_env = dict(os.environ, HF_HUB_DISABLE_XET="1", HF_HOME=str(tmp_path / "hf"))
            clock = CpuClock(web=web.pid, s3=server.process.pid)
            times: dict[str, list[float]] = {"push": [], "raw": [], "raw1": []}
            cpu: dict[str, list[dict[str, float]]] = {"push": [], "raw": [], "raw1": []}
            for round_ in range(args.rounds):
                weights = write_model(tmp_path / f"model-{round_}", size, salt=round_)
                for name, in_flight in (("raw", 4), ("raw1", 1)):
                    clock.start()
                    key = f"{name}/{round_}"
                    times[name].append(raw_upload(server.endpoint, weights, key, in_flight=in_flight))
                    cpu[name].append(clock.stop())
                clock.start()
                done = subprocess.run(
                    [
                        sys.executable,
                        "-c",
                        PUSH,
                        endpoint,
                        token,
                        f"bench/model-{round_}",
                        str(weights.parent),
                    ],
                    env=client_env,
                    capture_output=True,
                    text=True,
                )
                cpu["push"].append(clock.stop())
                if done.returncode:
                    raise SystemExit(f"the push failed:\n{done.stderr[-3000:]}")
                times["push"].append(float(done.stdout.split()[0]))
                weights.unlink()
            peak_rss = rss.stop()
        finally:
            if web is not None:
                web.terminate()
                web.wait(30)
            server.stop()

    push_s, raw_s, raw1_s = (statistics.median(times[name]) for name in ("push", "raw", "raw1"))
    mb = size / 1e6
    print(f"payload: {args.size_mib} MiB safetensors, {args.rounds} round(s), medians")
    for number in range(args.rounds):
        push_round, raw_round, raw1_round = (times[name][number] for name in ("push", "raw", "raw1"))
        print(
            f"  round {number + 1}: push {push_round:.2f} s, raw {raw_round:.2f} s, raw one part in flight "
            f"{raw1_round:.2f} s; push / raw {push_round / raw_round:.2f}, "
            f"raw one in flight / raw {raw1_round / raw_round:.2f}"
        )
        for name in ("push", "raw", "raw1"):
            print(cpu_line(name, cpu[name][number], times[name][number]))
    rows = [
        ("HfApi.upload_folder, Xet off (hash, LFS multipart, verify, sign, publish)", push_s),
        ("raw boto3 multipart upload (64 MiB parts x 4)", raw_s),
        ("raw boto3 multipart upload, one part in flight (the client's pattern)", raw1_s),
    ]
    for label, seconds in rows:
        print(f"{label:<74}{seconds:7.2f} s {mb / seconds:8.1f} MB/s")
    print(f"ratio push / raw upload: {push_s / raw_s:.2f}  (target <= 1.3)")
    print(f"ratio raw one part in flight / raw upload: {raw1_s / raw_s:.2f}  (the client's transfer pattern)")
    print(f"ratio push / raw one part in flight: {push_s / raw1_s:.2f}  (the client's hash + the registry)")
    print(
        f"web server peak RSS (gunicorn, 2 workers, all processes): {peak_rss:.0f} MB; idle {idle_rss:.0f} MB"
    )


if __name__ == "__main__":
    main()
