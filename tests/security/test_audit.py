"""Every security-relevant action leaves an audit event, and the admin's security log shows them."""

import pytest
from django.test import Client

from registry.audit.models import SecurityEvent
from registry.models import AccessGrant, AuditEvent, SigningKey
from registry.services import access, accounts, repositories, signing, tokens

pytestmark = pytest.mark.django_db


def actions_since(mark: int) -> list[str]:
    return list(AuditEvent.objects.filter(pk__gt=mark).order_by("pk").values_list("action", flat=True))


def last_id() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_sign_ins_and_failures_are_recorded_with_the_address(django_user_model):
    django_user_model.objects.create_user("carol", password="right-password-123")
    client = Client(REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="pytest-agent")
    client.post("/accounts/login/", {"username": "carol", "password": "wrong"})
    client.post("/accounts/login/", {"username": "carol", "password": "right-password-123"})
    client.post("/accounts/logout/")
    failed, succeeded, out = AuditEvent.objects.order_by("pk")
    assert (failed.action, failed.actor, failed.data["username"]) == ("login.failed", None, "carol")
    assert failed.data["ip"] == "203.0.113.7" and "password" not in failed.data
    assert (succeeded.action, succeeded.actor.username) == ("login.succeeded", "carol")
    assert succeeded.data["user_agent"] == "pytest-agent"
    assert out.action == "logout"


def test_each_security_relevant_action_is_audited(world):
    owner, reader, outsider = world.users["owner"], world.users["reader"], world.users["outsider"]
    acme = world.versions["public"].repository.namespace
    gated = world.versions["gated"].repository
    expected = []

    def did(action: str) -> None:
        expected.append(action)

    mark = last_id()
    token, _ = tokens.create_token(user=reader, scope="read", name="audit")
    did("token.created")
    tokens.revoke_token(token=token, actor=reader)
    did("token.revoked")
    invitation = accounts.invite(publisher=acme, email="dave@example.com", role="reader", actor=owner)
    did("member.invited")
    accounts.accept_invitation(token=invitation.token, user=outsider)
    did("member.joined")
    accounts.set_role(publisher=acme, username="outsider", role="maintainer", actor=owner)
    did("member.role_changed")
    accounts.remove_member(publisher=acme, username="outsider", actor=owner)
    did("member.removed")
    repositories.update_repository(repository=gated, actor=owner, visibility="private", gating="auto")
    did("repository.updated")
    repositories.update_repository(repository=gated, actor=owner, visibility="public", gating="manual")
    did("repository.updated")
    grant = access.request_access(repository=gated, user=outsider, answers={"company": "Initech"})
    did("access.requested")
    access.decide_access(grant=grant, approve=True, actor=owner)
    did("access.decided")
    assert grant.status == AccessGrant.Status.APPROVED

    # Yanking, as the portal does it.
    client = Client()
    client.force_login(owner)
    commit = world.versions["public"].commit_id
    client.post("/portal/repos/acme/public-model", {"action": "yank", "commit": commit, "reason": "bad"})
    did("version.yanked")
    key = SigningKey.objects.get(status=SigningKey.Status.ACTIVE)
    signing.revoke_registry_key(key=key, reason="leaked in a test", actor=owner)
    did("signing_key.revoked")

    recorded = actions_since(mark)
    assert [a for a in recorded if a in expected] == expected
    yank = AuditEvent.objects.get(action="version.yanked")
    assert (yank.actor, yank.version.commit_id, yank.data["reason"]) == (owner, commit, "bad")
    changed = AuditEvent.objects.filter(action="repository.updated").order_by("pk").first()
    assert changed.data == {"visibility": "private", "gating": "auto"} and changed.actor == owner
    # Each of them is in the security log.
    assert set(expected) <= set(SecurityEvent.objects.values_list("action", flat=True))


def test_the_security_log_is_shown_read_only_in_the_admin(django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw-root-123456")
    AuditEvent.record("login.failed", username="mallory", ip="198.51.100.1")
    AuditEvent.record("version.published")  # not a security event: not in this list
    client = Client()
    client.force_login(admin)
    page = client.get("/admin/audit/securityevent/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "login.failed" in body and "mallory" in body and "198.51.100.1" in body
    assert "version.published" not in body
    assert client.get("/admin/audit/securityevent/?q=mallory").status_code == 200
    event = SecurityEvent.objects.get(action="login.failed")
    assert client.get(f"/admin/audit/securityevent/{event.pk}/change/").status_code == 200  # view only
    assert client.post(f"/admin/audit/securityevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/audit/securityevent/add/").status_code == 403
