"""Processes the fault tests start and kill: environments for them, and a private S3 server."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from django.conf import settings

from registry.storage.seaweed import SeaweedServer, free_ports
from tests.fixtures.s3 import ACCESS_KEY, BUCKET, SECRET_KEY
from tests.fixtures.services import database_url


def process_env(**extra: str) -> dict[str, str]:
    """The environment of a server or worker process that shares this run's database and S3."""
    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("postgresql"):
        pytest.skip("another process cannot see an in-memory SQLite test database")
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="tests.faults.settings",
        DATABASE_URL=database_url(),
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        S3_ENDPOINT_URL=settings.S3_ENDPOINT_URL,
        S3_PUBLIC_ENDPOINT_URL=settings.S3_PUBLIC_ENDPOINT_URL,
        S3_BUCKET=settings.S3_BUCKET,
        S3_ACCESS_KEY_ID=settings.S3_ACCESS_KEY_ID,
        S3_SECRET_ACCESS_KEY=settings.S3_SECRET_ACCESS_KEY,
    )
    env.update(extra)
    return env


class CrashableS3:
    """A private SeaweedFS the test may kill (SIGKILL: in-flight requests are cut, as in a crash)
    and start again on the same port and data, without touching the session's server."""

    def __init__(self, root: Path):
        self.server = SeaweedServer(
            root, s3_port=free_ports(1)[0], access_key=ACCESS_KEY, secret_key=SECRET_KEY, bucket=BUCKET
        )

    @property
    def endpoint(self) -> str:
        return self.server.endpoint

    def start(self) -> None:
        self.server.start()

    def kill(self) -> None:
        process = self.server.process
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
