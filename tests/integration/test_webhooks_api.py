"""The webhooks REST API (/api/v1/publishers/<org>/webhooks): the portal's rules, over bearer tokens."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from registry.models import ApiToken
from registry.services import accounts, tokens
from registry.webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

HOOKS = "/api/v1/publishers/acme/webhooks"


def token_client(user, scope: str = ApiToken.Scope.WRITE) -> Client:
    _, raw = tokens.create_token(user=user, scope=scope)
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def owner():
    user = get_user_model().objects.create_user("olivia")
    accounts.create_organisation(slug="acme", display_name="Acme", owner=user)
    return user


def test_register_list_disable_replay_and_delete_an_endpoint(owner):
    api = token_client(owner)
    created = api.post(
        HOOKS,
        {"url": "http://127.0.0.1:9/hooks", "events": ["version.published"], "description": "CI"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    endpoint = WebhookEndpoint.objects.get(publisher__slug="acme")
    assert created.json()["secret"] == endpoint.secret and created.json()["events"] == ["version.published"]
    listed = api.get(HOOKS).json()
    assert [e["id"] for e in listed] == [endpoint.pk] and "secret" not in listed[0]  # shown once

    one = f"{HOOKS}/{endpoint.pk}"
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="version.published", body="{}")
    assert [d["id"] for d in api.get(f"{one}/deliveries").json()] == [delivery.pk]
    replayed = api.post(f"{one}/deliveries/{delivery.pk}/replay")
    assert replayed.status_code == 202 and replayed.json()["replay_of"] == delivery.pk
    assert str(WebhookDelivery.objects.get(pk=replayed.json()["id"]).event_id) == str(delivery.event_id)

    disabled = api.patch(one, {"is_active": False}, content_type="application/json")
    assert disabled.status_code == 200 and disabled.json()["disabled_reason"] == "disabled by hand"
    refused = api.post(f"{one}/deliveries/{delivery.pk}/replay")
    assert refused.status_code == 400 and "enable it before replaying" in refused.json()["error"]["message"]
    assert api.patch(one, {"is_active": True}, content_type="application/json").json()["is_active"]

    assert api.delete(one).status_code == 204
    assert api.get(one).status_code == 404 and not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"url": "ftp://example.com/x", "events": ["version.published"]}, "must use https://"),
        ({"url": "http://127.0.0.1:9/x", "events": ["version.deleted"]}, "version.deleted"),
        ({"url": "http://127.0.0.1:9/x", "events": []}, "events"),
        ({"events": ["version.published"]}, "url"),
    ],
)
def test_bad_input_is_refused_with_the_problem_named(owner, body, problem):
    answer = token_client(owner).post(HOOKS, body, content_type="application/json")
    assert answer.status_code == 400 and problem in answer.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_read_tokens_read_and_strangers_see_nothing(owner):
    reader = token_client(owner, ApiToken.Scope.READ)
    assert reader.get(HOOKS).status_code == 200
    refused = reader.post(HOOKS, {"url": "http://127.0.0.1:9/x", "events": ["version.published"]},
                          content_type="application/json")  # fmt: skip
    assert refused.status_code == 403 and "write token" in refused.json()["error"]["message"]
    stranger = get_user_model().objects.create_user("mallory")
    accounts.create_organisation(slug="mallory-org", display_name="M", owner=stranger)
    assert token_client(stranger).get(HOOKS).status_code == 404
    assert Client().get(HOOKS).status_code == 401
