"""PostgreSQL unreachable: every kind of request answers 503 with Retry-After (JSON for API
clients, a small page for browsers), never a 500 page; liveness stays green, readiness turns red,
and the next request after the database is back is served."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connections
from django.test import Client, RequestFactory

from config.unavailable import server_error
from registry.storage.seaweed import free_ports

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def database_down(django_db_setup, django_db_blocker):
    """The test database's address swapped for a port where nothing listens: real refusals."""
    connection = connections["default"]
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    with django_db_blocker.unblock():
        port = connection.settings_dict["PORT"]
        connection.close()
        connection.settings_dict["PORT"] = str(free_ports(1)[0])

        def restore() -> None:
            connection.close()
            connection.settings_dict["PORT"] = port

        try:
            yield restore
        finally:
            restore()


@pytest.mark.parametrize(
    "path",
    ["/", "/acme", "/acme/tiny", "/api/v1/models", "/api/models", "/acme/tiny/resolve/main/config.json"],
)
def test_api_clients_get_json_503_with_retry_after(database_down, path):
    answer = Client(raise_request_exception=False).get(path, HTTP_ACCEPT="application/json")
    assert answer.status_code == 503, answer.content[:300]
    assert answer["Retry-After"] == "30"
    assert answer.json()["code"] == "ServiceUnavailable"
    assert "cannot reach its database" in answer.json()["error"]


@pytest.mark.parametrize("path", ["/", "/acme/tiny", "/accounts/login/", "/portal/"])
def test_browsers_get_a_503_page_not_a_500(database_down, path):
    browser = Client(raise_request_exception=False)
    browser.cookies["sessionid"] = "a" * 32  # a logged-in visitor: the session lookup fails too
    answer = browser.get(path, HTTP_ACCEPT="text/html,application/xhtml+xml")
    assert answer.status_code == 503, answer.content[:300]
    assert answer["Content-Type"].startswith("text/html") and answer["Retry-After"] == "30"
    assert b"Temporarily unavailable" in answer.content and b"its database" in answer.content


def test_a_login_post_is_answered_503(database_down):
    answer = Client(raise_request_exception=False).post(
        "/accounts/login/", {"username": "someone", "password": "x" * 12}, HTTP_ACCEPT="text/html"
    )
    assert answer.status_code == 503 and b"Temporarily unavailable" in answer.content


def test_liveness_stays_up_and_readiness_names_the_database(database_down):
    client = Client(raise_request_exception=False)
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503 and not ready.json()["checks"]["database"]["ok"]


def test_the_server_recovers_when_the_database_is_back(transactional_db, database_down):
    client = Client(raise_request_exception=False)
    assert client.get("/api/v1/models").status_code == 503
    database_down()  # back
    assert client.get("/api/v1/models").status_code == 200


def test_errors_outside_views_take_the_same_way_through_handler500():
    request = RequestFactory().get("/", HTTP_ACCEPT="text/html")
    try:
        raise OperationalError("connection refused")
    except OperationalError:
        answer = server_error(request)
    assert answer.status_code == 503 and answer["Retry-After"] == "30"
    try:
        raise KeyError("a bug")
    except KeyError:
        answer = server_error(request)
    assert answer.status_code == 500  # real bugs stay 500s
