"""The object store crashes (SIGKILL) in the middle of a browser upload and of a download: the
server answers 503 with Retry-After while it is down, keeps no partial version, and both
transfers resume where they stopped once it is back."""

from __future__ import annotations

import hashlib

import pytest
import requests
from django.test import Client

from registry.models import Version
from registry.services import repositories
from tests.compat.helpers import user_with_token
from tests.fixtures.models import write_model
from tests.integration.helpers import publish

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(180)]

PART = 5 << 20


def assert_retry_later(answer) -> None:
    assert answer.status_code == 503, answer.content[:500]
    assert int(answer["Retry-After"]) > 0
    assert answer["Content-Type"].startswith("application/json")
    error = answer.json()["error"].lower()  # the Hub's error shape, or ours
    assert "storage" in error and ("unreachable" in error or "unavailable" in error)


def put_part(url: str, data: bytes) -> str:
    answer = requests.put(url, data=data, timeout=30)
    answer.raise_for_status()
    return answer.headers["ETag"]


def read_all(chunks, *, into: bytearray) -> None:
    for chunk in chunks:
        into += chunk


def test_upload_interrupted_by_a_storage_crash_resumes_without_a_partial_version(
    crashable_s3, settings, tmp_path
):
    settings.REGISTRY_UPLOAD_PART_SIZE = PART
    user, _ = user_with_token("maker", scope="write", member_of="acme", role="maintainer")
    repositories.create_repository(
        namespace=repositories.ensure_publisher(slug="acme"), name="tiny", actor=user
    )
    folder = write_model(tmp_path / "model", hidden=900)  # model.safetensors ~13 MB: three parts
    weights = (folder / "model.safetensors").read_bytes()
    browser = Client()
    browser.force_login(user)

    def post(url: str, body: dict):
        return browser.post(url, data=body, content_type="application/json")

    draft = post("/portal/api/repos/acme/tiny/uploads", {}).json()["draft"]
    for small in ("README.md", "config.json"):
        data = (folder / small).read_bytes()
        plan = post(f"/portal/api/uploads/{draft}/files", {"path": small, "size": len(data)}).json()
        etag = put_part(plan["urls"]["1"], data)
        done = post(
            f"/portal/api/files/{plan['session']}/complete", {"parts": [{"partNumber": 1, "etag": etag}]}
        )
        assert done.status_code == 200, done.content
    plan = post(
        f"/portal/api/uploads/{draft}/files", {"path": "model.safetensors", "size": len(weights)}
    ).json()
    assert plan["part_count"] == 3
    first = put_part(plan["urls"]["1"], weights[:PART])

    crashable_s3.kill()
    with pytest.raises(requests.ConnectionError):
        put_part(plan["urls"]["2"], weights[PART : 2 * PART])
    # The uploader asks again (to resume) or to complete: both need storage, both say "later".
    assert_retry_later(
        post(f"/portal/api/uploads/{draft}/files", {"path": "model.safetensors", "size": len(weights)})
    )
    claimed = [{"partNumber": n, "etag": first} for n in (1, 2, 3)]  # an uploader that lost track
    assert_retry_later(post(f"/portal/api/files/{plan['session']}/complete", {"parts": claimed}))
    refused = post(f"/portal/api/uploads/{draft}/publish", {})
    assert refused.status_code in (400, 503) and refused.json()["status"] != "published"
    assert not Version.objects.filter(repository__name="tiny", published_at__isnull=False).exists()

    crashable_s3.start()
    again = post(f"/portal/api/uploads/{draft}/files", {"path": "model.safetensors", "size": len(weights)})
    assert again.status_code == 200, again.content
    resumed = again.json()
    assert resumed["session"] == plan["session"] and resumed["done"] == {"1": first}
    assert sorted(resumed["urls"]) == ["2", "3"]
    parts = [{"partNumber": 1, "etag": first}] + [
        {"partNumber": n, "etag": put_part(resumed["urls"][str(n)], weights[(n - 1) * PART : n * PART])}
        for n in (2, 3)
    ]
    stored = post(f"/portal/api/files/{plan['session']}/complete", {"parts": parts})
    assert stored.status_code == 200, stored.content
    assert stored.json()["sha256"] == hashlib.sha256(weights).hexdigest()
    published = post(f"/portal/api/uploads/{draft}/publish", {})
    assert published.status_code == 200 and published.json()["status"] == "published", published.content


def test_download_cut_by_a_storage_crash_resumes_with_a_range_request(crashable_s3, tmp_path):
    folder = write_model(tmp_path / "model", hidden=1024)  # model.safetensors ~16 MiB
    expected = (folder / "model.safetensors").read_bytes()
    publish(folder, "acme/tiny")
    hub = Client()

    redirect = hub.get("/acme/tiny/resolve/main/model.safetensors")
    assert redirect.status_code == 302
    received = bytearray()
    with requests.get(redirect["Location"], stream=True, timeout=30) as download:
        download.raise_for_status()
        chunks = download.iter_content(64 << 10)
        received += next(chunks)
        crashable_s3.kill()
        with pytest.raises(requests.RequestException):
            read_all(chunks, into=received)
    assert 0 < len(received) < len(expected)

    # While it is down, a file the server reads from storage itself answers 503 with Retry-After,
    # never a 500; the web pages need no storage and keep working.
    assert_retry_later(hub.get("/acme/tiny/resolve/main/config.json"))
    assert hub.get("/acme/tiny", HTTP_ACCEPT="text/html").status_code == 200

    crashable_s3.start()
    redirect = hub.get("/acme/tiny/resolve/main/model.safetensors")
    rest = requests.get(redirect["Location"], headers={"Range": f"bytes={len(received)}-"}, timeout=30)
    assert rest.status_code == 206
    assert hashlib.sha256(bytes(received) + rest.content).digest() == hashlib.sha256(expected).digest()
    assert hub.get("/acme/tiny/resolve/main/config.json").status_code == 200
