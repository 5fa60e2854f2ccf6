"""Pull a 1 GiB safetensors model with `snapshot_download` through the registry, against boto3 direct.

One run, against a fresh embedded SeaweedFS and a gunicorn server (2 sync workers, production
settings): publish the model with `publish_model`, then, alternating the order each round,
  - `huggingface_hub.snapshot_download` with HF_ENDPOINT at the server, into an empty cache
    (HEAD to the server, 302, bytes straight from the store), and
  - boto3 reading the same stored object from SeaweedFS into a file, both ways it offers (one
    streamed GET; `download_file` with 64 MiB ranges x 4), the faster counting as the baseline.
  - httpx2, the HTTP library huggingface_hub uses, reading the same presigned URL into a file:
    the client's own ceiling, so the registry's overhead shows apart from the library's speed.
Prints the throughputs, the ratio to boto3 (target >= 0.95) and to the bare client library, and
the server processes' peak RSS, sampled every 20 ms during the pulls (target: flat, under 300 MB).

    .venv/bin/python benchmarks/pull_1gib.py [--size-mib 1024] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urlsplit

from boto3.s3.transfer import TransferConfig

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import ACCESS, SECRET, TreeRss, s3_client, start_s3, wait_http  # noqa: E402
from publish_1gib import write_model  # noqa: E402

from registry.storage.seaweed import free_ports  # noqa: E402

BUCKET = "registry-bench"
REPO = "bench/pull"

# The client's own HTTP library (httpx2, 10 MiB chunks, as huggingface_hub reads) fetching the same
# presigned URL with no registry in the path: what the client can do at best on this machine.
DIRECT = """
import json, sys, time, httpx2
start = time.perf_counter()
with httpx2.stream("GET", sys.argv[1]) as response, open(sys.argv[2], "wb") as out:
    response.raise_for_status()
    for chunk in response.iter_bytes(10 << 20):
        out.write(chunk)
print(json.dumps({"seconds": time.perf_counter() - start}))
"""

PULL = """
import json, sys, time
from huggingface_hub import snapshot_download
start = time.perf_counter()
path = snapshot_download(sys.argv[1], cache_dir=sys.argv[2], token=False)
print(json.dumps({"seconds": time.perf_counter() - start, "path": path}))
"""


def presigned_url(endpoint: str) -> str:
    """Where the registry redirects a download of the weights (a fresh presigned URL)."""
    request = urllib.request.Request(f"{endpoint}/{REPO}/resolve/main/model.safetensors", method="HEAD")  # noqa: S310

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        urllib.request.build_opener(NoRedirect).open(request, timeout=10)
    except urllib.error.HTTPError as redirect:
        return redirect.headers["Location"]
    raise SystemExit("the registry did not redirect the weights download")


def stored_key(endpoint: str) -> str:
    """The object key behind the weights, from the registry's own redirect."""
    return unquote(urlsplit(presigned_url(endpoint)).path).split("/", 2)[2]  # /<bucket>/<key>


def direct(env: dict[str, str], url: str, target: Path) -> float:
    done = subprocess.run(
        [sys.executable, "-c", DIRECT, url, str(target)], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise SystemExit(f"direct httpx2 download failed:\n{done.stderr[-3000:]}")
    target.unlink()
    return json.loads(done.stdout.strip().splitlines()[-1])["seconds"]


def pull(env: dict[str, str], cache: Path) -> float:
    done = subprocess.run(
        [sys.executable, "-c", PULL, REPO, str(cache)], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise SystemExit(f"snapshot_download failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])["seconds"]


def boto3_reads(client, key: str, target: Path) -> tuple[float, float]:
    """(one streamed GET into a file, download_file with 64 MiB x 4) in seconds."""
    start = time.perf_counter()
    body = client.get_object(Bucket=BUCKET, Key=key)["Body"]
    with open(target, "wb") as out:
        for chunk in body.iter_chunks(1 << 20):
            out.write(chunk)
    streamed = time.perf_counter() - start
    target.unlink()
    start = time.perf_counter()
    client.download_file(
        BUCKET, key, str(target), Config=TransferConfig(multipart_chunksize=64 << 20, max_concurrency=4)
    )
    threaded = time.perf_counter() - start
    target.unlink()
    return streamed, threaded


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    size = args.size_mib << 20

    with tempfile.TemporaryDirectory(prefix="bench-pull-") as tmp:
        tmp_path = Path(tmp)
        s3 = start_s3(tmp_path / "s3", BUCKET)
        port = free_ports(1)[0]
        env = dict(
            os.environ,
            DJANGO_SETTINGS_MODULE="config.settings.production",
            DJANGO_SECRET_KEY="bench-only-secret-key-bench-only-secret-key",  # noqa: S106 - a throwaway server
            DJANGO_DEBUG="false",
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            REGISTRY_DATA_DIR=str(tmp_path),
            DATABASE_URL=f"sqlite:///{tmp_path / 'bench.sqlite3'}",
            S3_ENDPOINT_URL=s3.endpoint,
            S3_BUCKET=BUCKET,
            S3_ACCESS_KEY_ID=ACCESS,
            S3_SECRET_ACCESS_KEY=SECRET,
            LOG_LEVEL="WARNING",
            DJANGO_SSL_REDIRECT="false",  # plain HTTP here; in production TLS ends at the proxy
            # Tasks queued after publishing (evaluation) have no worker here: an in-process broker.
            CELERY_BROKER_URL="memory://",
            REGISTRY_SIGNING_KEY_AUTOCREATE="true",  # a throwaway registry signs with a throwaway key
        )
        server = None
        try:
            subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
            folder = write_model(tmp_path / "model", size, salt=1).parent
            (folder / "README.md").write_text("---\nlicense: apache-2.0\n---\n# Pull benchmark\n")
            subprocess.run(
                [sys.executable, "manage.py", "publish_model", str(folder), "--repo", REPO, "--no-progress"],
                cwd=ROOT,
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            shutil.rmtree(folder)  # the page cache should hold the store's copy, not ours
            server = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2",
                 "-k", "sync", "--no-control-socket", "--log-level", "warning"],
                cwd=ROOT, env=env,
            )  # fmt: skip
            endpoint = f"http://127.0.0.1:{port}"
            wait_http(f"{endpoint}/healthz")
            key = stored_key(endpoint)
            client = s3_client(s3.endpoint)
            pull_env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
            pull_env.update(
                HF_ENDPOINT=endpoint,
                HF_HOME=str(tmp_path / "hf-home"),
                HF_HUB_DISABLE_TELEMETRY="1",
                HF_HUB_DISABLE_PROGRESS_BARS="1",
                HF_HUB_DISABLE_IMPLICIT_TOKEN="1",  # noqa: S106 - a switch, not a secret
            )
            sampler = TreeRss(server.pid, active=False)
            pulls, streamed, threaded, client_direct = [], [], [], []
            for round_ in range(args.rounds):
                cache = tmp_path / f"cache-{round_}"
                # Alternate which goes first: the second read of a round may find more in the page cache.
                for step in ("pull", "boto3", "direct") if round_ % 2 == 0 else ("direct", "boto3", "pull"):
                    if step == "direct":
                        client_direct.append(
                            direct(pull_env, presigned_url(endpoint), tmp_path / "direct.bin")
                        )
                    elif step == "pull":
                        sampler.active(True)
                        pulls.append(pull(pull_env, cache))
                        sampler.active(False)
                        shutil.rmtree(cache)
                    else:
                        one, many = boto3_reads(client, key, tmp_path / "direct.bin")
                        streamed.append(one)
                        threaded.append(many)
            sampler.stop()
        finally:
            if server is not None:
                server.send_signal(signal.SIGTERM)
                server.wait(20)
            s3.stop()

    mb = size / 1e6
    pull_s = statistics.median(pulls)
    stream_s, threaded_s = statistics.median(streamed), statistics.median(threaded)
    direct_s = statistics.median(client_direct)
    baseline = min(stream_s, threaded_s)
    print(f"payload: {args.size_mib} MiB safetensors, {args.rounds} round(s), medians, MB = 10^6 bytes")
    rows = [
        ("snapshot_download through the registry (302 to the store)", pull_s),
        ("boto3 get_object, one stream, 1 MiB chunks, into a file", stream_s),
        ("boto3 download_file, 64 MiB ranges x 4, into a file", threaded_s),
        ("httpx2 (the client's HTTP library) on the presigned URL, no registry", direct_s),
    ]
    for label, seconds in rows:
        print(f"{label:<72}{seconds:7.2f} s {mb / seconds:8.1f} MB/s")
    print(f"ratio registry / fastest boto3: {baseline / pull_s:.2f}  (target >= 0.95)")
    print(f"ratio registry / the same client library without the registry: {direct_s / pull_s:.2f}")
    print(
        f"server peak RSS during pulls: largest process {sampler.peak_process / 1e6:.0f} MB, "
        f"all gunicorn processes {sampler.peak_total / 1e6:.0f} MB "
        f"(before: {sampler.baseline_total / 1e6:.0f} MB)  (target: flat, < 300 MB)"
    )


if __name__ == "__main__":
    main()
