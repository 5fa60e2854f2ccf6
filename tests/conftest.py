"""Registers the fixture plugins; nothing else."""

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API keeps a loop running

pytest_plugins = [
    "tests.fixtures.services",
    "tests.fixtures.s3",
    "tests.fixtures.celery",
    "tests.fixtures.models",
    "tests.fixtures.signing",
]
