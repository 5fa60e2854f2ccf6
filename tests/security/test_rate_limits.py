"""Request rates on the Hub-compatible API and the login forms: 429 with Retry-After beyond them."""

import pytest
from django.test import Client

from registry.models import ApiToken
from registry.services import tokens

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(settings):
    settings.REGISTRY_API_THROTTLE_RATES = {"anon": "3/minute", "user": "5/minute", "login": "2/minute"}


def test_hub_api_limits_anonymous_clients_per_ip(low_rates):
    client = Client()
    assert [client.get("/api/models").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/models")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "Too many requests: at most 3/minute" in refused.json()["error"]
    # Another address has its own allowance.
    assert Client(REMOTE_ADDR="10.0.0.9").get("/api/models").status_code == 200


def test_hub_api_limits_each_token_on_its_own(low_rates, django_user_model):
    user = django_user_model.objects.create_user("alice")
    _, raw = tokens.create_token(user=user, scope=ApiToken.Scope.READ)
    headers = {"Authorization": f"Bearer {raw}"}
    client = Client()
    statuses = [client.get("/api/whoami-v2", headers=headers).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    # The same address without the token is counted as anonymous, separately.
    assert client.get("/api/models").status_code == 200


def test_login_attempts_are_limited_per_ip(low_rates, django_user_model):
    django_user_model.objects.create_user("bob", password="right-password-123")
    client = Client()
    for _ in range(2):
        answer = client.post("/accounts/login/", {"username": "bob", "password": "wrong"})
        assert answer.status_code == 200  # the form again, with its error
    refused = client.post("/accounts/login/", {"username": "bob", "password": "right-password-123"})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert "Too many login attempts" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    # The admin's login form shares the allowance.
    assert client.post("/admin/login/", {"username": "bob", "password": "x"}).status_code == 429
    # Looking at the form is not an attempt.
    assert client.get("/accounts/login/").status_code == 200
    # Nor can one address create accounts without end.
    signup = {"username": "flood", "email": "flood@example.com", "password": "long-enough-pw-1"}
    assert client.post("/portal/signup", signup).status_code == 429
    assert not django_user_model.objects.filter(username="flood").exists()


def test_native_api_v1_is_limited_too(low_rates):
    client = Client()
    statuses = [client.get("/api/v1/models").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
