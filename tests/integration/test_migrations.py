"""Data migrations, run on the real database: down to the state before, rows made there, up again."""

from __future__ import annotations

import hashlib
import uuid

import pytest
import requests
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from registry.errors import NotFound
from registry.models import Membership, UploadSession
from registry.services import accounts, uploads
from registry.storage import get_store

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(target: tuple[str, str]):
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    executor.loader.build_graph()
    return executor.loader.project_state([target]).apps


def migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_invitation_links_sent_before_tokens_were_hashed_still_work(django_user_model):
    old = migrate(("registry", "0007_model_families_and_external_listings"))
    try:
        publisher = old.get_model("registry", "Publisher").objects.create(slug="old-org", kind="org")
        old.get_model("registry", "Invitation").objects.create(
            publisher_id=publisher.pk, email="m@example.com", role="maintainer", token="sent-before-0008"
        )
    finally:
        migrate_to_latest()
    member = django_user_model.objects.create_user(username="mateo", password="a-long-passphrase-2")
    assert accounts.accept_invitation(token="sent-before-0008", user=member).role == "maintainer"
    assert Membership.objects.filter(user=member, publisher__slug="old-org").exists()


def test_hub_uploads_in_flight_when_secrets_were_hashed_still_complete(django_user_model, s3_server):
    owner = django_user_model.objects.create_user(username="pusher", password="a-long-passphrase-3")
    store = get_store()
    key = f"uploads/before-0009-{uuid.uuid4().hex}"
    old = migrate(("registry", "0008_invitation_token_hash"))
    try:
        publisher = old.get_model("registry", "Publisher").objects.create(slug="push-org", kind="org")
        repository = old.get_model("registry", "ModelRepository").objects.create(
            namespace_id=publisher.pk, name="in-flight"
        )
        session = old.get_model("registry", "UploadSession").objects.create(
            repository_id=repository.pk,
            user_id=owner.pk,
            size=5,
            sha256=hashlib.sha256(b"hello").hexdigest(),
            storage_key=key,
            upload_id=store.start_multipart(key),
            part_size=5 << 20,
            secret="link-sent-before-0009",
        )
    finally:
        migrate_to_latest()
    stored = UploadSession.objects.get(pk=session.pk)
    assert stored.secret_hash == hashlib.sha256(b"link-sent-before-0009").hexdigest()
    sent = requests.put(
        store.presign_upload_part(key, session.upload_id, 1, ttl=60), data=b"hello", timeout=30
    )
    etag = sent.headers["ETag"]
    with pytest.raises(NotFound):
        uploads.complete_multipart(session_id=session.pk, secret="a-guess", parts=[(1, etag)])
    completed = uploads.complete_multipart(
        session_id=session.pk, secret="link-sent-before-0009", parts=[(1, etag)]
    )
    assert completed.status == "completed" and store.head(key).size == 5
