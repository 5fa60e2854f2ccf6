"""REST API v1: the caller's tokens (scopes, expiry, revocation), throttling, the OpenAPI schema and
its offline docs."""

from __future__ import annotations

import io
from contextlib import redirect_stderr
from datetime import timedelta

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from registry.models import ApiToken
from registry.services import tokens

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return get_user_model().objects.create_user("alice", password="correct horse battery")


def bearer(raw: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_signed_in_user_creates_uses_lists_and_revokes_tokens(alice):
    browser = Client()
    browser.force_login(alice)
    created = browser.post(
        "/api/v1/tokens",
        {"name": "ci", "scope": "write", "expires_in_days": 30},
        content_type="application/json",
    )
    assert created.status_code == 201
    body = created.json()
    assert body["token"].startswith("slm_") and body["scope"] == "write" and body["is_active"] is True
    stored = ApiToken.objects.get(pk=body["id"])
    assert stored.token_hash != body["token"] and body["token"].startswith(stored.prefix)  # only a hash kept
    assert abs(stored.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)

    listed = bearer(body["token"]).get("/api/v1/tokens").json()
    assert [t["name"] for t in listed] == ["ci"] and "token" not in listed[0]
    assert listed[0]["last_used_at"] is not None  # this very request used it

    assert bearer(body["token"]).delete(f"/api/v1/tokens/{body['id']}").status_code == 204
    dead = bearer(body["token"]).get("/api/v1/tokens")
    assert dead.status_code == 401 and dead.json()["error"]["code"] == "InvalidToken"
    assert browser.get("/api/v1/tokens").json()[0]["is_active"] is False


def test_scopes_and_ownership(alice):
    _, read = tokens.create_token(user=alice, scope="read")
    _, write = tokens.create_token(user=alice, scope="write")
    bob = get_user_model().objects.create_user("bob")
    bobs, _ = tokens.create_token(user=bob, scope="write")

    refused = bearer(read).post("/api/v1/tokens", {"scope": "write"}, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "Forbidden"
    assert ApiToken.objects.filter(user=alice).count() == 2  # nothing was created
    assert bearer(read).delete(f"/api/v1/tokens/{bobs.pk}").status_code == 403
    assert bearer(write).delete(f"/api/v1/tokens/{bobs.pk}").status_code == 404  # not alice's to see
    assert ApiToken.objects.get(pk=bobs.pk).revoked_at is None
    bad = bearer(write).post("/api/v1/tokens", {"scope": "admin"}, content_type="application/json")
    assert bad.status_code == 400 and "scope" in bad.json()["error"]["fields"]
    assert Client().get("/api/v1/tokens").status_code == 401


def test_expired_and_unknown_tokens_are_refused(alice):
    token, raw = tokens.create_token(user=alice, scope="read", expires_in_days=1)
    assert bearer(raw).get("/api/v1/models").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    for credential in (raw, "slm_unknown", "hf_from_huggingface_co"):
        response = bearer(credential).get("/api/v1/models")
        assert response.status_code == 401, credential
        assert response.json()["error"]["code"] == "InvalidToken"


def test_session_writes_need_the_csrf_token(alice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    response = browser.post("/api/v1/tokens", {"scope": "read"}, content_type="application/json")
    assert response.status_code == 403 and "CSRF" in response.json()["error"]["message"]
    assert not ApiToken.objects.exists()


def test_throttling_per_anonymous_client_and_per_user(alice, settings):
    settings.REGISTRY_API_THROTTLE_RATES = {"anon": "3/minute", "user": "5/minute"}
    cache.clear()
    try:
        anonymous = Client()
        assert [anonymous.get("/api/v1/models").status_code for _ in range(3)] == [200] * 3
        limited = anonymous.get("/api/v1/models")
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "Throttled"
        assert 0 < int(limited["Retry-After"]) <= 60
        _, raw = tokens.create_token(user=alice, scope="read")
        user = bearer(raw)
        assert [user.get("/api/v1/models").status_code for _ in range(6)] == [200] * 5 + [429]
        settings.REGISTRY_API_THROTTLE_RATES = {"anon": None, "user": None}
        assert anonymous.get("/api/v1/models").status_code == 200  # off means off
    finally:
        cache.clear()


def test_openapi_schema_validates_and_docs_are_served_offline(tmp_path):
    target = tmp_path / "schema.yaml"
    messages = io.StringIO()
    with redirect_stderr(messages):
        call_command("spectacular", "--validate", "--file", str(target))
    ours = [line for line in messages.getvalue().splitlines() if "registry/api/" in line]
    assert ours == []  # no warnings from this API's views (validation errors raise)
    schema = yaml.safe_load(target.read_text())
    assert schema["openapi"].startswith("3.")
    for path in (
        "/api/v1/models",
        "/api/v1/models/{namespace}/{name}",
        "/api/v1/models/{namespace}/{name}/revisions/{revision}/files",
        "/api/v1/models/{namespace}/{name}/access-request",
        "/api/v1/tokens",
    ):
        assert path in schema["paths"], path
    assert schema["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"
    listing = schema["paths"]["/api/v1/models"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"search", "industry", "ordering", "cursor", "tag"}

    docs = Client().get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert Client().get("/api/v1/schema/").status_code == 200
