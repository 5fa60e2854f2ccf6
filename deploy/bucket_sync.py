"""Copy the registry's bucket to a folder (`download`) or a folder into a bucket (`upload`), with
boto3 and the app's S3_* settings from the environment: no AWS CLI needed. Objects already there
with the same size are skipped, so a repeated backup only copies what is new (blobs are
content-addressed and never change).

    python deploy/bucket_sync.py download ./backup/bucket
    python deploy/bucket_sync.py upload ./backup/bucket      # into S3_BUCKET (created if missing)
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path, PurePosixPath

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def client():
    return boto3.client(
        "s3",
        endpoint_url=os.environ.get("S3_ENDPOINT_URL") or None,
        region_name=os.environ.get("S3_REGION") or "us-east-1",
        aws_access_key_id=os.environ.get("S3_ACCESS_KEY_ID") or None,
        aws_secret_access_key=os.environ.get("S3_SECRET_ACCESS_KEY") or None,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": os.environ.get("S3_ADDRESSING_STYLE") or "path"},
            retries={"max_attempts": 5, "mode": "standard"},
        ),
    )


def local_path(root: Path, key: str) -> Path:
    """Where an object goes under `root`; a key that would leave it is refused."""
    parts = PurePosixPath(key).parts
    if not parts or any(part in ("..", "/") for part in parts) or key.startswith("/"):
        raise ValueError(f"refusing object key {key!r}: it would be written outside {root}")
    return root.joinpath(*parts)


def download(s3, bucket: str, root: Path) -> tuple[int, int]:
    copied = skipped = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            target = local_path(root, item["Key"])
            if target.exists() and target.stat().st_size == item["Size"]:
                skipped += 1
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".partial")
            s3.download_file(bucket, item["Key"], str(partial))
            partial.replace(target)  # never a half-written object under its real name
            copied += 1
    return copied, skipped


def upload(s3, bucket: str, root: Path) -> tuple[int, int]:
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError:
        s3.create_bucket(Bucket=bucket)
    present = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        present.update({item["Key"]: item["Size"] for item in page.get("Contents", [])})
    copied = skipped = 0
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.endswith(".partial")):
        key = path.relative_to(root).as_posix()
        if present.get(key) == path.stat().st_size:
            skipped += 1
            continue
        s3.upload_file(str(path), bucket, key)
        copied += 1
    return copied, skipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("direction", choices=["download", "upload"])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--bucket", default=os.environ.get("S3_BUCKET") or "registry")
    args = parser.parse_args(argv)
    if args.direction == "upload" and not args.folder.is_dir():
        parser.error(f"{args.folder} is not a folder")
    args.folder.mkdir(parents=True, exist_ok=True)
    sync = download if args.direction == "download" else upload
    copied, skipped = sync(client(), args.bucket, args.folder)
    print(f"bucket {args.bucket} {args.direction}: {copied} objects copied, {skipped} already there")
    return 0


if __name__ == "__main__":
    sys.exit(main())
