"""Push 1 GiB through Xet, through LFS and with raw boto3, side by side in one run.

Against a fresh embedded SeaweedFS and a gunicorn server of this project (2 workers x 4 threads):
  - `HfApi.upload_folder` with the client as installed by default (`hf_xet`, no setting): chunking
    and xorbs to our CAS, which re-verifies every chunk, rebuilds the file from the stored xorbs
    into the ordinary blob (sha256 checked), then the commit re-hashes, validates, signs, publishes;
  - the same with HF_HUB_DISABLE_XET=1 (LFS batch, presigned multipart PUTs straight to S3);
  - one raw boto3 multipart upload of the same size (64 MiB parts, 4 in flight);
  - throughputs, ratios to raw boto3 (target for Xet <= 1.3), the web server's peak RSS, and what
    Xet costs in storage (xorbs kept for deduplication next to the rebuilt blob);
  - the CPU seconds each party (client, web server, S3 server) spent on each path: with both
    cores busy, wall time cannot fall below CPU time / cores;
  - pulls of the Xet-pushed model: hf_xet through the CAS (the default), and the plain 302 to S3
    (REGISTRY_XET_DOWNLOADS=false) with and without hf_xet; each twice, in opposite orders, means.
Every file is fresh random data, so neither path can deduplicate.

    .venv/bin/python benchmarks/push_xet_1gib.py [--size-mib 1024]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import CpuClock, TreeRss, cpu_line, registry_env, start_s3  # noqa: E402
from benchmarks.push_1gib import BUCKET, PART, raw_upload, start_registry, start_web  # noqa: E402
from registry.storage.seaweed import free_ports  # noqa: E402

PUSH = """
import sys, time
from huggingface_hub import HfApi
from huggingface_hub.utils import disable_progress_bars
disable_progress_bars()
api = HfApi(endpoint=sys.argv[1], token=sys.argv[2])
api.create_repo(sys.argv[3], exist_ok=True)
start = time.perf_counter()
info = api.upload_folder(folder_path=sys.argv[4], repo_id=sys.argv[3])
print(f"{time.perf_counter() - start:.3f} {info.oid}")
"""

PULL = """
import sys, time
from huggingface_hub import snapshot_download
from huggingface_hub.utils import disable_progress_bars
disable_progress_bars()
start = time.perf_counter()
snapshot_download(sys.argv[3], endpoint=sys.argv[1], token=sys.argv[2], cache_dir=sys.argv[4])
print(f"{time.perf_counter() - start:.3f}")
"""

COST = """
from registry.xet.services import storage_cost
import json
print(json.dumps(storage_cost()))
"""


def random_model(folder: Path, size: int) -> Path:
    """A valid single-tensor safetensors file of `size` fresh random bytes (no repeated blocks:
    Xet would deduplicate them), plus a card."""
    folder.mkdir(parents=True, exist_ok=True)
    header = json.dumps({"w": {"dtype": "U8", "shape": [size], "data_offsets": [0, size]}}).encode()
    with open(folder / "model.safetensors", "wb") as out:
        out.write(struct.pack("<Q", len(header)) + header)
        for written in range(0, size, 16 << 20):
            out.write(os.urandom(min(16 << 20, size - written)))
    (folder / "README.md").write_text("---\nlicense: apache-2.0\n---\n# Benchmark model\n")
    return folder / "model.safetensors"


def run_client(script: str, env: dict, *args: str) -> float:
    done = subprocess.run([sys.executable, "-c", script, *args], env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"the client failed:\n{done.stderr[-3000:]}")
    return float(done.stdout.split()[0])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mib", type=int, default=1024)
    args = parser.parse_args()
    size = args.size_mib << 20

    with tempfile.TemporaryDirectory(prefix="bench-push-xet-") as tmp:
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
        env.pop("HF_HUB_DISABLE_XET", None)
        web = None
        try:
            token, web = start_registry(env, web_port)
            rss = TreeRss(web.pid)
            time.sleep(0.5)
            idle_rss = rss.peak_total / 1e6
            xet_env = dict(os.environ, HF_HOME=str(tmp_path / "hf-xet"))
            xet_env.pop("HF_HUB_DISABLE_XET", None)
            lfs_env = dict(os.environ, HF_HUB_DISABLE_XET="1", HF_HOME=str(tmp_path / "hf-lfs"))

            clock = CpuClock(web=web.pid, s3=server.process.pid)
            weights = random_model(tmp_path / "raw", size)
            clock.start()
            raw_s = raw_upload(server.endpoint, weights, "raw/model")
            raw_cpu = clock.stop()
            weights.unlink()
            weights = random_model(tmp_path / "xet", size)
            rss.reset()
            clock.start()
            xet_s = run_client(PUSH, xet_env, endpoint, token, "bench/xet", str(weights.parent))
            xet_cpu = clock.stop()
            xet_rss = rss.peak_total / 1e6
            weights.unlink()
            weights = random_model(tmp_path / "lfs", size)
            rss.reset()
            clock.start()
            lfs_s = run_client(PUSH, lfs_env, endpoint, token, "bench/lfs", str(weights.parent))
            lfs_cpu = clock.stop()
            lfs_rss = rss.peak_total / 1e6
            weights.unlink()
            peak_rss = max(rss.stop(), xet_rss, lfs_rss)
            # hf_xet reads through the CAS (the default); a second server with REGISTRY_XET_DOWNLOADS
            # off answers the 302 to everyone. The three pulls run twice, in opposite orders, each
            # with a fresh HF_HOME (no cache can help).
            (plain_port,) = free_ports(1)
            plain_web = start_web(dict(env, REGISTRY_XET_DOWNLOADS="false"), plain_port)
            pull_times: dict[str, list[float]] = {"cas": [], "302": [], "plain": []}
            plain_endpoint = f"http://127.0.0.1:{plain_port}"
            servers = {"cas": endpoint, "302": plain_endpoint, "plain": plain_endpoint}
            try:
                for number, name in enumerate(["cas", "302", "plain", "plain", "302", "cas"]):
                    home = str(tmp_path / f"hf-pull-{number}")
                    client = dict(xet_env if name != "plain" else lfs_env, HF_HOME=home)
                    pull_times[name].append(
                        run_client(PULL, client, servers[name], token, "bench/xet", home + "-cache")
                    )
            finally:
                plain_web.terminate()
                plain_web.wait(30)
            pull_cas, pull_302, pull_plain = (
                statistics.mean(pull_times[key]) for key in ("cas", "302", "plain")
            )
            cost = json.loads(
                subprocess.run(
                    [sys.executable, "manage.py", "shell", "-c", COST],
                    cwd=ROOT,
                    env=env,
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout.splitlines()[-1]  # the shell first lists its automatic imports
            )
        finally:
            if web is not None:
                web.terminate()
                web.wait(30)
            server.stop()

    mb = size / 1e6
    print(f"payload: {args.size_mib} MiB of random safetensors per path (no deduplication possible)")
    rows = [
        ("HfApi.upload_folder, default client: Xet (verify, rebuild, sign, publish)", xet_s),
        ("HfApi.upload_folder, HF_HUB_DISABLE_XET=1: LFS multipart (verify, sign, ...)", lfs_s),
        ("raw boto3 multipart upload (64 MiB parts x 4)", raw_s),
    ]
    for label, seconds in rows:
        print(f"{label:<80}{seconds:7.2f} s {mb / seconds:8.1f} MB/s")
    print(f"ratio Xet push / raw boto3: {xet_s / raw_s:.2f}  (target <= 1.3)")
    print(f"ratio LFS push / raw boto3: {lfs_s / raw_s:.2f}")
    print(f"ratio Xet push / LFS push:  {xet_s / lfs_s:.2f}")
    for label, spent, seconds in (("Xet", xet_cpu, xet_s), ("LFS", lfs_cpu, lfs_s), ("raw", raw_cpu, raw_s)):
        print(cpu_line(label, spent, seconds))
    print(
        f"CPU ratio Xet / raw: {sum(xet_cpu.values()) / sum(raw_cpu.values()):.2f}; "
        f"LFS / raw: {sum(lfs_cpu.values()) / sum(raw_cpu.values()):.2f}"
    )
    pulls = [
        ("snapshot_download with hf_xet, the default: CAS + presigned xorb ranges", pull_cas),
        ("snapshot_download with hf_xet, REGISTRY_XET_DOWNLOADS=false: plain 302 to S3", pull_302),
        ("snapshot_download with HF_HUB_DISABLE_XET=1, plain 302 to S3", pull_plain),
    ]
    for label, seconds in pulls:
        print(f"{label:<80}{seconds:7.2f} s {mb / seconds:8.1f} MB/s")
    print(f"ratio Xet download / 302 download (with hf_xet): {pull_cas / pull_302:.2f}")
    print(
        "  each pull (run order cas, 302, plain, plain, 302, cas): "
        + "; ".join(
            f"{key} " + ", ".join(f"{seconds:.2f} s" for seconds in pull_times[key]) for key in pull_times
        )
    )
    print(
        f"web server peak RSS (gunicorn, 2 workers x 4 threads, all processes): {peak_rss:.0f} MB overall; "
        f"during Xet push {xet_rss:.0f} MB, during LFS push {lfs_rss:.0f} MB; idle {idle_rss:.0f} MB"
    )
    print(
        f"storage for the Xet-pushed file: xorbs {cost['xorb_bytes'] / 1e6:.0f} MB kept for deduplication + "
        f"rebuilt blob {cost['rebuilt_blob_bytes'] / 1e6:.0f} MB "
        f"(x{(cost['xorb_bytes'] + cost['rebuilt_blob_bytes']) / max(cost['rebuilt_blob_bytes'], 1):.2f})"
    )


if __name__ == "__main__":
    main()
