"""gunicorn (the production web server and config, two workers) stopped and started again in the
middle of a browser upload: the uploader's next call, after the restart, resumes the same
multipart upload; only the missing parts are sent, and the version publishes."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import time

import pytest
import requests
from django.conf import settings
from django.test import Client

from registry.models import Version
from registry.services import repositories
from registry.storage.seaweed import free_ports
from tests.compat.helpers import user_with_token
from tests.faults.processes import process_env
from tests.fixtures.models import write_model

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(150)]

PART = 5 << 20
CSRF = "c" * 32


class Gunicorn:
    def __init__(self, env: dict[str, str], log):
        self.port = free_ports(1)[0]
        self.env = env
        self.log = log
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "--bind",
                 f"127.0.0.1:{self.port}", "--workers", "2", "config.wsgi:application"],
                env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=settings.BASE_DIR,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:  # not listening yet, or a worker still booting
                time.sleep(0.1)
        raise AssertionError("gunicorn did not start:\n" + self.log.read_text()[-3000:])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # what an orchestrator sends on a restart
            self.process.wait(40)


@pytest.fixture
def web(s3_server, registry_signing_key, tmp_path):
    server = Gunicorn(
        process_env(
            REGISTRY_SIGNING_KEY_PATH=str(registry_signing_key),
            REGISTRY_UPLOAD_PART_SIZE=str(PART),  # three parts for a 13 MB file
            DB_CONN_MAX_AGE="0",
        ),
        tmp_path / "gunicorn.log",
    )
    server.start()
    try:
        yield server
    finally:
        if server.process is not None and server.process.poll() is None:
            server.process.kill()
            server.process.wait()


def put_part(url: str, data: bytes) -> str:
    answer = requests.put(url, data=data, timeout=30)
    answer.raise_for_status()
    return answer.headers["ETag"]


def test_an_upload_resumes_after_the_web_server_restarts(web, tmp_path):
    user, _ = user_with_token("maker", scope="write", member_of="acme", role="maintainer")
    publisher = repositories.ensure_publisher(slug="acme")
    repositories.create_repository(namespace=publisher, name="tiny", actor=user)
    folder = write_model(tmp_path / "model", hidden=900)  # model.safetensors ~13 MB
    weights = (folder / "model.safetensors").read_bytes()
    login = Client()
    login.force_login(user)
    browser = requests.Session()  # what the uploader's fetch() sends: session cookie + CSRF header
    browser.cookies.set("sessionid", login.cookies["sessionid"].value)
    browser.cookies.set("csrftoken", CSRF)
    browser.headers.update({"X-CSRFToken": CSRF, "Accept": "application/json"})

    def post(path: str, body: dict) -> dict:
        answer = browser.post(f"{web.url}/portal/api/{path}", json=body, timeout=60)
        assert answer.status_code == 200, answer.text[:500]
        return answer.json()

    draft = post("repos/acme/tiny/uploads", {})["draft"]
    for small in ("README.md", "config.json"):
        data = (folder / small).read_bytes()
        plan = post(f"uploads/{draft}/files", {"path": small, "size": len(data)})
        etag = put_part(plan["urls"]["1"], data)
        post(f"files/{plan['session']}/complete", {"parts": [{"partNumber": 1, "etag": etag}]})
    plan = post(f"uploads/{draft}/files", {"path": "model.safetensors", "size": len(weights)})
    assert plan["part_count"] == 3 and plan["part_size"] == PART
    first = put_part(plan["urls"]["1"], weights[:PART])

    web.stop()
    with pytest.raises(requests.ConnectionError):  # the page's next call while it is down
        browser.post(f"{web.url}/portal/api/uploads/{draft}", timeout=5)
    web.start()

    status = browser.get(f"{web.url}/portal/api/uploads/{draft}", timeout=30).json()
    assert status["status"] == "draft" and sorted(status["files"]) == ["README.md", "config.json"]
    resumed = post(f"uploads/{draft}/files", {"path": "model.safetensors", "size": len(weights)})
    assert resumed["session"] == plan["session"] and resumed["done"] == {"1": first}
    assert sorted(resumed["urls"]) == ["2", "3"]  # part 1 is not sent again
    parts = [{"partNumber": 1, "etag": first}] + [
        {"partNumber": n, "etag": put_part(resumed["urls"][str(n)], weights[(n - 1) * PART : n * PART])}
        for n in (2, 3)
    ]
    stored = post(f"files/{plan['session']}/complete", {"parts": parts})
    assert stored["sha256"] == hashlib.sha256(weights).hexdigest()
    assert post(f"uploads/{draft}/publish", {})["status"] == "published"
    assert Version.objects.get(pk=draft).files.get(path="model.safetensors").size == len(weights)
