"""Publish a 1 GiB safetensors model through `publish_model` and compare with raw boto3 + sha256.

Prints, from one run against a fresh embedded SeaweedFS:
  - the time of `manage.py publish_model` (local hash, upload, server-side re-hash from storage,
    header validation, publication),
  - the time of one raw boto3 upload of the same bytes plus one hashlib.sha256 pass,
  - their ratio (target <= 1.2) and the publishing process's peak RSS (target < 300 MB).

    .venv/bin/python benchmarks/publish_1gib.py [--size-mib 1024] [--rounds 1]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import boto3
import psutil
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry.storage.seaweed import SeaweedServer, free_ports  # noqa: E402

ACCESS, SECRET, BUCKET = "bench-access", "bench-secret-key", "registry-bench"
CHUNK = 16 << 20  # the same part size and concurrency the registry uses (settings.S3_MULTIPART_*)


def write_model(folder: Path, size: int, salt: int) -> Path:
    """A valid single-tensor safetensors file of `size` data bytes (random), plus a config."""
    folder.mkdir(parents=True, exist_ok=True)
    header = json.dumps({"w": {"dtype": "U8", "shape": [size], "data_offsets": [0, size]}}).encode()
    with open(folder / "model.safetensors", "wb") as out:
        out.write(struct.pack("<Q", len(header)) + header)
        block = os.urandom(16 << 20)
        for written in range(0, size, len(block)):
            out.write(block[: min(len(block), size - written)])
        out.seek(-8, os.SEEK_END)
        out.write(struct.pack("<Q", salt))  # a new digest each round: no deduplication between rounds
    (folder / "config.json").write_text(json.dumps({"model_type": "bench"}))
    # Public models need a known license in their card (registry/compliance).
    (folder / "README.md").write_text("---\nlicense: apache-2.0\n---\n# Benchmark model\n")
    return folder / "model.safetensors"


def raw_baseline(endpoint: str, path: Path, key: str) -> tuple[float, float]:
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS,
        aws_secret_access_key=SECRET,
        region_name="us-east-1",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    start = time.perf_counter()
    client.upload_file(
        str(path),
        BUCKET,
        key,
        Config=TransferConfig(multipart_threshold=CHUNK, multipart_chunksize=CHUNK, max_concurrency=4),
    )
    upload = time.perf_counter() - start
    start = time.perf_counter()
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(8 << 20):
            digest.update(block)
    return upload, time.perf_counter() - start


def run_publish(env: dict[str, str], folder: Path, repo: str) -> tuple[float, float]:
    """Wall time and peak RSS (MB) of one publish_model process, sampled every 20 ms."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "publish_model", str(folder), "--repo", repo, "--no-progress"],
        cwd=ROOT,
        env=env,
    )
    peak = 0
    watched = psutil.Process(proc.pid)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            try:
                peak = max(peak, watched.memory_info().rss)
            except psutil.Error:
                return
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    code = proc.wait()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    if code:
        raise SystemExit(f"publish_model failed with exit code {code}")
    return elapsed, peak / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    size = args.size_mib << 20

    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp:
        tmp_path = Path(tmp)
        server = SeaweedServer(
            tmp_path / "s3", s3_port=free_ports(1)[0], access_key=ACCESS, secret_key=SECRET, bucket=BUCKET
        )
        server.start()
        env = dict(
            os.environ,
            DJANGO_SETTINGS_MODULE="config.settings.local",
            REGISTRY_DATA_DIR=str(tmp_path),
            DATABASE_URL=f"sqlite:///{tmp_path / 'bench.sqlite3'}",
            S3_ENDPOINT_URL=server.endpoint,
            S3_BUCKET=BUCKET,
            S3_ACCESS_KEY_ID=ACCESS,
            S3_SECRET_ACCESS_KEY=SECRET,
            DJANGO_DEBUG="false",
        )
        try:
            subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
            publish_times, raw_times, hash_times, peaks = [], [], [], []
            for round_ in range(args.rounds):
                weights = write_model(tmp_path / f"model-{round_}", size, salt=round_)
                # Alternate which goes first: a server that already holds more data writes slower.
                if round_ % 2:
                    elapsed, peak = run_publish(env, weights.parent, f"bench/model-{round_}")
                    upload, hashing = raw_baseline(server.endpoint, weights, f"raw/{round_}")
                else:
                    upload, hashing = raw_baseline(server.endpoint, weights, f"raw/{round_}")
                    elapsed, peak = run_publish(env, weights.parent, f"bench/model-{round_}")
                publish_times.append(elapsed)
                raw_times.append(upload)
                hash_times.append(hashing)
                peaks.append(peak)
                weights.unlink()
        finally:
            server.stop()

    publish_s, upload_s, hash_s = (statistics.median(x) for x in (publish_times, raw_times, hash_times))
    baseline = upload_s + hash_s
    mb = size / 1e6
    rows = [
        ("publish_model (hash, upload, server re-hash, validate, publish)", publish_s),
        ("raw boto3 upload (16 MiB parts x 4)", upload_s),
        ("raw hashlib.sha256 pass over the file", hash_s),
    ]
    print(f"payload: {args.size_mib} MiB safetensors, {args.rounds} round(s), medians")
    for label, seconds in rows:
        print(f"{label:<66}{seconds:7.2f} s {mb / seconds:8.1f} MB/s")
    print(f"ratio publish / (upload + sha256): {publish_s / baseline:.2f}  (target <= 1.2)")
    print(f"peak RSS of the publishing process: {max(peaks):.0f} MB  (target < 300 MB)")


if __name__ == "__main__":
    main()
