"""Export a 1 GiB model as an air-gapped bundle from registry A and import it into registry B.

Two registries in one run (each its own SQLite database, bucket and signing key, one embedded
SeaweedFS server). Prints, side by side:
  - `manage.py export_bundle` (blobs streamed from S3 into the tar) and `manage.py import_bundle`
    (signatures verified, every blob hashed while it streams into S3 by multipart, ingest checks,
    publication), each as wall time, MB/s and the process's peak RSS;
  - in the same run: one raw hashlib.sha256 pass over the bundle file, one raw boto3 download and
    one raw boto3 upload of the same bytes, and the ratios against them.

    .venv/bin/python benchmarks/bundle_1gib.py [--size-mib 1024]
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from boto3.s3.transfer import TransferConfig

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import manage, measured, registry_env, s3_client, start_s3  # noqa: E402
from benchmarks.publish_1gib import write_model  # noqa: E402

BUCKET_A, BUCKET_B, BUCKET_RAW = "registry-a", "registry-b", "raw"
CHUNK = 16 << 20  # the registry's part size and concurrency (settings.S3_MULTIPART_*)


def raw_figures(endpoint: str, bundle: Path) -> dict[str, float]:
    client = s3_client(endpoint)
    transfer = TransferConfig(multipart_threshold=CHUNK, multipart_chunksize=CHUNK, max_concurrency=4)
    client.create_bucket(Bucket=BUCKET_RAW)
    figures = {}
    start = time.perf_counter()
    digest = hashlib.sha256()
    with open(bundle, "rb") as handle:
        while block := handle.read(8 << 20):
            digest.update(block)
    figures["sha256"] = time.perf_counter() - start
    start = time.perf_counter()
    client.upload_file(str(bundle), BUCKET_RAW, "bundle", Config=transfer)
    figures["upload"] = time.perf_counter() - start
    copy = bundle.with_name("raw-download")
    start = time.perf_counter()
    client.download_file(BUCKET_RAW, "bundle", str(copy), Config=transfer)
    figures["download"] = time.perf_counter() - start
    copy.unlink()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mib", type=int, default=1024)
    args = parser.parse_args()
    size = args.size_mib << 20

    with tempfile.TemporaryDirectory(prefix="bench-bundle-") as tmp:
        tmp_path = Path(tmp)
        server = start_s3(tmp_path / "s3", BUCKET_A)
        env_a = registry_env(tmp_path / "a", server.endpoint, BUCKET_A)
        env_b = registry_env(tmp_path / "b", server.endpoint, BUCKET_B)
        bundle = tmp_path / "bundle.tar"
        try:
            for env in (env_a, env_b):
                Path(env["REGISTRY_DATA_DIR"]).mkdir()
                subprocess.run(
                    [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
                )
            s3_client(server.endpoint).create_bucket(Bucket=BUCKET_B)
            subprocess.run(  # registry B's own signing key: A's must be trusted explicitly
                [sys.executable, "manage.py", "create_signing_key"],
                cwd=ROOT,
                env=env_b,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            weights = write_model(tmp_path / "model", size, salt=0)
            subprocess.run(
                [
                    sys.executable,
                    "manage.py",
                    "publish_model",
                    str(weights.parent),
                    "--repo",
                    "bench/bundled",
                    "--no-progress",
                ],
                cwd=ROOT,
                env=env_a,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            weights.unlink()
            export_s, export_rss = measured(
                manage("export_bundle", "bench/bundled", "--out", str(bundle), "--no-progress"), env_a
            )
            public_key = tmp_path / "a" / "signing" / "registry-signing-key.pub"
            import_s, import_rss = measured(
                manage("import_bundle", str(bundle), "--trusted-key", str(public_key), "--no-progress"), env_b
            )
            startup_s, _ = measured(
                manage("export_bundle", "--help"), env_a, quiet=True
            )  # Django start-up alone
            raw = raw_figures(server.endpoint, bundle)
            bundle_size = bundle.stat().st_size
        finally:
            server.stop()

    mb = bundle_size / 1e6
    print(
        f"bundle: {bundle_size:,} bytes ({args.size_mib} MiB safetensors + card, config, signature, report)"
    )
    rows = [
        ("export_bundle (S3 -> tar file, streamed)", export_s, f"peak RSS {export_rss:.0f} MB"),
        (
            "import_bundle (verify, hash while multipart upload, publish)",
            import_s,
            f"peak RSS {import_rss:.0f} MB",
        ),
        ("manage.py start-up alone (included in both above)", startup_s, ""),
        ("raw hashlib.sha256 pass over the bundle file", raw["sha256"], ""),
        ("raw boto3 download of the bundle (16 MiB parts x 4)", raw["download"], ""),
        ("raw boto3 upload of the bundle (16 MiB parts x 4)", raw["upload"], ""),
    ]
    for label, seconds, note in rows:
        rate = f"{mb / seconds:8.1f} MB/s" if "start-up" not in label else " " * 13
        print(f"{label:<64}{seconds:7.2f} s {rate}  {note}")
    net_export, net_import = export_s - startup_s, import_s - startup_s
    raw_import = raw["upload"] + raw["sha256"]
    print(
        f"net of start-up: export {mb / net_export:.1f} MB/s, {net_export / raw['download']:.2f} x raw "
        f"download; import {mb / net_import:.1f} MB/s, {net_import / raw_import:.2f} x (raw upload + sha256)"
    )
    print(
        f"ratio export / raw download: {export_s / raw['download']:.2f}; "
        f"export / sha256: {export_s / raw['sha256']:.2f}"
    )
    print(
        f"ratio import / (raw upload + sha256): {import_s / (raw['upload'] + raw['sha256']):.2f}; "
        f"import / sha256: {import_s / raw['sha256']:.2f}"
    )


if __name__ == "__main__":
    main()
