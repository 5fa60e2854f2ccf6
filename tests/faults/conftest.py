"""Fault tests: real services stopped and started again under the code, within bounded time."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from django.conf import settings

from registry.storage import get_store
from tests.faults.processes import CrashableS3


@pytest.fixture
def crashable_s3(s3_server):
    """Points the code at a private S3 for one test; the session's server stays up and untouched."""
    root = Path(tempfile.mkdtemp(prefix="seaweed-fault-"))
    s3 = CrashableS3(root)
    s3.start()
    names = ("S3_ENDPOINT_URL", "S3_PUBLIC_ENDPOINT_URL")
    previous = {name: getattr(settings, name) for name in names}
    for name in names:
        setattr(settings, name, s3.endpoint)
    get_store.cache_clear()
    try:
        yield s3
    finally:
        for name, value in previous.items():
            setattr(settings, name, value)
        get_store.cache_clear()
        s3.kill()  # its data is thrown away: no need for a clean stop
        shutil.rmtree(root, ignore_errors=True)
