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
