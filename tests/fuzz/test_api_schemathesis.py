"""Schemathesis against the native API's own OpenAPI schema (/api/v1/schema/): whatever it sends,
the answer is never a 5xx. Bounded: FUZZ_MAX_EXAMPLES cases per operation (default 10), so the
whole run stays well under two minutes; raise it locally to search harder."""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from config.wsgi import application
from registry.models import ApiToken
from registry.services import tokens
from tests.fixtures.models import write_model
from tests.integration.helpers import publish

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "10"))


@pytest.fixture
def keep_test_connection():
    """Called as a WSGI app (not through Django's test client), each request would end by closing
    the database connection, and with it the test's transaction: keep it open, as the client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(db, keep_test_connection, tmp_path, django_user_model):
    # Something to find: a public model with a published version, and a caller with a write token.
    publish(write_model(tmp_path / "model"), "acme/fuzz-model")
    user = django_user_model.objects.create_user("fuzzer")
    _, raw = tokens.create_token(user=user, scope=ApiToken.Scope.WRITE)
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
    schema.config.headers = {"Authorization": f"Bearer {raw}"}
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,  # the same cases on every run: CI failures reproduce
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_never_answers_5xx(case, settings):
    settings.REGISTRY_API_THROTTLE_RATES = {"anon": None, "user": None, "login": None}
    response = case.call()
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"
    )
