"""Object storage behind one small interface; bytes live nowhere else."""

from functools import cache

from .base import BlobStore, ObjectInfo, blob_key


@cache
def get_store() -> BlobStore:
    """The configured store (one per process; boto3 clients are thread-safe)."""
    from django.conf import settings

    from .s3 import S3BlobStore

    return S3BlobStore(
        endpoint_url=settings.S3_ENDPOINT_URL,
        public_endpoint_url=settings.S3_PUBLIC_ENDPOINT_URL,
        bucket=settings.S3_BUCKET,
        access_key=settings.S3_ACCESS_KEY_ID,
        secret_key=settings.S3_SECRET_ACCESS_KEY,
        region=settings.S3_REGION,
        addressing_style=settings.S3_ADDRESSING_STYLE,
        multipart_chunk=settings.S3_MULTIPART_CHUNK,
        multipart_concurrency=settings.S3_MULTIPART_CONCURRENCY,
    )


__all__ = ["BlobStore", "ObjectInfo", "blob_key", "get_store"]
