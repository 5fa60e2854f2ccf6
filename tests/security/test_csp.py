"""The Content-Security-Policy reaches every kind of page, and the pages still fit inside it:
no inline script anywhere, inline styles only with the response's nonce (or in the standalone
compliance report, which allows no script at all)."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)


def policy_of(response) -> str:
    return response["Content-Security-Policy"]


def test_pages_send_a_policy_without_inline_scripts(world):
    client = Client()
    client.force_login(world.users["owner"])
    for path in (
        "/",
        "/models",
        "/acme/public-model",
        "/accounts/login/",
        "/signing-keys",
        "/portal/",
        "/portal/repos/acme/public-model/upload",
        "/api/v1/docs/",
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        policy = policy_of(page)
        assert "script-src 'self'" in policy and "'unsafe-eval'" not in policy, path
        assert "script-src 'self' 'unsafe-inline'" not in policy, path
        assert INLINE_SCRIPT.findall(page.content.decode()) == [], path


def test_the_evidence_page_styles_carry_the_nonce(world):
    commit = world.versions["public"].commit_id
    page = Client().get(f"/evaluations/acme/public-model/{commit}/card")
    assert page.status_code == 200
    nonce = re.search(r"'nonce-([^']+)'", policy_of(page)).group(1)
    assert f'<style nonce="{nonce}">' in page.content.decode()


def test_the_compliance_report_is_a_document_without_scripts(world):
    commit = world.versions["public"].commit_id
    report = Client().get(
        f"/api/v1/models/acme/public-model/revisions/{commit}/compliance-report?format=html"
    )
    assert report.status_code == 200
    assert policy_of(report).startswith("default-src 'none'; style-src 'unsafe-inline'")
