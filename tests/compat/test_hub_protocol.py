"""The Hub protocol facts that trip servers up (hf-hub-protocol.md §11), checked on the wire.

Headers on every resolve, ETags by file kind, the redirect to another origin, Range, error codes on
HEAD, `Z` timestamps, absolute Link URLs, revisions containing '/', HEAD on every route, no
trailing-slash redirects, no Xet headers, and hostile input answered 4xx, never 5xx.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from django.test import Client

from registry.hashing import git_blob_sha1
from tests.fixtures.models import write_model

from .helpers import publish_command

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="session")
def model(tmp_path_factory) -> Path:
    folder = write_model(tmp_path_factory.mktemp("protocol") / "model", seed=21)
    (folder / "1.0").mkdir()
    (folder / "1.0" / "notes.txt").write_text("notes in a folder named like a version\n")
    return folder


@pytest.fixture
def published(model):
    return publish_command(model, "acme/proto", "--revision-tag", "v1")


@pytest.fixture
def url(live_server):
    return live_server.url


def _xet_free(response: requests.Response) -> None:
    assert not [h for h in response.headers if h.lower().startswith("x-xet")]
    assert "xet-auth" not in response.headers.get("Link", "")


def test_weights_redirect_to_the_store_with_the_metadata_headers(url, published, model):
    data = (model / "model.safetensors").read_bytes()
    for method in (requests.head, requests.get):
        response = method(
            f"{url}/acme/proto/resolve/main/model.safetensors", allow_redirects=False, timeout=10
        )
        assert response.status_code == 302
        assert response.headers["X-Repo-Commit"] == published.commit_id
        assert response.headers["X-Linked-Etag"] == f'"{hashlib.sha256(data).hexdigest()}"'
        assert response.headers["X-Linked-Size"] == str(len(data))
        assert response.headers["Accept-Ranges"] == "bytes"
        assert response.content == b""
        _xet_free(response)
        location = urlsplit(response.headers["Location"])
        assert (location.hostname, location.port) != (urlsplit(url).hostname, urlsplit(url).port)
    assert requests.get(response.headers["Location"], timeout=10).content == data
    ranged = requests.get(response.headers["Location"], headers={"Range": "bytes=0-7"}, timeout=10)
    assert ranged.status_code == 206 and ranged.content == data[:8]  # a safetensors header read


def test_small_files_are_served_with_git_etags_and_ranges(url, published, model):
    data = (model / "config.json").read_bytes()
    resolve = f"{url}/acme/proto/resolve/{published.commit_id}/config.json"
    head = requests.head(resolve, timeout=10)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["ETag"] == f'"{git_blob_sha1(data)}"'
    assert head.headers["Content-Length"] == str(len(data))
    assert head.headers["X-Repo-Commit"] == published.commit_id
    assert "gzip" not in head.headers.get("Content-Encoding", "")
    _xet_free(head)
    assert requests.get(resolve, timeout=10).content == data

    part = requests.get(resolve, headers={"Range": "bytes=2-5"}, timeout=10)
    assert (part.status_code, part.content) == (206, data[2:6])
    assert part.headers["Content-Range"] == f"bytes 2-5/{len(data)}"
    tail = requests.get(resolve, headers={"Range": "bytes=-3"}, timeout=10)
    assert (tail.status_code, tail.content) == (206, data[-3:])
    beyond = requests.get(resolve, headers={"Range": f"bytes={len(data)}-"}, timeout=10)
    assert beyond.status_code == 416 and beyond.headers["Content-Range"] == f"bytes */{len(data)}"
    assert "outside config.json" in beyond.headers["X-Error-Message"]


@pytest.mark.parametrize("method", ["get", "head"])
def test_errors_carry_their_code_on_get_and_head(url, published, method):
    cases = [
        ("/acme/proto/resolve/main/missing.json", 404, "EntryNotFound"),
        ("/acme/proto/resolve/no-branch/config.json", 404, "RevisionNotFound"),
        ("/acme/nothing/resolve/main/config.json", 404, "RepoNotFound"),
        ("/gpt2/resolve/main/config.json", 404, "RepoNotFound"),  # the client allows ids without namespace
        ("/api/models/gpt2", 404, "RepoNotFound"),
        ("/api/models/acme/nothing", 404, "RepoNotFound"),
        ("/api/models/acme/proto/revision/v9", 404, "RevisionNotFound"),
        ("/api/models/acme/proto/tree/main/no-folder", 404, "EntryNotFound"),
    ]
    for path, status, code in cases:
        response = getattr(requests, method)(url + path, allow_redirects=False, timeout=10)
        assert (response.status_code, response.headers.get("X-Error-Code")) == (status, code), path
        assert response.headers["X-Error-Message"]
        if method == "get":
            assert response.json()["error"] == response.headers["X-Error-Message"]
    missing = requests.head(f"{url}/acme/proto/resolve/main/missing.json", timeout=10)
    assert missing.headers["X-Repo-Commit"] == published.commit_id  # lets the client cache the miss


def test_gated_and_private_repositories_answer_403_and_404(url, model):
    publish_command(model, "acme/gated", "--gated", "manual")
    publish_command(model, "acme/private", "--private")
    gated = requests.head(f"{url}/acme/gated/resolve/main/config.json", timeout=10)
    assert (gated.status_code, gated.headers["X-Error-Code"]) == (403, "GatedRepo")
    assert "accept its license terms" in gated.headers["X-Error-Message"]
    assert requests.get(f"{url}/api/models/acme/gated", timeout=10).json()["gated"] == "manual"
    for path in ("/acme/private/resolve/main/config.json", "/api/models/acme/private"):
        hidden = requests.get(url + path, timeout=10)
        assert (hidden.status_code, hidden.headers["X-Error-Code"]) == (404, "RepoNotFound")


def test_timestamps_end_in_z_and_link_urls_are_absolute(url, model):
    for name in ("one", "two", "three"):
        publish_command(model, f"acme/{name}")
    info = requests.get(f"{url}/api/models/acme/one", timeout=10).json()
    assert info["lastModified"].endswith("Z") and info["createdAt"].endswith("Z")
    page = requests.get(f"{url}/api/models?limit=2&sort=id", timeout=10)
    assert [m["id"] for m in page.json()] == ["acme/one", "acme/three"]
    link = page.headers["Link"]
    assert link.startswith(f"<{url}/api/models?") and link.endswith('>; rel="next"')
    last = requests.get(link[1 : link.index(">")], timeout=10)
    assert [m["id"] for m in last.json()] == ["acme/two"]
    assert "Link" not in last.headers


def test_revisions_containing_a_slash(url, model, published):
    """`release/1.0` arrives decoded (`release%2F1.0` -> `release/1.0`); with branches `release` and
    `release/1.0` both existing, the raw URI (gunicorn's RAW_URI) decides, else the longest ref."""
    release = publish_command(model, "acme/proto", "--branch", "release")
    dotted = publish_command(model, "acme/proto", "--branch", "release/1.0")
    for path in (
        "/api/models/acme/proto/revision/release%2F1.0",
        "/acme/proto/resolve/release%2F1.0/config.json",
    ):
        response = requests.head(url + path, timeout=10)
        assert response.status_code == 200, path
    info = requests.get(f"{url}/api/models/acme/proto/revision/release%2F1.0", timeout=10).json()
    assert info["sha"] == dotted.commit_id
    tree = requests.get(f"{url}/api/models/acme/proto/tree/release%2F1.0/1.0", timeout=10).json()
    assert [e["path"] for e in tree] == ["1.0/notes.txt"]

    client = Client()
    encoded = client.head(
        "/acme/proto/resolve/release/1.0/1.0/notes.txt",
        REQUEST_URI="/acme/proto/resolve/release%2F1.0/1.0/notes.txt",
    )
    assert encoded["X-Repo-Commit"] == dotted.commit_id
    plain = client.head(
        "/acme/proto/resolve/release/1.0/notes.txt", REQUEST_URI="/acme/proto/resolve/release/1.0/notes.txt"
    )
    assert plain["X-Repo-Commit"] == release.commit_id  # branch `release`, file `1.0/notes.txt`
    guessed = client.head("/acme/proto/resolve/release/1.0/notes.txt")  # no raw URI: longest ref wins
    assert guessed.status_code == 404 and guessed["X-Error-Code"] == "EntryNotFound"
    assert guessed["X-Repo-Commit"] == dotted.commit_id


def test_head_on_every_route_and_no_trailing_slash_redirects(url, published):
    routes = [
        "/api/models",
        "/api/models/acme/proto",
        "/api/models/acme/proto/revision/v1",
        "/api/models/acme/proto/tree/main",
        "/api/models/acme/proto/refs",
        f"/api/models/acme/proto/commits/{published.commit_id}",
        "/acme/proto/resolve/v1/config.json",
    ]
    for path in routes:
        got = requests.get(url + path, timeout=10)
        head = requests.head(url + path, timeout=10)
        assert got.status_code == head.status_code == 200, path
        assert head.content == b""
        assert head.headers["Content-Length"] == str(len(got.content)), path
    for path in ("/api/models/", "/api/models/acme/proto/", "/api/models/acme/proto/refs/"):
        response = requests.get(url + path, allow_redirects=False, timeout=10)
        assert response.status_code not in (301, 302, 308), path


def test_paths_info_is_a_form_post_without_csrf(url, published):
    response = requests.post(
        f"{url}/api/models/acme/proto/paths-info/main",
        data={"paths": ["config.json", "1.0", "nope"], "expand": "false"},
        timeout=10,
    )
    assert response.status_code == 200
    assert [(e["type"], e["path"]) for e in response.json()] == [
        ("file", "config.json"),
        ("directory", "1.0"),
    ]


def test_tokens_unknown_to_us_are_ignored_and_dead_ones_refused(url, published):
    foreign = requests.get(
        f"{url}/api/models/acme/proto", headers={"Authorization": "Bearer hf_abcdefghijklmnop"}, timeout=10
    )
    assert foreign.status_code == 200
    assert foreign.headers["X-HF-Warning"].startswith("token; ")
    dead = requests.head(
        f"{url}/acme/proto/resolve/main/config.json",
        headers={"Authorization": "Bearer slm_not-a-token"},
        timeout=10,
    )
    assert dead.status_code == 401
    assert dead.headers["X-Error-Message"] == "Invalid credentials in Authorization header"
    assert "X-Error-Code" not in dead.headers
    traced = requests.get(f"{url}/api/models/acme/proto", headers={"X-Amzn-Trace-Id": "abc-123"}, timeout=10)
    assert traced.headers["X-Request-Id"] == "abc-123"


HOSTILE = [
    "/api/models?limit=0",
    "/api/models?limit=abc",
    "/api/models?limit=100000",
    "/api/models?sort=bogus",
    "/api/models?direction=sideways",
    "/api/models?cursor=!!!not-base64",
    "/api/models?cursor=WzEsMiwzXQ",  # valid base64 of [1,2,3]: the wrong shape
    "/api/models?cursor=WyJ4IiwiYSJd",  # ["x","a"]: wrong types for the default sort
    "/api/models?gated=maybe",
    "/api/models?search=%00",
    "/api/models?filter=a%00b",
    "/api/models?author=" + "a" * 500,
    "/api/models?num_parameters=lots",
    "/api/models?expand=bogus",
    "/api/models/acme/proto?blobs=perhaps",
    "/api/models/acme/proto?expand=nope",
    "/api/models/acme/proto/tree/main?cursor=LTE",  # -1
    "/api/models/acme/proto/tree/main?recursive=2",
    "/api/models/acme/proto/revision/%00",
    "/api/models/acme/proto/revision/" + "x" * 5000,
    "/api/models/a..b/proto",
    "/api/models/acme/pro%00to",
    "/acme/proto/resolve/%00/config.json",
    "/acme/proto/resolve/main/%00",
    "/acme/proto/resolve/main/../../etc/passwd",
    "/acme/proto/resolve/main/" + "a/" * 600 + "x.json",
    "/acme/proto/resolve/main/.git/config",
    "/acme/proto/resolve/ma%E2%80%AEin/config.json",
]


def test_hostile_input_gets_a_clear_4xx(published):
    """Through Django's test client, which sends paths as given (an HTTP library would normalise
    `..`) and raises on any server error instead of hiding it behind a 500. One publication, every
    case: each failing case is named."""
    client = Client()
    failures = []
    for path in HOSTILE:
        response = client.get(path)
        if not 400 <= response.status_code < 500 or not response.headers.get("X-Error-Message"):
            failures.append((path[:80], response.status_code, response.content[:120]))
    assert failures == []
