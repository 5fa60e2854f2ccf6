"""Publishing with the official `huggingface_hub` client (and `hf upload`) against a live server.

Both client set-ups are exercised: Xet disabled (large files through the LFS batch API, basic and
multipart transfers to presigned S3 URLs) and the default install with `hf_xet` (small files travel
inline, large ones through the Xet CAS).
What is downloaded afterwards must be byte-identical to what was pushed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import requests
from huggingface_hub import HfApi, constants, snapshot_download
from huggingface_hub.errors import HfHubHTTPError
from safetensors.numpy import save_file

from registry.models import Blob, Ref, UploadSession, Version
from registry.storage import blob_key
from tests.fixtures.models import raw_safetensors, write_model

from .helpers import folder_digests, repository, user_with_token

pytestmark = pytest.mark.django_db(transaction=True)

PART = 5 << 20  # S3's minimum part size: several parts without big files


@pytest.fixture(scope="session")
def push_folders(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("push-models")
    small = write_model(root / "small", seed=11)
    large = write_model(root / "large", seed=12)
    rng = np.random.default_rng(12)
    # 12 MiB of weights: three 5 MiB parts; a 2 MiB shard: one presigned PUT (basic transfer).
    save_file({"w": rng.standard_normal(3 << 20).astype(np.float32)}, large / "model.safetensors")
    save_file({"b": rng.standard_normal(1 << 19).astype(np.float32)}, large / "extra.safetensors")
    return {"small": small, "large": large}


@pytest.fixture
def small_parts(settings):
    settings.REGISTRY_UPLOAD_PART_SIZE = PART
    settings.REGISTRY_INLINE_UPLOAD_THRESHOLD = 1 << 20
    return settings


@pytest.fixture
def no_xet(monkeypatch):
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)


@pytest.fixture
def publisher(live_server):
    user, raw = user_with_token("pat", scope="write", member_of="northwind", role="maintainer")
    return HfApi(endpoint=live_server.url, token=raw), user


def _pulled(folder: str) -> dict[str, str]:
    """Digests of a downloaded snapshot, less the registry's own signature (added at publication)."""
    digests = folder_digests(Path(folder))
    assert digests.pop("model.sig", None) is not None, "every published version carries model.sig"
    return digests


def _head(repo_id: str) -> Version:
    return Ref.objects.get(repository=repository(repo_id), name="main").version


def test_push_without_xet_goes_through_lfs_multipart_and_reads_back_identical(
    publisher, push_folders, small_parts, no_xet, tmp_path, live_server
):
    api, _ = publisher
    url = api.create_repo("northwind/pushed")
    assert str(url) == f"{live_server.url}/northwind/pushed"
    assert str(api.create_repo("northwind/pushed", exist_ok=True)) == str(url)  # 409 carries the url

    info = api.upload_folder(
        folder_path=push_folders["large"], repo_id="northwind/pushed", commit_message="v1"
    )

    head = _head("northwind/pushed")
    assert info.oid == head.commit_id and head.is_published
    assert info.commit_url == f"{live_server.url}/northwind/pushed/commit/{head.commit_id}"
    multipart = UploadSession.objects.get(status=UploadSession.Status.COMPLETED)
    assert multipart.part_count == 3 and multipart.storage_key == blob_key(multipart.sha256)
    assert all(b.verified_at is not None for b in Blob.objects.filter(files__version=head))
    folder = snapshot_download(
        "northwind/pushed", endpoint=live_server.url, cache_dir=tmp_path / "c", token=False
    )
    assert _pulled(folder) == folder_digests(push_folders["large"])

    # The same folder again: the client sees the same oids and commits nothing new.
    again = api.upload_folder(folder_path=push_folders["large"], repo_id="northwind/pushed")
    assert again.oid == head.commit_id
    assert Version.objects.published().filter(repository=head.repository).count() == 1

    api.create_tag("northwind/pushed", tag="v1")
    api.create_branch("northwind/pushed", branch="dev")
    api.delete_file("extra.safetensors", repo_id="northwind/pushed", commit_message="drop the extra shard")
    assert "extra.safetensors" not in api.list_repo_files("northwind/pushed")
    assert "extra.safetensors" in api.list_repo_files("northwind/pushed", revision="v1")
    assert "extra.safetensors" in api.list_repo_files("northwind/pushed", revision="dev")
    with pytest.raises(HfHubHTTPError) as missing:
        api.delete_file("nope.json", repo_id="northwind/pushed")
    assert "doesn't exist" in str(missing.value)


def test_default_install_pushes_small_files_inline_and_large_ones_through_xet(
    publisher, push_folders, small_parts, tmp_path, live_server
):
    api, _ = publisher
    api.create_repo("northwind/inline")
    assert constants.HF_HUB_DISABLE_XET is False  # the client as installed, hf_xet importable
    info = api.upload_folder(folder_path=push_folders["small"], repo_id="northwind/inline")

    assert UploadSession.objects.count() == 0  # everything travelled inline in the commit
    assert info.oid == _head("northwind/inline").commit_id
    folder = snapshot_download(
        "northwind/inline", endpoint=live_server.url, cache_dir=tmp_path / "c", token=False
    )
    assert _pulled(folder) == folder_digests(push_folders["small"])

    # 12 MiB is above the inline threshold: the client goes to Xet (see test_xet.py), no setting needed.
    pushed = api.upload_folder(folder_path=push_folders["large"], repo_id="northwind/inline")
    assert pushed.oid == _head("northwind/inline").commit_id != info.oid
    assert UploadSession.objects.count() == 0  # not through the LFS batch API
    head = _head("northwind/inline")
    assert {f.path: f.sha256 for f in head.files.exclude(path="model.sig")} == folder_digests(
        push_folders["large"]
    )


def test_hf_upload_command_line(publisher, push_folders, small_parts, tmp_path, live_server):
    _, user = publisher
    from registry.services import tokens

    _, raw = tokens.create_token(user=user, scope="write")
    env = {
        **os.environ,
        "HF_ENDPOINT": live_server.url,
        "HF_TOKEN": raw,
        "HF_HUB_DISABLE_XET": "1",
        "HF_HOME": str(tmp_path / "hf-home"),
    }
    hf = str(Path(sys.executable).parent / "hf")
    done = subprocess.run(
        [
            hf,
            "upload",
            "northwind/cli-model",
            str(push_folders["large"]),
            ".",
            "--commit-message",
            "from the CLI",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    head = _head("northwind/cli-model")
    assert head.commit_id in done.stdout + done.stderr or head.message.startswith("from the CLI")
    assert {f.path: f.sha256 for f in head.files.exclude(path="model.sig")} == folder_digests(
        push_folders["large"]
    )


def test_pickle_and_malformed_safetensors_are_refused_with_our_message(publisher, push_folders, tmp_path):
    api, _ = publisher
    api.create_repo("northwind/guarded")
    api.upload_folder(folder_path=push_folders["small"], repo_id="northwind/guarded")
    head = _head("northwind/guarded").commit_id

    with pytest.raises(HfHubHTTPError) as pickle_refused:
        api.upload_file(
            path_or_fileobj=b"\x80\x04K\x01.", path_in_repo="pytorch_model.bin", repo_id="northwind/guarded"
        )
    assert pickle_refused.value.response.status_code == 422
    assert "pickle" in str(pickle_refused.value).lower()

    broken = raw_safetensors(b'{"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 99]}}', b"\0" * 16)
    with pytest.raises(HfHubHTTPError) as malformed:
        api.upload_file(path_or_fileobj=broken, path_in_repo="model.safetensors", repo_id="northwind/guarded")
    assert malformed.value.response.status_code == 422
    assert "model.safetensors" in str(malformed.value)
    assert _head("northwind/guarded").commit_id == head  # refused commits change nothing

    # The client refuses "../" itself; a hand-made request must meet the same refusal here.
    for bad in ("../escape.json", "a/../../b.json", "/etc/passwd.json", "bad\u0007name.json", "run.sh"):
        answer = requests.post(
            f"{api.endpoint}/api/models/northwind/guarded/preupload/main",
            json={"files": [{"path": bad, "size": 2, "sample": ""}]},
            headers={"Authorization": f"Bearer {api.token}"},
            timeout=30,
        )
        assert answer.status_code in (400, 422), bad
        assert answer.headers["X-Error-Message"] and bad[:3] in answer.json()["error"]


def test_pushes_need_a_write_token_of_a_maintainer(live_server, push_folders):
    anonymous = HfApi(endpoint=live_server.url, token=False)
    with pytest.raises(HfHubHTTPError) as no_token:
        anonymous.create_repo("northwind/anon")
    assert no_token.value.response.status_code == 401
    assert "write token" in str(no_token.value)

    _, read_raw = user_with_token("reader", scope="read", member_of="northwind", role="owner")
    with pytest.raises(HfHubHTTPError) as read_only:
        HfApi(endpoint=live_server.url, token=read_raw).create_repo("northwind/readonly")
    assert read_only.value.response.status_code == 403
    assert "write scope" in str(read_only.value)

    _, outsider = user_with_token("outsider", scope="write")
    with pytest.raises(HfHubHTTPError) as foreign:
        HfApi(endpoint=live_server.url, token=outsider).create_repo("northwind/not-mine")
    assert foreign.value.response.status_code == 403

    # Without an organisation the repository goes to the user's own namespace.
    url = HfApi(endpoint=live_server.url, token=outsider).create_repo("mine", private=True)
    assert str(url).endswith("/outsider/mine") and repository("outsider/mine").is_private


def test_a_user_named_like_a_site_path_publishes_under_an_organisation(live_server, push_folders):
    """`make run`'s local admin is named admin: /admin/... is the admin site, so a repository
    admin/NAME could never be downloaded (resolve would answer the admin's log-in redirect)."""
    _, raw = user_with_token("admin", scope="write", member_of="northwind", role="owner")
    api = HfApi(endpoint=live_server.url, token=raw)
    with pytest.raises(HfHubHTTPError) as refused:
        api.create_repo("mine")
    assert refused.value.response.status_code == 400
    assert "user name 'admin' is reserved" in str(refused.value) and "organisation" in str(refused.value)
    api.create_repo("northwind/admins-model")
    api.upload_folder(folder_path=str(push_folders["small"]), repo_id="northwind/admins-model")
    assert _head("northwind/admins-model").is_published
