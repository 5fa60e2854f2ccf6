"""API tokens are stored only as a sha256 hash: the raw value is shown once and kept nowhere."""

import hashlib

import pytest
from django.core import signing
from django.core.management import call_command
from django.core.signing import JSONSerializer
from django.db import connection
from django.test import Client

from registry.models import ApiToken
from registry.services import tokens

pytestmark = pytest.mark.django_db


def rows_containing(value: str) -> list[str]:
    """Every text column of the token table holding `value` (a raw dump, not the ORM's view)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table}")  # noqa: S608 - our own table name
        return [str(cell) for row in cursor.fetchall() for cell in row if value in str(cell)]


def test_token_is_stored_hashed(django_user_model):
    user = django_user_model.objects.create_user("alice")
    token, raw = tokens.create_token(user=user, scope=ApiToken.Scope.WRITE, name="ci")
    token.refresh_from_db()
    assert raw.startswith("slm_") and len(raw) > 40
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert rows_containing(raw) == []
    assert rows_containing(raw[10:]) == []  # not even the secret part; only the short prefix is kept
    assert token.prefix == raw[:10]
    # The hash authenticates the raw value, and only it.
    assert tokens.authenticate_token(raw) == token
    assert tokens.authenticate_token(token.token_hash) is None
    assert (
        Client().get("/api/whoami-v2", headers={"Authorization": f"Bearer {token.token_hash}"}).status_code
        == 401
    )


def test_tokens_made_by_the_portal_and_the_command_are_hashed_too(django_user_model, capsys):
    user = django_user_model.objects.create_user("bob", password="pw-bob-123456")
    call_command("create_token", "bob", "--scope", "read")
    printed = capsys.readouterr().out.strip().split()[-1]
    assert printed.startswith("slm_") and rows_containing(printed) == []
    client = Client()
    client.force_login(user)
    client.post("/portal/tokens", {"name": "laptop", "scope": "write"})
    sessions_after_post = all_sessions()
    page = client.get("/portal/tokens").content.decode()
    words = page.replace("<", " ").replace(">", " ").split()
    shown = [word for word in words if word.startswith("slm_") and not word.endswith("…")]
    assert len(shown) == 1, "the new token is shown once (lists show only its prefix)"
    assert rows_containing(shown[0]) == []
    # Nor was it kept in a session on its way to the page.
    assert sessions_after_post and all(shown[0] not in str(data) for data in sessions_after_post)
    assert shown[0] not in client.get("/portal/tokens").content.decode()  # and never again


def all_sessions() -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT session_data FROM django_session")
        rows = [row[0] for row in cursor.fetchall()]
    salt = "django.contrib.sessions.SessionStore"
    return [signing.loads(row, salt=salt, serializer=JSONSerializer) for row in rows]
