"""A small world for the security tests: one organisation with an owner, a maintainer and a reader,
another organisation with its own member, and a public, a private and a gated (manual) repository,
each with a published version; plus the things routes point at (a draft, a token, an invitation)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.core.cache import cache

from registry.models import ApiToken, Membership, Publisher, Version
from registry.services import accounts, tokens, uploads
from tests.fixtures.models import write_model
from tests.integration.helpers import publish

ACTORS = ("anonymous", "reader", "maintainer", "owner", "outsider")
KINDS = ("public", "private", "gated")


@dataclass
class World:
    users: dict = field(default_factory=dict)
    versions: dict = field(default_factory=dict)  # kind -> published Version
    drafts: dict = field(default_factory=dict)  # kind -> draft Version
    token_of: dict = field(default_factory=dict)  # actor -> ApiToken (write scope)
    raw_token_of: dict = field(default_factory=dict)
    invitation_token: str = ""
    verify_token: str = ""

    def repo(self, kind: str) -> str:
        return f"acme/{kind}-model"


@pytest.fixture(autouse=True)
def fresh_cache():
    """Throttle counters and cached pages live in the cache: no test may see another's."""
    cache.clear()


@pytest.fixture
def world(tmp_path, django_user_model) -> World:
    w = World()
    for name in ACTORS[1:]:
        w.users[name] = django_user_model.objects.create_user(name, f"{name}@example.com", "pw-" + name)
    acme = Publisher.objects.create(slug="acme", kind=Publisher.Kind.ORGANISATION)
    other = Publisher.objects.create(slug="other-org", kind=Publisher.Kind.ORGANISATION)
    for role in ("reader", "maintainer", "owner"):
        Membership.objects.create(publisher=acme, user=w.users[role], role=role)
    Membership.objects.create(publisher=other, user=w.users["outsider"], role="owner")
    options = {"public": {}, "private": {"visibility": "private"}, "gated": {"gating": "manual"}}
    for kind in KINDS:
        folder = write_model(tmp_path / kind, seed=KINDS.index(kind))
        w.versions[kind] = publish(folder, w.repo(kind), **options[kind])
        w.drafts[kind] = uploads.start_portal_draft(
            repository=w.versions[kind].repository, user=w.users["owner"]
        )
    for name in ACTORS[1:]:
        token, raw = tokens.create_token(user=w.users[name], scope=ApiToken.Scope.WRITE, name=name)
        w.token_of[name], w.raw_token_of[name] = token, raw
    w.invitation_token = accounts.invite(
        publisher=acme, email="new@example.com", role="reader", actor=w.users["owner"]
    ).token
    w.verify_token = accounts.email_token(user=w.users["reader"])
    assert Version.objects.filter(status=Version.Status.PUBLISHED).count() == 3
    return w
