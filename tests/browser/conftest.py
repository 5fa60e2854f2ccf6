"""Browser tests: Playwright (pytest-playwright's `page`) driving Debian's Chromium against a live
server that holds the demo catalog.

The demo catalog takes ~15 s to publish, so it is seeded once for the whole package into the test
database (committed, like a transactional test's data) and served by a server of our own; the
package's teardown flushes the database as pytest-django does after a transactional test.
"""

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import setup_databases, teardown_databases
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from registry.demo.catalog import seed_catalog
from tests.fixtures.services import REQUIRED

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A loaded CI machine is slower than a laptop: an assertion waits up to 15 s for the page to agree
# (Playwright's default is 5 s); a passing assertion returns as soon as it holds.
expect.set_options(timeout=15_000)

SCREENSHOTS = Path(os.environ.get("ARTIFACTS", Path(settings.BASE_DIR) / "artifacts")) / "screenshots"


def pytest_collection_modifyitems(config, items):
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return
    if REQUIRED:
        raise pytest.UsageError(f"CI requires Chromium at {CHROMIUM} (apt-get install chromium)")
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}: apt-get install chromium")
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="package")
def demo_server(django_db_setup, django_db_blocker, s3_server):
    """A live server with the demo catalog; the database stays open to it (and to the tests) for
    the package's lifetime."""
    with django_db_blocker.unblock(), _test_database():
        seed_catalog(log=lambda line: None, show_progress=False)
        server = LiveServer("localhost:0")
        try:
            yield server
        finally:
            server.stop()
            _end_server_sessions()
            call_command("flush", interactive=False, verbosity=0)


def _end_server_sessions() -> None:
    """Request threads still parked on a browser's keep-alive socket hold database sessions, which
    would block dropping the test database; end them."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@contextmanager
def _test_database():
    """pytest-django creates the test database only when a collected test is marked for it; these
    tests are not (their data must be committed and outlive each test), so when they run alone the
    database is created here."""
    test_name = connection.creation._get_test_db_name()
    if connection.settings_dict["NAME"] == test_name:
        yield
        return
    created = setup_databases(verbosity=0, interactive=False, aliases={"default"})
    try:
        yield
    finally:
        teardown_databases(created, verbosity=0)


@pytest.fixture(autouse=True)
def fresh_cache():
    """Facet counts are cached for seconds per process (the live server's too): start each test cold."""
    cache.clear()


@pytest.fixture
def screenshot(page):
    """Save a full-page screenshot as artifacts/screenshots/NAME.png (for human review)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
