"""Management commands, run as a user runs them."""

import hashlib
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from registry.models import ApiToken, ModelRepository, Ref, Version
from registry.services.tokens import authenticate_token

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue()


def test_publish_model_with_options(model_folder, django_user_model):
    django_user_model.objects.create_user("pat")
    output = run(
        "publish_model",
        str(model_folder),
        "--repo",
        "acme/clinic",
        "--industry",
        "healthcare",
        "--private",
        "--gated",
        "manual",
        "--revision-tag",
        "v1.0",
        "--user",
        "pat",
        "--no-progress",
    )
    repository = ModelRepository.objects.get(name="clinic")
    version = Version.objects.published().get(repository=repository)
    assert f"Published acme/clinic@{version.commit_id}" in output
    assert repository.industry == "healthcare" and repository.is_private and repository.gating == "manual"
    assert Ref.objects.get(repository=repository, name="v1.0").kind == Ref.Kind.TAG
    assert repository.namespace.memberships.get(user__username="pat").role == "owner"
    assert version.author.username == "pat"


def test_publish_model_refusal_is_a_clear_command_error(model_folder):
    (model_folder / "model.pt").write_bytes(b"\x80\x04")
    with pytest.raises(CommandError, match=r"acme/bad: not published: model.pt: pickle-based weights"):
        run("publish_model", str(model_folder), "--repo", "acme/bad", "--no-progress")


def test_publish_model_progress_bars_go_to_stderr(model_folder, monkeypatch):
    monkeypatch.setattr("registry.management.progress.MIN_BAR_BYTES", 0)  # bars even for tiny files
    err = io.StringIO()
    call_command("publish_model", str(model_folder), "--repo", "acme/bars", stdout=io.StringIO(), stderr=err)
    assert "verify from storage" in err.getvalue() and "model.safetensors" in err.getvalue()


def test_publish_model_rejects_bad_repo_id(model_folder):
    with pytest.raises(CommandError, match="must be NAMESPACE/NAME"):
        run("publish_model", str(model_folder), "--repo", "no-namespace", "--no-progress")


def test_create_token_prints_it_once_and_stores_a_hash(django_user_model):
    user = django_user_model.objects.create_user("dev")
    raw = run("create_token", "dev", "--scope", "write", "--expires", "30").strip()
    token = ApiToken.objects.get(user=user)
    assert raw.startswith("slm_") and len(raw) > 40
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(ApiToken.objects.values_list())
    assert token.scope == "write" and token.expires_at is not None
    assert authenticate_token(raw) == token and authenticate_token(raw + "x") is None
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_create_token_unknown_user():
    with pytest.raises(CommandError, match="user 'ghost' does not exist"):
        run("create_token", "ghost")


def test_makemigrations_is_clean():
    run("makemigrations", "--check", "--dry-run")
