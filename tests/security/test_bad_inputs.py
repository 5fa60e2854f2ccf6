"""The bad-input corpus: hostile or broken uploads and names, sent over HTTP the way a client would,
each answered with a 4xx whose message names the problem, and nothing stored.

Hub push (bearer write token, real S3 for LFS bytes), the portal's upload API (browser session)
and repository creation; XSS in cards and descriptions is published but rendered sanitised.
"""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
import requests
from django.test import Client

from registry.models import ModelRepository, Publisher, Ref, Version, VersionFile
from registry.services import repositories
from tests.compat.helpers import user_with_token
from tests.fixtures.models import raw_safetensors

pytestmark = pytest.mark.django_db

CONFIG = b'{"model_type": "llama"}'
TENSOR = {"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}


def ndjson(*lines: tuple[str, dict]) -> bytes:
    return b"\n".join(json.dumps({"key": k, "value": v}).encode() for k, v in lines)


def inline(path: str, data: bytes) -> tuple[str, dict]:
    return "file", {"path": path, "content": base64.b64encode(data).decode(), "encoding": "base64"}


@pytest.fixture
def pusher(s3_server):
    user, raw = user_with_token("pusher", scope="write", member_of="acme", role="maintainer")
    repository = repositories.create_repository(
        namespace=repositories.ensure_publisher(slug="acme"), name="target", actor=user
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return user, client, repository


def commit(client: Client, *files: tuple[str, dict]):
    body = ndjson(("header", {"summary": "bad input"}), *files)
    return client.post("/api/models/acme/target/commit/main", data=body, content_type="application/x-ndjson")


def lfs_commit(client: Client, path: str, data: bytes):
    """The Hub client's LFS path: batch, PUT the bytes to S3, then commit the pointer."""
    oid = hashlib.sha256(data).hexdigest()
    batch = client.post(
        "/acme/target.git/info/lfs/objects/batch",
        data=json.dumps(
            {"operation": "upload", "transfers": ["basic"], "objects": [{"oid": oid, "size": len(data)}]}
        ),
        content_type="application/vnd.git-lfs+json",
    ).json()
    actions = batch["objects"][0].get("actions")
    if actions:
        assert requests.put(actions["upload"]["href"], data=data, timeout=30).status_code == 200
    return commit(
        client,
        inline("config.json", CONFIG),
        ("lfsFile", {"path": path, "algo": "sha256", "oid": oid, "size": len(data)}),
    ), oid


def assert_refused(answer, *phrases: str, status: tuple[int, ...] = (400, 415, 422)) -> str:
    assert answer.status_code in status, (answer.status_code, answer.content[:300])
    message = answer.json().get("error") or answer.get("X-Error-Message", "")
    if isinstance(message, dict):
        message = message.get("message", "")
    for phrase in phrases:
        assert phrase in message, (phrase, message)
    return message


def nothing_published(repository: ModelRepository) -> bool:
    return (
        not Version.objects.filter(repository=repository, status=Version.Status.PUBLISHED).exists()
        and not Ref.objects.filter(repository=repository).exists()
    )


# The corpus: (weights file name, bytes, words the refusal must contain).
BAD_SAFETENSORS = [
    ("header-not-json.safetensors", raw_safetensors(b"{not json"), "not valid JSON"),
    ("header-not-utf8.safetensors", raw_safetensors(b'{"\xff\xfe": 1}'), "not UTF-8"),
    ("huge-header.safetensors", raw_safetensors(b"{}", length=500 << 20), "exceeds the"),
    ("short.safetensors", b"\x01\x02\x03", "too short"),
    ("past-end.safetensors", raw_safetensors(TENSOR, b"\x00" * 4), "tensor 'w'"),
    ("bad-dtype.safetensors", raw_safetensors({"w": {**TENSOR["w"], "dtype": "EVIL"}}, b"\x00" * 8), "dtype"),
    ("pickle-in-disguise.safetensors", b"\x80\x04\x95" + b"\x00" * 64, "safetensors"),
]


@pytest.mark.parametrize(("path", "data", "named"), BAD_SAFETENSORS, ids=[c[0] for c in BAD_SAFETENSORS])
def test_malformed_safetensors_are_refused_by_name_and_not_kept(pusher, store, path, data, named):
    _, client, repository = pusher
    answer, oid = lfs_commit(client, path, data)
    message = assert_refused(answer, path)
    assert named.lower() in message.lower(), message
    assert nothing_published(repository)
    # The bytes the client sent may stay as an unreferenced blob (content-addressed, collected
    # later); no version, published or draft, lists them as a file.
    assert not VersionFile.objects.filter(blob__sha256=oid).exclude(version__status="failed").exists()


BAD_PATHS = [
    ("../escape.json", "segment"),
    ("folder/../../escape.json", "segment"),
    ("/etc/passwd.json", "absolute"),
    ("folder\\config.json", "backslash"),
    (".git/config.json", "reserved"),
    ("con\x00fig.json", ""),  # NUL
    ("model\u202enosj.txt", ""),  # right-to-left override: shows as model.txt.json
    ("caf\u0065\u0301.json", "NFC"),  # decomposed é
    ("pytorch_model.bin", "pickle"),
    ("setup.sh", ""),
]


@pytest.mark.parametrize(("path", "named"), BAD_PATHS, ids=[repr(p) for p, _ in BAD_PATHS])
def test_hostile_file_paths_are_refused_in_a_push(pusher, path, named):
    _, client, repository = pusher
    answer = commit(client, inline("config.json", CONFIG), inline(path, b"{}"))
    message = assert_refused(answer, named)
    assert "path" in message.lower() or path.split(".")[-1] in message or "file" in message.lower()
    assert nothing_published(repository)


@pytest.mark.parametrize(("path", "named"), BAD_PATHS, ids=[repr(p) for p, _ in BAD_PATHS])
def test_hostile_file_paths_are_refused_by_the_portal(pusher, path, named):
    user, _, _ = pusher
    client = Client()
    client.force_login(user)
    started = client.post("/portal/api/repos/acme/target/uploads", data="{}", content_type="application/json")
    assert started.status_code == 200, started.content
    draft = started.json()["id"] if "id" in started.json() else started.json()["draft"]
    answer = client.post(
        f"/portal/api/uploads/{draft}/files",
        data=json.dumps({"path": path, "size": 2}),
        content_type="application/json",
    )
    assert_refused(answer, named)
    assert not Version.objects.get(pk=draft).files.exists()


BAD_CARDS = [
    ("---\nlicense: [unclosed\n---\n# Title\n", "not valid YAML"),
    ("---\nlicense: mit\n# never closed\n", "never closed"),
    ("---\n- just\n- a list\n---\n", "mapping"),
    ("---\ntags: 42\n---\n", "tags"),
    ("---\nlicense: mit\n---\n" + "A" * (1 << 20), "limit"),
]


@pytest.mark.parametrize(
    ("card", "named"), BAD_CARDS, ids=["bad-yaml", "unclosed", "list", "tags", "oversized"]
)
def test_broken_or_oversized_cards_are_refused(pusher, card, named):
    _, client, repository = pusher
    answer = commit(client, inline("config.json", CONFIG), inline("README.md", card.encode()))
    assert_refused(answer, "README.md", named, status=(400, 413, 422))
    assert nothing_published(repository)


BAD_NAMES = [
    "\u0430cme-model",  # Cyrillic a (U+0430): looks like "acme-model"
    "model\u202eldom",  # right-to-left override
    "nul\x00name",
    "../escape",
    "has space",
    "-leading-dash",
    "x" * 200,
    "emoji\U0001f600",
]


@pytest.mark.parametrize("name", BAD_NAMES, ids=[repr(n)[:30] for n in BAD_NAMES])
def test_hostile_repository_names_are_refused(pusher, name):
    _, client, _ = pusher
    answer = client.post(
        "/api/repos/create",
        data=json.dumps({"name": name, "organization": "acme", "type": "model"}),
        content_type="application/json",
    )
    assert_refused(answer, "not valid", status=(400, 422))
    assert not ModelRepository.objects.exclude(name="target").exists()
    assert not Publisher.objects.exclude(slug__in=["acme", "pusher"]).exists()


XSS_CARD = """---
license: mit
---
# Innocent model <script>alert('title')</script>

<img src=x onerror="alert('img')"> [click](javascript:alert('link'))
<iframe src="https://evil.example"></iframe><a href="#" onclick="alert(1)">a</a>
<svg><script>alert('svg')</script></svg>
"""


def test_xss_in_cards_and_descriptions_is_rendered_harmless(pusher):
    user, client, repository = pusher
    answer = commit(client, inline("config.json", CONFIG), inline("README.md", XSS_CARD.encode()))
    assert answer.status_code == 200, answer.content
    repositories.update_repository(repository=repository, actor=user)
    publisher = repository.namespace
    publisher.description = "<script>alert('publisher')</script>"
    publisher.save()
    for page in ("/acme/target", "/acme", "/models?search=target"):
        html = Client().get(page).content.decode()
        lowered = html.lower()
        assert "<script>alert" not in lowered, page
        assert "onerror=" not in lowered and "onclick=" not in lowered, page
        assert "javascript:alert" not in lowered, page
        assert "<iframe" not in lowered, page
    assert "Innocent model" in Client().get("/acme/target").content.decode()


NUL_URLS = [
    "/api/v1/publishers/a%00b",
    "/api/models/acme/x%00y",
    "/api/models/acme/x/revision/ma%00in",
    "/acme/x%00y/resolve/main/config.json",
    "/api/v1/models?search=%00",
    "/models?search=a%00b",
]


@pytest.mark.parametrize("url", NUL_URLS)
def test_nul_bytes_in_urls_are_refused_by_name(url):
    answer = Client().get(url)
    assert answer.status_code == 400
    error = answer.json()["error"]  # the native API's {"code", "message"}, the Hub's plain string
    assert "NUL byte" in (error["message"] if url.startswith("/api/v1/") else error)
