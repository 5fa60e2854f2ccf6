"""Pushing with the client as installed by default (`huggingface_hub` + `hf_xet`, no Xet setting):
large files travel through our Xet CAS (registry/xet/), are verified byte by byte, rebuilt into
ordinary blobs and committed through the same pipeline as any upload.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import struct
from pathlib import Path

import numpy as np
import pytest
import requests
from huggingface_hub import HfApi, constants, snapshot_download
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError
from huggingface_hub.utils import disable_progress_bars
from safetensors.numpy import save_file

from registry.models import Blob, Ref, Version
from registry.storage import get_store
from registry.xet import formats
from registry.xet.models import XetFile, Xorb
from registry.xet.services import xorb_key
from tests.fixtures.models import raw_safetensors, write_model

from .helpers import folder_digests, repository, user_with_token

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def weights(tmp_path_factory) -> Path:
    """136 MiB of incompressible weights: three xorbs (the client caps one at 64 MiB)."""
    path = tmp_path_factory.mktemp("xet-weights") / "model.safetensors"
    rng = np.random.default_rng(6)
    save_file({"w": rng.standard_normal(34 << 20).astype(np.float32)}, path)
    return path


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    return write_model(tmp_path_factory.mktemp("xet-model") / "tiny", seed=6, hidden=512)  # 4 MiB weights


@pytest.fixture(autouse=True)
def xet_client(settings, monkeypatch, tmp_path):
    settings.REGISTRY_INLINE_UPLOAD_THRESHOLD = 1 << 20  # files of 1 MiB or more go through Xet
    assert constants.HF_HUB_DISABLE_XET is False and "HF_HUB_DISABLE_XET" not in os.environ
    monkeypatch.setenv("HF_XET_CACHE", str(tmp_path / "xet-cache"))
    disable_progress_bars()


@pytest.fixture
def publisher(live_server):
    _, raw = user_with_token("xetpub", scope="write", member_of="northwind", role="maintainer")
    return HfApi(endpoint=live_server.url, token=raw)


def _head(repo_id: str) -> Version | None:
    ref = Ref.objects.filter(repository=repository(repo_id), name="main").first()
    return ref.version if ref else None


def _pulled(folder: str) -> dict[str, str]:
    digests = folder_digests(Path(folder))
    digests.pop("model.sig", None)
    return digests


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _through_cas(api: HfApi, repo_id: str, file_id: str, byte_range: str | None = None) -> bytes:
    """Download a file the way hf_xet does: read token, reconstruction, presigned xorb ranges."""
    token = requests.get(
        f"{api.endpoint}/api/models/{repo_id}/xet-read-token/main",
        headers={"Authorization": f"Bearer {api.token}"},
        timeout=30,
    )
    assert token.status_code == 200, token.text
    assert token.headers["X-Xet-Access-Token"] == token.json()["accessToken"]
    headers = {"Authorization": f"Bearer {token.json()['accessToken']}"}
    if byte_range:
        headers["Range"] = byte_range
    answer = requests.get(
        f"{token.json()['casUrl']}/v1/reconstructions/{file_id}", headers=headers, timeout=30
    ).json()
    out = bytearray()
    for term in answer["terms"]:
        entry = next(
            e
            for e in answer["fetch_info"][term["hash"]]
            if e["range"]["start"] <= term["range"]["start"] and term["range"]["end"] <= e["range"]["end"]
        )
        first, last = entry["url_range"]["start"], entry["url_range"]["end"]
        data = requests.get(entry["url"], headers={"Range": f"bytes={first}-{last}"}, timeout=60).content
        raws = [raw for _, raw, _ in formats.iter_chunks(io.BytesIO(data).read)]
        skip = term["range"]["start"] - entry["range"]["start"]
        out += b"".join(raws[skip : skip + term["range"]["end"] - term["range"]["start"]])
    data = bytes(out[answer["offset_into_first_range"] :])
    if byte_range:  # the client trims the tail of the last term itself
        first, last = (int(n) for n in byte_range.removeprefix("bytes=").split("-"))
        data = data[: last - first + 1]
    return data


def test_default_client_pushes_through_xet_and_both_clients_pull_identical_bytes(
    publisher, weights, tiny_model, live_server, tmp_path, monkeypatch, settings, caplog
):
    api = publisher
    api.create_repo("northwind/xet-model")
    api.upload_folder(folder_path=tiny_model, repo_id="northwind/xet-model")
    api.upload_file(
        path_or_fileobj=str(weights), path_in_repo="big/model.safetensors", repo_id="northwind/xet-model"
    )
    assert Xorb.objects.count() >= 3  # several xorbs, each verified and stored
    big = XetFile.objects.get(sha256=_sha256(weights))
    assert big.size == weights.stat().st_size and len({t[0] for t in big.terms}) >= 3

    head = _head("northwind/xet-model")
    assert head.is_published and head.files.filter(path="model.sig").exists()  # signed like any upload
    assert Blob.objects.get(sha256=big.sha256).verified_at is not None  # rebuilt into the ordinary blob
    expected = {**folder_digests(tiny_model), "big/model.safetensors": big.sha256}

    assert settings.REGISTRY_XET_DOWNLOADS  # the default: resolve offers X-Xet-Hash, hf_xet reads the CAS
    with caplog.at_level(logging.DEBUG, logger="registry.xet.views"):
        with_xet = snapshot_download(
            "northwind/xet-model", endpoint=live_server.url, cache_dir=tmp_path / "a"
        )
    assert (
        requests.head(
            f"{live_server.url}/northwind/xet-model/resolve/main/big/model.safetensors", timeout=30
        ).headers["X-Xet-Hash"]
        == big.file_id
    )
    # hf_xet asked the CAS (v2 first, answered 501, then v1): the bytes came from the xorbs.
    assert any("/xet-cas/v2/reconstructions/" in r.getMessage() for r in caplog.records)
    settings.REGISTRY_XET_DOWNLOADS = False  # switched off: the plain 302 for everyone
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)
    without_xet = snapshot_download("northwind/xet-model", endpoint=live_server.url, cache_dir=tmp_path / "b")
    assert _pulled(with_xet) == _pulled(without_xet) == expected

    # The CAS serves the same bytes (whole and ranged) from the stored xorbs.
    raw = weights.read_bytes()
    assert hashlib.sha256(_through_cas(api, "northwind/xet-model", big.file_id)).hexdigest() == big.sha256
    middle = _through_cas(api, "northwind/xet-model", big.file_id, "bytes=70000000-70100000")
    assert middle == raw[70000000:70100001]
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", False)

    # The same weights again, under another name: only a shard travels (the xorbs are known).
    received = sum(Xorb.objects.values_list("times_received", flat=True))
    stored = Xorb.objects.count()
    api.upload_file(
        path_or_fileobj=str(weights), path_in_repo="copy.safetensors", repo_id="northwind/xet-model"
    )
    assert Xorb.objects.count() == stored
    assert sum(Xorb.objects.values_list("times_received", flat=True)) == received
    assert _head("northwind/xet-model").files.get(path="copy.safetensors").sha256 == big.sha256


def _xorb(chunks: list[bytes]) -> tuple[str, bytes]:
    body = b"".join(
        b"\0" + len(c).to_bytes(3, "little") + b"\0" + len(c).to_bytes(3, "little") + c for c in chunks
    )
    digest = formats.aggregate([(formats.chunk_hash(c), len(c)) for c in chunks])
    return formats.hash_string(digest), body


def _write_token(api: HfApi, repo_id: str) -> tuple[str, dict]:
    answer = requests.get(
        f"{api.endpoint}/api/models/{repo_id}/xet-write-token/main",
        headers={"Authorization": f"Bearer {api.token}"},
        timeout=30,
    ).json()
    return answer["casUrl"], {"Authorization": f"Bearer {answer['accessToken']}"}


def test_tampered_xorbs_and_shards_naming_missing_xorbs_are_refused(publisher, caplog):
    api = publisher
    api.create_repo("northwind/xet-guarded")
    cas, auth = _write_token(api, "northwind/xet-guarded")
    name, body = _xorb([os.urandom(5000), os.urandom(7000)])
    tampered = body[:100] + bytes([body[100] ^ 1]) + body[101:]
    refused = requests.post(f"{cas}/v1/xorbs/default/{name}", data=tampered, headers=auth, timeout=30)
    assert refused.status_code == 400 and "not to the hash in the URL" in refused.json()["error"]
    assert not Xorb.objects.filter(hash=name).exists() and get_store().head(xorb_key(name)) is None
    stored = requests.post(f"{cas}/v1/xorbs/default/{name}", data=body, headers=auth, timeout=30)
    assert stored.json() == {"was_inserted": True}
    unauthenticated = requests.post(f"{cas}/v1/xorbs/default/{name}", data=body, timeout=30)
    assert unauthenticated.status_code == 401

    missing = formats.parse_hash(os.urandom(32).hex())
    term = missing + struct.pack("<IIII", 0, 1000, 0, 1)
    shard = (
        formats.SHARD_MAGIC
        + struct.pack("<QQ", 2, 0)
        + os.urandom(32) + struct.pack("<IIQ", 0, 1, 0)
        + term
        + formats.BOOKEND + bytes(16)
        + formats.BOOKEND + bytes(16)
    )  # fmt: skip
    answer = requests.post(f"{cas}/v1/shards", data=shard, headers=auth, timeout=30)
    assert answer.status_code == 400 and "does not hold" in answer.json()["error"]
    with caplog.at_level(logging.INFO, logger="django.request"):
        assert requests.post(f"{cas}/v2/shards", data=shard, headers=auth, timeout=30).status_code == 501
    assert "v2/shards" not in caplog.text  # the routine fall-back is no server error in the logs
    assert XetFile.objects.count() == 0 and _head("northwind/xet-guarded") is None


def test_read_tokens_other_tenants_and_malformed_weights_are_refused(publisher, live_server, tmp_path):
    api = publisher
    api.create_repo("northwind/xet-private", private=True)
    weights = tmp_path / "model.safetensors"
    save_file({"w": np.random.default_rng(7).standard_normal(1 << 19).astype(np.float32)}, weights)
    api.upload_file(
        path_or_fileobj=str(weights), path_in_repo="model.safetensors", repo_id="northwind/xet-private"
    )
    sha256 = _sha256(weights)
    assert XetFile.objects.filter(sha256=sha256).exists()

    # A read token gets no Xet write token, so nothing is uploaded and nothing committed.
    _, read_raw = user_with_token("xetreader", scope="read", member_of="northwind", role="maintainer")
    reader = HfApi(endpoint=live_server.url, token=read_raw)
    denied = requests.get(
        f"{live_server.url}/api/models/northwind/xet-private/xet-write-token/main",
        headers={"Authorization": f"Bearer {read_raw}"},
        timeout=30,
    )
    assert denied.status_code == 403 and "write scope" in denied.json()["error"]
    before = Version.objects.count()
    with pytest.raises(Exception, match=r"write scope|403"):  # hf_xet raises its own error types
        reader.upload_file(
            path_or_fileobj=str(weights), path_in_repo="again.safetensors", repo_id="northwind/xet-private"
        )
    assert Version.objects.count() == before

    # Another tenant who only knows the sha256 cannot link the private file into their repository.
    _, outsider = user_with_token("xetoutsider", scope="write")
    other = HfApi(endpoint=live_server.url, token=outsider)
    other.create_repo("theirs")
    commit = "\n".join(
        json.dumps(line)
        for line in (
            {"key": "header", "value": {"summary": "steal"}},
            {
                "key": "lfsFile",
                "value": {
                    "path": "model.safetensors",
                    "algo": "sha256",
                    "oid": sha256,
                    "size": weights.stat().st_size,
                },
            },
        )
    )
    stolen = requests.post(
        f"{live_server.url}/api/models/xetoutsider/theirs/commit/main",
        data=commit,
        headers={"Authorization": f"Bearer {outsider}", "Content-Type": "application/x-ndjson"},
        timeout=30,
    )
    assert (
        stolen.status_code == 403 and "uploaded through Xet for another repository" in stolen.json()["error"]
    )
    assert _head("xetoutsider/theirs") is None

    # Pulls of the private repository: hf_xet is offered the CAS (the default) and a member's read
    # token gets the bytes through it; the outsider gets neither the file nor a Xet read token.
    resolve = f"{live_server.url}/northwind/xet-private/resolve/main/model.safetensors"
    offered = requests.head(resolve, headers={"Authorization": f"Bearer {read_raw}"}, timeout=30)
    assert offered.headers["X-Xet-Hash"] == XetFile.objects.get(sha256=sha256).file_id
    pulled = snapshot_download(
        "northwind/xet-private", endpoint=live_server.url, token=read_raw, cache_dir=tmp_path / "pull"
    )
    assert _sha256(Path(pulled) / "model.safetensors") == sha256
    with pytest.raises(RepositoryNotFoundError):
        snapshot_download(
            "northwind/xet-private", endpoint=live_server.url, token=outsider, cache_dir=tmp_path / "stranger"
        )
    hidden = requests.get(
        f"{live_server.url}/api/models/northwind/xet-private/xet-read-token/main",
        headers={"Authorization": f"Bearer {outsider}"},
        timeout=30,
    )
    assert hidden.status_code == 404 and "X-Xet-Access-Token" not in hidden.headers

    # Malformed safetensors sent through Xet meet the same check as any upload.
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(
        raw_safetensors(
            b'{"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 99]}}', os.urandom(2 << 20)
        )
    )
    head = _head("northwind/xet-private").commit_id
    with pytest.raises(HfHubHTTPError) as malformed:
        api.upload_file(
            path_or_fileobj=str(broken), path_in_repo="model.safetensors", repo_id="northwind/xet-private"
        )
    assert malformed.value.response.status_code == 422 and "model.safetensors" in str(malformed.value)
    assert XetFile.objects.filter(sha256=_sha256(broken)).exists()  # it did travel through Xet
    assert _head("northwind/xet-private").commit_id == head

    # Through the CAS a read token reads what a published version holds, not what was only sent.
    grant = requests.get(
        f"{live_server.url}/api/models/northwind/xet-private/xet-read-token/main",
        headers={"Authorization": f"Bearer {read_raw}"},
        timeout=30,
    ).json()
    for path, expected in ((weights, 200), (broken, 404)):
        file_id = XetFile.objects.get(sha256=_sha256(path)).file_id
        answer = requests.get(
            f"{grant['casUrl']}/v1/reconstructions/{file_id}",
            headers={"Authorization": f"Bearer {grant['accessToken']}"},
            timeout=30,
        )
        assert answer.status_code == expected, (path.name, answer.text)
