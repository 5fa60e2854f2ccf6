"""Data migrations, run on the real database: down to the state before, rows made there, up again."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from registry.models import Membership
from registry.services import accounts

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(target: tuple[str, str]):
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    executor.loader.build_graph()
    return executor.loader.project_state([target]).apps


def test_invitation_links_sent_before_tokens_were_hashed_still_work(django_user_model):
    old = migrate(("registry", "0007_model_families_and_external_listings"))
    try:
        publisher = old.get_model("registry", "Publisher").objects.create(slug="old-org", kind="org")
        old.get_model("registry", "Invitation").objects.create(
            publisher_id=publisher.pk, email="m@example.com", role="maintainer", token="sent-before-0008"
        )
    finally:
        migrate(("registry", "0008_invitation_token_hash"))
    member = django_user_model.objects.create_user(username="mateo", password="a-long-passphrase-2")
    assert accounts.accept_invitation(token="sent-before-0008", user=member).role == "maintainer"
    assert Membership.objects.filter(user=member, publisher__slug="old-org").exists()
