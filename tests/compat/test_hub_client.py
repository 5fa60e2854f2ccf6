"""The official `huggingface_hub` client (and its `hf` command) against a live server.

Models are published with `publish_model`, then read back only through the client: metadata,
listings, trees, refs, downloads by branch, tag and commit, resume, safetensors metadata, and
the precise error for each failure. Bytes received must be the published bytes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import requests
from huggingface_hub import (
    HfApi,
    hf_hub_download,
    snapshot_download,
)
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import paginate
from safetensors.numpy import save_file

from registry.hashing import git_blob_sha1
from registry.models import AccessGrant, ApiToken, AuditEvent, VersionFile
from registry.services import access, tokens
from tests.fixtures.models import write_model

from .helpers import (
    InterruptingProxy,
    folder_digests,
    public_endpoint,
    publish_command,
    repository,
    sha256_of,
    user_with_token,
)

pytestmark = pytest.mark.django_db(transaction=True)

FINANCE_CARD = """---
license: mit
tags:
- finance
- forecasting
pipeline_tag: text-classification
---
# Ledger model
"""


@pytest.fixture(scope="session")
def folders(tmp_path_factory) -> dict[str, Path]:
    """Tiny model folders, built once per session."""
    root = tmp_path_factory.mktemp("hub-models")
    built = {
        "v1": write_model(root / "v1", seed=1),
        "v2": write_model(root / "v2", seed=2),
        "sharded": write_model(root / "sharded", seed=3, shards=3),
        "finance": write_model(root / "finance", seed=4, card=FINANCE_CARD),
    }
    big = write_model(root / "big", seed=5)
    rng = np.random.default_rng(5)
    save_file({"w": rng.standard_normal(6 << 20).astype(np.float32)}, big / "model.safetensors")  # 24 MiB
    built["big"] = big
    nested = write_model(root / "nested", seed=6)
    (nested / "tokenizer").mkdir()
    (nested / "tokenizer" / "vocab.txt").write_text("a\nb\nc\n")
    (nested / "tokenizer" / "deep").mkdir()
    (nested / "tokenizer" / "deep" / "merges.txt").write_text("a b\n")
    built["nested"] = nested
    return built


@pytest.fixture
def api(live_server) -> HfApi:
    return HfApi(endpoint=live_server.url, token=False)


@pytest.fixture
def cache(tmp_path) -> Path:
    return tmp_path / "hf-cache"


def test_model_info_matches_what_was_published(api, folders):
    version = publish_command(folders["v1"], "northwind/tiny", "--industry", "retail", "--revision-tag", "v1")

    info = api.model_info("northwind/tiny", files_metadata=True)
    assert info.id == "northwind/tiny"
    assert info.sha == version.commit_id
    assert info.last_modified is not None and info.last_modified.utcoffset().total_seconds() == 0
    assert info.private is False and info.gated is False
    assert info.card_data.license == "apache-2.0"
    assert info.pipeline_tag == "text-generation"
    assert {"retail", "license:apache-2.0", "industry:retail"} <= set(info.tags)
    assert info.safetensors.total == version.parameter_count == 4 * 16 * 16 + 32 * 16
    assert info.safetensors.parameters == {"F32": 1024, "F16": 512}
    siblings = {s.rfilename: s for s in info.siblings}
    published = {f.path: f for f in VersionFile.objects.filter(version=version)}
    assert siblings.keys() == published.keys()
    weights = siblings["model.safetensors"]
    assert weights.lfs.sha256 == sha256_of(folders["v1"] / "model.safetensors")
    assert weights.size == weights.lfs.size == (folders["v1"] / "model.safetensors").stat().st_size
    assert siblings["config.json"].lfs is None
    assert siblings["config.json"].blob_id == git_blob_sha1((folders["v1"] / "config.json").read_bytes())
    assert api.model_info("northwind/tiny", revision="v1").sha == version.commit_id
    assert api.model_info("northwind/tiny", revision=version.commit_id).sha == version.commit_id
    expanded = api.model_info("northwind/tiny", expand=["config", "downloads"])
    assert expanded.config == {"model_type": "llama", "hidden_size": 16}
    assert (expanded.downloads, expanded.sha, expanded.siblings) == (0, None, None)  # only what was asked


def test_list_models_filters_sorts_and_follows_link_pages(api, folders, live_server):
    publish_command(folders["v1"], "northwind/retail-llama-mini", "--industry", "retail")
    publish_command(folders["v2"], "northwind/retail-qwen-mini", "--industry", "retail")
    publish_command(folders["finance"], "ledgerline/ledger-classifier", "--industry", "finance")
    publish_command(folders["sharded"], "ledgerline/internal", "--private")
    repo = repository("northwind/retail-qwen-mini")
    repo.downloads = 7
    repo.save(update_fields=["downloads"])

    def ids(**kwargs) -> list[str]:
        return [m.id for m in api.list_models(**kwargs)]

    # Most downloaded first; ties newest first.
    assert ids() == [
        "northwind/retail-qwen-mini",
        "ledgerline/ledger-classifier",
        "northwind/retail-llama-mini",
    ]
    assert "ledgerline/internal" not in ids()  # private: invisible to anonymous callers
    assert ids(search="llama") == ["northwind/retail-llama-mini"]
    assert ids(search="northwind/qwen") == ["northwind/retail-qwen-mini"]
    assert ids(author="ledgerline") == ["ledgerline/ledger-classifier"]
    assert ids(filter="license:mit") == ["ledgerline/ledger-classifier"]
    assert ids(filter=["retail", "license:apache-2.0"], sort="downloads") == [
        "northwind/retail-qwen-mini",
        "northwind/retail-llama-mini",
    ]
    assert ids(pipeline_tag="text-classification") == ["ledgerline/ledger-classifier"]
    assert ids(sort="created_at") == [
        "ledgerline/ledger-classifier",
        "northwind/retail-qwen-mini",
        "northwind/retail-llama-mini",
    ]
    assert ids(limit=1) == ["northwind/retail-qwen-mini"]
    with_cards = list(api.list_models(author="ledgerline", cardData=True, full=True))
    assert with_cards[0].card_data.license == "mit"
    assert {s.rfilename for s in with_cards[0].siblings} >= {"config.json", "model.safetensors"}

    # The client's own paginator follows absolute Link headers to the end.
    pages = list(paginate(f"{live_server.url}/api/models", params={"limit": 1, "sort": "id"}, headers={}))
    assert [p["id"] for p in pages] == [
        "ledgerline/ledger-classifier",
        "northwind/retail-llama-mini",
        "northwind/retail-qwen-mini",
    ]


def test_files_tree_refs_commits_and_paths_info(api, folders):
    first = publish_command(folders["v1"], "acme/nested", "--revision-tag", "v1")
    second = publish_command(
        folders["nested"], "acme/nested", "--message", "Add tokenizer folder\n\nDetails."
    )

    assert api.list_repo_files("acme/nested", revision="v1") == [f.path for f in first.files.order_by("path")]
    files = api.list_repo_files("acme/nested")
    assert {"tokenizer/vocab.txt", "tokenizer/deep/merges.txt", "config.json"} <= set(files)

    top = {e.path: type(e).__name__ for e in api.list_repo_tree("acme/nested")}
    assert top["tokenizer"] == "RepoFolder" and top["config.json"] == "RepoFile"
    assert "tokenizer/vocab.txt" not in top
    inside = [e.path for e in api.list_repo_tree("acme/nested", path_in_repo="tokenizer", recursive=True)]
    assert inside == ["tokenizer/deep", "tokenizer/deep/merges.txt", "tokenizer/vocab.txt"]
    expanded = {e.path: e for e in api.list_repo_tree("acme/nested", expand=True)}
    assert expanded["tokenizer"].last_commit.oid == second.commit_id
    assert expanded["model.safetensors"].security.status == "safe"
    with pytest.raises(EntryNotFoundError):
        list(api.list_repo_tree("acme/nested", path_in_repo="no-such-folder"))

    refs = api.list_repo_refs("acme/nested")
    assert [(b.name, b.target_commit) for b in refs.branches] == [("main", second.commit_id)]
    assert [(t.name, t.target_commit) for t in refs.tags] == [("v1", first.commit_id)]
    commits = api.list_repo_commits("acme/nested")
    assert [c.commit_id for c in commits] == [second.commit_id, first.commit_id]
    assert commits[0].title == "Add tokenizer folder"

    info = api.get_paths_info("acme/nested", ["config.json", "tokenizer", "missing.txt"], revision="v1")
    assert [e.path for e in info] == ["config.json"]  # v1 had no tokenizer folder; missing is skipped
    info = api.get_paths_info("acme/nested", ["config.json", "tokenizer"])
    assert [type(e).__name__ for e in info] == ["RepoFile", "RepoFolder"]


def test_downloads_by_branch_tag_and_commit_are_the_published_bytes(live_server, folders, cache):
    first = publish_command(folders["v1"], "acme/pull", "--revision-tag", "v1")
    second = publish_command(folders["v2"], "acme/pull")
    endpoint = live_server.url

    for revision, folder in [("main", "v2"), ("v1", "v1"), (first.commit_id, "v1"), (second.commit_id, "v2")]:
        path = hf_hub_download(
            "acme/pull",
            "model.safetensors",
            revision=revision,
            endpoint=endpoint,
            cache_dir=cache,
            token=False,
        )
        assert sha256_of(Path(path)) == sha256_of(folders[folder] / "model.safetensors"), revision

    for revision, version in [("main", second), ("v1", first), (first.commit_id, first)]:
        snapshot = Path(
            snapshot_download("acme/pull", revision=revision, endpoint=endpoint, cache_dir=cache, token=False)
        )
        assert snapshot.name == version.commit_id
        published = {f.path: f.sha256 for f in version.files.all()}
        assert folder_digests(snapshot) == published


def test_resume_after_an_interrupted_download(live_server, folders, cache, s3_server):
    """The connection to storage drops mid-file: the client resumes with a Range request and the
    file it keeps is byte-identical to the published one."""
    proxy = InterruptingProxy(
        upstream=("127.0.0.1", int(s3_server.endpoint.rsplit(":", 1)[1])), cut_after=15 << 20
    )
    try:
        publish_command(folders["big"], "acme/big")
        with public_endpoint(proxy.url):
            path = hf_hub_download(
                "acme/big", "model.safetensors", endpoint=live_server.url, cache_dir=cache, token=False
            )
    finally:
        proxy.close()
    assert sha256_of(Path(path)) == sha256_of(folders["big"] / "model.safetensors")
    gets = [r for r in proxy.requests if r["method"] == "GET"]
    assert len(gets) == 2
    assert "range" not in gets[0]
    assert gets[1]["range"] == f"bytes={10 << 20}-"  # whole 10 MiB chunks were kept, the rest resumed


def test_safetensors_metadata_single_and_sharded(live_server, folders):
    publish_command(folders["v1"], "acme/single")
    publish_command(folders["sharded"], "acme/sharded")

    api = HfApi(endpoint=live_server.url, token=False)
    single = api.get_safetensors_metadata("acme/single")
    assert not single.sharded
    assert single.parameter_count == {"F32": 1024, "F16": 512}
    sharded = api.get_safetensors_metadata("acme/sharded")
    assert sharded.sharded
    assert set(sharded.files_metadata) == {f"model-0000{i}-of-00003.safetensors" for i in (1, 2, 3)}
    assert sum(sharded.parameter_count.values()) == 1536
    assert sharded.weight_map["embed.weight"] in sharded.files_metadata


def test_each_failure_raises_the_precise_client_error(api, folders, live_server, cache):
    publish_command(folders["v1"], "acme/public")
    endpoint = live_server.url

    with pytest.raises(RepositoryNotFoundError):
        api.model_info("acme/missing")
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("acme/missing", "config.json", endpoint=endpoint, cache_dir=cache, token=False)
    with pytest.raises(RevisionNotFoundError):
        api.model_info("acme/public", revision="no-such-branch")
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download(
            "acme/public", "config.json", revision="v9", endpoint=endpoint, cache_dir=cache, token=False
        )
    with pytest.raises(EntryNotFoundError):
        hf_hub_download("acme/public", "missing.json", endpoint=endpoint, cache_dir=cache, token=False)
    assert api.file_exists("acme/public", "config.json") is True
    assert api.file_exists("acme/public", "missing.json") is False


def test_private_repository_is_invisible_without_a_member_token(folders, live_server, cache):
    user_with_token("owner", scope="write")
    publish_command(folders["v1"], "secretco/internal", "--private", "--user", "owner")
    _, member_token = user_with_token("member", member_of="secretco")
    _, writer_token = user_with_token("writer", scope="write", member_of="secretco", role="maintainer")
    _, outsider_token = user_with_token("outsider")
    endpoint = live_server.url

    for token in (False, outsider_token):
        with pytest.raises(RepositoryNotFoundError):
            HfApi(endpoint=endpoint, token=token).model_info("secretco/internal")
        with pytest.raises(RepositoryNotFoundError):
            HfApi(endpoint=endpoint, token=token).auth_check("secretco/internal")
        with pytest.raises(RepositoryNotFoundError):
            hf_hub_download(
                "secretco/internal", "config.json", endpoint=endpoint, cache_dir=cache, token=token
            )
        assert "secretco/internal" not in [m.id for m in HfApi(endpoint=endpoint, token=token).list_models()]

    member = HfApi(endpoint=endpoint, token=member_token)
    assert member.model_info("secretco/internal").private is True
    member.auth_check("secretco/internal")  # may read: no error
    with pytest.raises(HfHubHTTPError, match="has the read scope") as refused:
        member.auth_check("secretco/internal", write=True)
    assert refused.value.response.status_code == 403
    HfApi(endpoint=endpoint, token=writer_token).auth_check("secretco/internal", write=True)
    assert "secretco/internal" in [m.id for m in member.list_models()]
    path = hf_hub_download(
        "secretco/internal", "model.safetensors", endpoint=endpoint, cache_dir=cache, token=member_token
    )
    assert sha256_of(Path(path)) == sha256_of(folders["v1"] / "model.safetensors")


def test_gated_repository_downloads_after_the_terms_are_accepted(folders, live_server, cache):
    publish_command(folders["v1"], "meridian/auto-gated", "--gated", "auto")
    publish_command(folders["v2"], "meridian/manual-gated", "--gated", "manual")
    user, token = user_with_token("buyer")
    endpoint = live_server.url
    client = HfApi(endpoint=endpoint, token=token)

    assert client.model_info("meridian/auto-gated").gated == "auto"  # metadata stays readable
    for repo_id in ("meridian/auto-gated", "meridian/manual-gated"):
        with pytest.raises(GatedRepoError):
            client.auth_check(repo_id)
        with pytest.raises(GatedRepoError):
            hf_hub_download(repo_id, "config.json", endpoint=endpoint, cache_dir=cache, token=token)
        with pytest.raises(GatedRepoError):
            hf_hub_download(repo_id, "config.json", endpoint=endpoint, cache_dir=cache, token=False)

    def accept(repo_id: str) -> dict:
        answer = requests.post(
            f"{endpoint}/api/v1/models/{repo_id}/access-request",
            json={"accept_terms": True, "answers": {"use": "evaluation"}},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    assert accept("meridian/auto-gated")["has_access"] is True
    client.auth_check("meridian/auto-gated")  # granted: no error
    path = hf_hub_download(
        "meridian/auto-gated", "config.json", endpoint=endpoint, cache_dir=cache, token=token
    )
    assert Path(path).read_bytes() == (folders["v1"] / "config.json").read_bytes()

    assert accept("meridian/manual-gated")["status"] == AccessGrant.Status.PENDING
    with pytest.raises(GatedRepoError):
        hf_hub_download(
            "meridian/manual-gated", "config.json", endpoint=endpoint, cache_dir=cache, token=token
        )
    grant = AccessGrant.objects.get(repository=repository("meridian/manual-gated"), user=user)
    access.decide_access(grant=grant, approve=True, actor=_superuser())
    path = hf_hub_download(
        "meridian/manual-gated", "config.json", endpoint=endpoint, cache_dir=cache, token=token
    )
    assert Path(path).read_bytes() == (folders["v2"] / "config.json").read_bytes()


def test_model_tags_by_type_are_filters_list_models_accepts(api, folders):
    publish_command(folders["finance"], "ledger/forecaster")
    publish_command(folders["v1"], "acme/plain")
    tags = api.get_model_tags()
    assert {"id": "forecasting", "label": "forecasting", "type": "other"} in tags["other"]
    assert {"id": "license:mit", "label": "mit", "type": "license"} in tags["license"]
    classification = {"id": "text-classification", "label": "Text classification", "type": "pipeline_tag"}
    assert classification in tags["pipeline_tag"]
    for tag in ("forecasting", "license:mit", "text-classification"):
        assert [m.id for m in api.list_models(filter=tag)] == ["ledger/forecaster"], tag


def test_publishers_change_visibility_and_gating_with_the_client(folders, live_server, tmp_path):
    publish_command(folders["v1"], "setco/switch")
    _, owner_token = user_with_token("setter", scope="write", member_of="setco", role="owner")
    _, reader_token = user_with_token("looker", scope="write", member_of="setco", role="reader")
    owner = HfApi(endpoint=live_server.url, token=owner_token)
    anonymous = HfApi(endpoint=live_server.url, token=False)

    owner.update_repo_settings("setco/switch", private=True)
    with pytest.raises(RepositoryNotFoundError):
        anonymous.model_info("setco/switch")
    owner.update_repo_settings("setco/switch", visibility="public", gated="manual")
    assert anonymous.model_info("setco/switch").gated == "manual"
    with pytest.raises(GatedRepoError):
        anonymous.auth_check("setco/switch")
    owner.update_repo_settings("setco/switch", gated=False)
    anonymous.auth_check("setco/switch")
    changes = [e.data for e in AuditEvent.objects.filter(action="repository.updated").order_by("pk")]
    assert [{k: v for k, v in c.items() if k in ("visibility", "gating")} for c in changes] == [
        {"visibility": "private"},
        {"visibility": "public", "gating": "manual"},
        {"gating": "none"},
    ]

    with pytest.raises(HfHubHTTPError, match="owner or maintainer role") as refused:
        HfApi(endpoint=live_server.url, token=reader_token).update_repo_settings("setco/switch", private=True)
    assert refused.value.response.status_code == 403
    unlicensed = write_model(tmp_path / "unlicensed", seed=9, card="---\ntags: [internal]\n---\n# Internal\n")
    publish_command(unlicensed, "setco/internal", "--private")
    with pytest.raises(HfHubHTTPError, match=r"cannot be made public: .*license") as refused:
        owner.update_repo_settings("setco/internal", private=False)
    assert refused.value.response.status_code == 422
    assert repository("setco/internal").is_private  # nothing changed


def test_members_list_their_repositories_with_storage(folders, live_server):
    publish_command(folders["v1"], "storeco/one")
    publish_command(folders["v2"], "storeco/two", "--private")
    publish_command(folders["v1"], "storeco/same-bytes")  # every blob shared with storeco/one
    _, member_token = user_with_token("counter", member_of="storeco")
    _, outsider_token = user_with_token("stranger")
    member = HfApi(endpoint=live_server.url, token=member_token)

    listed = {r.id: r for r in member.list_user_repos(namespace="storeco")}
    assert set(listed) == {"storeco/one", "storeco/two", "storeco/same-bytes"}  # private ones too
    one_bytes = sum(f.stat().st_size for f in folders["v1"].iterdir()) + signature_size("storeco/one")
    assert listed["storeco/one"].storage == one_bytes and listed["storeco/two"].visibility == "private"
    distinct = sum(
        {
            f.blob_id: f.blob.size
            for f in VersionFile.objects.filter(
                version__repository__namespace__slug="storeco"
            ).select_related("blob")
        }.values()
    )
    assert listed["storeco/one"].storage_percent == round(100 * one_bytes / distinct, 2)
    assert list(member.list_user_repos()) == []  # no personal namespace: repositories live in orgs
    with pytest.raises(HfHubHTTPError, match="not a member of storeco") as refused:
        list(HfApi(endpoint=live_server.url, token=outsider_token).list_user_repos(namespace="storeco"))
    assert refused.value.response.status_code == 403


def signature_size(repo_id: str) -> int:
    return VersionFile.objects.get(version__repository=repository(repo_id), path="model.sig").size


def test_what_is_not_served_says_so(api, folders):
    publish_command(folders["v1"], "acme/served")
    calls = {
        "list_datasets": lambda: list(api.list_datasets(limit=1)),
        "dataset_info": lambda: api.dataset_info("acme/served"),
        "list_spaces": lambda: list(api.list_spaces(limit=1)),
        "get_repo_discussions": lambda: list(api.get_repo_discussions("acme/served")),
        "list_repo_likers": lambda: list(api.list_repo_likers("acme/served")),
    }
    for name, call in calls.items():
        with pytest.raises(HfHubHTTPError, match="It hosts models only") as raised:
            call()
        assert raised.value.response.status_code == 404, name
        assert raised.value.response.headers["Content-Type"].startswith("application/json"), name


def _superuser():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("admin", "admin@example.com", "x" * 12)


def test_tokens_whoami_and_unknown_tokens(folders, live_server, cache):
    publish_command(folders["v1"], "acme/public")
    user, raw = user_with_token("alice", scope="write", member_of="acme", role="maintainer")
    endpoint = live_server.url

    me = HfApi(endpoint=endpoint, token=raw).whoami()
    assert me["name"] == "alice"
    assert me["orgs"][0]["name"] == "acme"
    assert me["auth"]["accessToken"]["role"] == "write"
    assert ApiToken.objects.get(user=user).last_used_at is not None

    # A huggingface.co token sent by habit: public models still download, anonymously.
    foreign = "hf_" + "x" * 34
    path = hf_hub_download("acme/public", "config.json", endpoint=endpoint, cache_dir=cache, token=foreign)
    assert Path(path).exists()
    with pytest.raises(HfHubHTTPError) as raised:
        HfApi(endpoint=endpoint, token=foreign).whoami()
    assert raised.value.response.status_code == 401

    # A token of ours that is revoked, expired or made up is refused with 401, not ignored.
    tokens.revoke_token(token=ApiToken.objects.get(user=user), actor=user)
    _, expired = tokens.create_token(user=user, scope="read")
    ApiToken.objects.filter(prefix=expired[:10]).update(expires_at="2000-01-01T00:00:00Z")
    for dead in (raw, expired, "slm_" + "y" * 43):
        with pytest.raises(HfHubHTTPError) as raised:
            HfApi(endpoint=endpoint, token=dead).model_info("acme/public")
        assert raised.value.response.status_code == 401
        assert (
            raised.value.response.headers["X-Error-Message"] == "Invalid credentials in Authorization header"
        )


def test_download_counters_per_file_version_and_repository(folders, live_server, cache):
    version = publish_command(folders["v1"], "acme/counted")
    endpoint = live_server.url

    snapshot_download("acme/counted", endpoint=endpoint, cache_dir=cache, token=False)
    hf_hub_download(
        "acme/counted", "model.safetensors", endpoint=endpoint, cache_dir=cache / "2", token=False
    )
    requests.get(f"{endpoint}/acme/counted/resolve/main/config.json", timeout=10)  # a plain HTTP client
    requests.get(  # a ranged read (a header probe) is not a download
        f"{endpoint}/acme/counted/resolve/main/config.json", headers={"Range": "bytes=0-3"}, timeout=10
    )

    files = {f.path: f.downloads for f in VersionFile.objects.filter(version=version)}
    assert files["model.safetensors"] == 2
    assert files["config.json"] == 2
    assert files["README.md"] == 1
    version.refresh_from_db()
    assert version.downloads == 2  # one per pull: counted on config.json
    assert repository("acme/counted").downloads == 2
    assert HfApi(endpoint=endpoint, token=False).model_info("acme/counted").downloads == 2


def test_hf_download_command_line(folders, live_server, tmp_path):
    publish_command(folders["v1"], "acme/cli", "--revision-tag", "v1")
    publish_command(folders["v2"], "acme/cli")
    env = {
        **os.environ,
        "HF_ENDPOINT": live_server.url,
        "HF_HOME": str(tmp_path / "hf-home"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    }
    env.pop("HF_TOKEN", None)
    hf = str(Path(sys.executable).with_name("hf"))

    def download(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [hf, "download", "acme/cli", *args], env=env, capture_output=True, text=True, timeout=120
        )

    done = download(
        "model.safetensors", "config.json", "--revision", "v1", "--local-dir", str(tmp_path / "out")
    )
    assert done.returncode == 0, done.stderr
    for name in ("model.safetensors", "config.json"):
        assert sha256_of(tmp_path / "out" / name) == sha256_of(folders["v1"] / name)
    latest = download("model.safetensors")
    assert latest.returncode == 0, latest.stderr
    saved = Path(latest.stdout.strip().splitlines()[-1].split("path:")[-1].strip())  # "  path: <file>"
    assert sha256_of(saved) == sha256_of(folders["v2"] / "model.safetensors")
    missing = download("nope.json")
    assert missing.returncode != 0
    assert "nope.json" in missing.stderr


def test_evaluation_results_reach_card_data_and_the_api(api, folders, live_server):
    """Results stored by the evaluators app appear as `model-index` in cardData, where the client
    reads them (`card_data.eval_results`), and in the REST API."""
    from evaluators.models import EvaluationRun, Metric

    version = publish_command(folders["v1"], "acme/evaluated")
    run = EvaluationRun.objects.create(
        version=version,
        evaluator="domain-benchmark",
        evaluator_version="1",
        status=EvaluationRun.Status.PASSED,
        is_current=True,
        suite="retail",
    )
    Metric.objects.create(run=run, key="mc_accuracy", value=0.7123)

    results = api.model_info("acme/evaluated").card_data.eval_results
    assert [(r.task_type, r.metric_type, r.metric_value) for r in results] == [
        ("text-generation", "accuracy", 0.7123)
    ]
    assert results[0].dataset_type == "slm-registry/retail"
    answer = requests.get(
        f"{live_server.url}/api/v1/models/acme/evaluated/revisions/main/evaluations", timeout=10
    )
    assert answer.json()["results"][0]["metrics"][0]["value"] == 0.7123
