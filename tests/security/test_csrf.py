"""CSRF: every POST form carries the token, and a POST without it is refused with 403; the JSON
endpoints a browser session may call refuse a session without the CSRF header; the Hub API's
changes (CSRF-exempt for token clients) need a write token, never a cookie."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from django.test import Client

from registry.models import ModelRepository
from registry.services import accounts

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_FOLDERS = ["marketplace", "registry", "evaluators"]
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', re.I)


def post_forms(html: str) -> list[tuple[str, str]]:
    """(action, inner html) of each POST form in a page or template."""
    forms = []
    for attributes, inner in FORM.findall(html):
        if re.search(r'method="post"', attributes, re.I):
            action = re.search(r'action="([^"]*)"', attributes)
            forms.append((unescape(action.group(1)) if action else "", inner))
    return forms


def test_every_post_form_in_the_templates_carries_the_token():
    templates = [
        path
        for folder in TEMPLATE_FOLDERS
        for path in (ROOT / folder).rglob("*.html")
        if "templates" in path.parts or "jinja2" in path.parts
    ]
    assert len(templates) > 20
    missing = [
        f"{path.relative_to(ROOT)}: form {action or '(self)'}"
        for path in templates
        for action, inner in post_forms(path.read_text())
        if "csrf_token" not in inner and "csrf_input" not in inner
    ]
    assert missing == []


@pytest.fixture
def form_pages(world) -> list[tuple[str | None, str]]:
    """(who is logged in, page) for every page that shows a POST form."""
    acme = world.versions["public"].repository.namespace
    invitation = accounts.invite(
        publisher=acme, email="csrf@example.com", role="reader", actor=world.users["owner"]
    )
    return [
        (None, "/accounts/login/"),
        (None, "/portal/signup"),
        ("owner", "/portal/"),  # the log-out form in the header
        ("owner", "/portal/tokens"),
        ("owner", "/portal/orgs/new"),
        ("owner", "/portal/orgs/acme"),
        ("outsider", f"/portal/invitations/{invitation.token}"),
        ("owner", "/portal/repos/new"),
        ("owner", "/portal/repos/acme/public-model"),
        ("outsider", "/acme/gated-model/access"),
        ("owner", "/acme/gated-model/access-requests"),
        ("owner", "/portal/orgs/acme/webhooks"),
    ]


def test_each_post_form_without_the_token_is_refused(world, form_pages):
    refused = []
    for who, page in form_pages:
        client = Client(enforce_csrf_checks=True)
        if who:
            client.force_login(world.users[who])
        shown = client.get(page)
        assert shown.status_code == 200, page
        forms = post_forms(shown.content.decode())
        assert forms, f"{page} shows no POST form"
        for action, inner in forms:
            data = {name: unescape(value) for name, value in HIDDEN.findall(inner)}
            data.pop("csrfmiddlewaretoken", None)
            answer = client.post(action or page, data)
            refused.append((page, action, answer.status_code))
    assert [r for r in refused if r[2] != 403] == []
    assert len(refused) >= len(form_pages)


def test_session_json_endpoints_need_the_csrf_header(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["owner"])
    draft = world.drafts["public"]
    for path in (
        "/portal/api/repos/acme/public-model/uploads",
        f"/portal/api/uploads/{draft.pk}/cancel",
        "/portal/api/card-preview",
        "/api/v1/tokens",  # DRF with a session: its CSRF check
    ):
        answer = client.post(path, data="{}", content_type="application/json")
        assert answer.status_code == 403, path
    # With the header the page sends, the same session is let through.
    client.get("/portal/tokens")
    token = client.cookies["csrftoken"].value
    answer = client.post(
        "/portal/api/card-preview", data="{}", content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert answer.status_code != 403


def test_hub_api_changes_ignore_a_cookie_without_the_token(world):
    """Another site cannot make a signed-in publisher's browser create repositories or commit."""
    client = Client()  # no CSRF check: only the missing token refuses it
    client.force_login(world.users["owner"])
    answer = client.post(
        "/api/repos/create",
        data='{"name": "forged", "organization": "acme", "type": "model"}',
        content_type="text/plain",
    )
    assert answer.status_code == 401
    assert not ModelRepository.objects.filter(name="forged").exists()
    # Reads still use the session (a private model's metadata for its members).
    assert client.get("/api/models/acme/private-model").status_code == 200
