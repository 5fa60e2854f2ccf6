"""Celery entry points: ids in, re-read the row, one service call, safe to run twice."""

from __future__ import annotations

import os

from celery import shared_task

from registry.errors import IngestError, StorageUnavailable
from registry.models import Version
from registry.services import ingest


@shared_task(acks_late=True, autoretry_for=(StorageUnavailable,), retry_backoff=True, max_retries=5)
def ingest_version_task(version_id: int, actor_id: int | None = None) -> dict:
    """Verify and publish a draft whose files are in storage (web and API uploads)."""
    version = Version.objects.filter(pk=version_id).select_related("author").first()
    if version is None:  # deleted since it was queued
        return {"version": version_id, "status": "missing"}
    try:
        version = ingest.ingest(version=version, actor=version.author)
    except IngestError as exc:
        return {"version": version_id, "status": "failed", "reason": exc.message, "worker_pid": os.getpid()}
    return {
        "version": version_id,
        "status": version.status,
        "commit": version.commit_id,
        "worker_pid": os.getpid(),
    }


@shared_task(acks_late=True, autoretry_for=(StorageUnavailable,), retry_backoff=True, max_retries=5)
def sign_version_task(version_id: int) -> dict:
    """Sign a verified draft, then publish it (flows that verify elsewhere enqueue this on commit)."""
    from registry.services import signing

    version = Version.objects.filter(pk=version_id).select_related("author").first()
    if version is None:
        return {"version": version_id, "status": "missing"}
    try:
        signature = signing.sign_version(version=version)
        version = ingest.publish_version(version=version, actor=version.author)
    except IngestError as exc:
        return {"version": version_id, "status": "failed", "reason": exc.message, "worker_pid": os.getpid()}
    return {
        "version": version_id,
        "status": version.status,
        "commit": version.commit_id,
        "key": signature.key_hint,
        "worker_pid": os.getpid(),
    }


@shared_task(acks_late=True)
def scrub_blobs_task(max_bytes: int | None = None, bytes_per_second: int | None = None) -> dict:
    """Re-hash the least recently checked stored blobs (Celery beat runs it; settings set the rate)."""
    from registry.services import scrub

    report = scrub.scrub_blobs(max_bytes=max_bytes, bytes_per_second=bytes_per_second)
    return {**report.as_dict(), "worker_pid": os.getpid()}


@shared_task(acks_late=True, autoretry_for=(StorageUnavailable,), retry_backoff=True, max_retries=3)
def abort_abandoned_uploads_task() -> dict:
    """Hourly (beat): abort multipart uploads left unfinished past REGISTRY_UPLOAD_SESSION_TTL."""
    from registry.services import uploads

    return {"aborted": uploads.abort_abandoned_uploads()}
