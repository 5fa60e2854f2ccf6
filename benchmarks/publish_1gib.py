"""Publish a 1 GiB safetensors model through `publish_model` and compare with raw boto3 + sha256.

Prints, from one run against a fresh embedded SeaweedFS:
  - the time of `manage.py publish_model` (hash while uploading, each part's SHA-256 checked by
    storage, header validation, signing, publication),
  - the time of one raw boto3 upload of the same bytes plus one hashlib.sha256 pass,
  - their ratio (target <= 1.2) and the publishing process's peak RSS (target < 300 MB).

    .venv/bin/python benchmarks/publish_1gib.py [--size-mib 1024] [--rounds 3]
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
import time
from pathlib import Path

from boto3.s3.transfer import TransferConfig

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import manage, measured, registry_env, s3_client, start_s3  # noqa: E402

BUCKET = "registry-bench"
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
    client = s3_client(endpoint)
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
    """Wall time and peak RSS (MB) of one publish_model process."""
    return measured(manage("publish_model", str(folder), "--repo", repo, "--no-progress"), env)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    size = args.size_mib << 20

    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp:
        tmp_path = Path(tmp)
        server = start_s3(tmp_path / "s3", BUCKET)
        env = registry_env(tmp_path, server.endpoint, BUCKET)
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
        ("publish_model (hash + upload, storage-checked parts, validate, sign)", publish_s),
        ("raw boto3 upload (16 MiB parts x 4)", upload_s),
        ("raw hashlib.sha256 pass over the file", hash_s),
    ]
    print(f"payload: {args.size_mib} MiB safetensors, {args.rounds} round(s), medians")
    for number, (one, upload, hashing) in enumerate(
        zip(publish_times, raw_times, hash_times, strict=True), 1
    ):
        print(
            f"  round {number}: publish {one:.2f} s, upload + sha256 {upload + hashing:.2f} s, "
            f"ratio {one / (upload + hashing):.2f}"
        )
    for label, seconds in rows:
        print(f"{label:<66}{seconds:7.2f} s {mb / seconds:8.1f} MB/s")
    print(f"ratio publish / (upload + sha256): {publish_s / baseline:.2f}  (target <= 1.2)")
    print(f"peak RSS of the publishing process: {max(peaks):.0f} MB  (target < 300 MB)")


if __name__ == "__main__":
    main()
