"""Changing who sees and who downloads a repository from the portal (the Hub route
`update_repo_settings` is tested with the real client in tests/compat/test_hub_client.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from registry.models import AuditEvent, Membership, ModelRepository
from registry.services import accounts
from tests.compat.helpers import publish_command, repository
from tests.fixtures.models import write_model

pytestmark = pytest.mark.django_db

PAGE = "/portal/repos/acme/{name}"
UNLICENSED_CARD = "---\ntags: [internal]\n---\n# Internal\n"


@pytest.fixture
def owner():
    user = get_user_model().objects.create_user("olga", password="a-long-passphrase-4")
    accounts.create_organisation(slug="acme", display_name="Acme", owner=user)
    return user


def save(client: Client, name: str, **fields: str) -> str:
    answer = client.post(PAGE.format(name=name), {"action": "settings", **fields}, follow=True)
    return answer.content.decode()


def test_owners_change_visibility_and_access(owner, s3_server, tmp_path):
    publish_command(write_model(tmp_path / "m"), "acme/triage")
    client = Client()
    client.force_login(owner)
    page = save(client, "triage", visibility="private", gating="manual")
    assert "Settings saved: private, gated, manual approval." in page
    stored = repository("acme/triage")
    assert (stored.visibility, stored.gating) == ("private", "manual")
    assert AuditEvent.objects.get(action="repository.updated").data == {
        "visibility": "private",
        "gating": "manual",
    }
    assert Client().get("/acme/triage").status_code == 404  # private now

    assert "unknown visibility &#x27;secret&#x27;" in save(
        client, "triage", visibility="secret", gating="none"
    )
    assert repository("acme/triage").visibility == "private"


def test_a_model_without_a_known_license_stays_private(owner, s3_server, tmp_path):
    publish_command(write_model(tmp_path / "m", card=UNLICENSED_CARD), "acme/internal", "--private")
    client = Client()
    client.force_login(owner)
    page = save(client, "internal", visibility="public", gating="none")
    assert "acme/internal cannot be made public" in page and "license" in page
    assert repository("acme/internal").visibility == ModelRepository.Visibility.PRIVATE


def test_readers_cannot_change_settings(owner, s3_server, tmp_path):
    publish_command(write_model(tmp_path / "m"), "acme/triage")
    reader = get_user_model().objects.create_user("rory")
    Membership.objects.create(publisher=repository("acme/triage").namespace, user=reader, role="reader")
    client = Client()
    client.force_login(reader)
    assert (
        client.post(PAGE.format(name="triage"), {"action": "settings", "visibility": "private"}).status_code
        == 403
    )
    assert repository("acme/triage").visibility == "public"
