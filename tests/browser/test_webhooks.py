"""The webhooks portal pages in Chromium: register an endpoint (a bad URL first), see the secret
once, read the delivery log."""

from __future__ import annotations

import json
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Page, expect

from registry.services import accounts
from registry.webhooks.addresses import HTTPS_REQUIRED
from registry.webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery-9"


def log_delivery(endpoint: WebhookEndpoint, **fields) -> WebhookDelivery:
    """A delivery as the worker leaves it in the log (the worker's part is tested in integration)."""
    data = {"repository": "acme-health/triage", "commit": "9f1c2e7a"}
    body = {"type": "version.published", "publisher": "acme-health", "data": data}
    return WebhookDelivery.objects.create(
        endpoint=endpoint,
        event="version.published",
        event_id=uuid.uuid4(),
        body=json.dumps(body),
        last_attempt_at=timezone.now(),
        **fields,
    )


def test_register_an_endpoint_and_read_its_delivery_log(live_server, page: Page, screenshot):
    owner = get_user_model().objects.create_user(username="hookmaster", password=PASSWORD)
    accounts.create_organisation(slug="acme-health", display_name="Acme Health", owner=owner)

    page.goto(f"{live_server.url}/accounts/login/?next=/portal/orgs/acme-health")
    page.get_by_label("Username").fill("hookmaster")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", name="Webhooks")).to_be_visible()

    page.get_by_label("Payload URL").fill("http://hooks.example.com/registry")
    page.get_by_label("Description").fill("Release pipeline")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_text(HTTPS_REQUIRED)).to_be_visible()
    assert not WebhookEndpoint.objects.exists()

    page.get_by_label("Payload URL").fill("http://127.0.0.1:9/registry")
    page.get_by_role("button", name="Add endpoint").click()
    secret = page.locator("#webhook-secret").inner_text()
    endpoint = WebhookEndpoint.objects.get()
    assert secret == endpoint.secret and secret.startswith("whsec_")

    first = log_delivery(endpoint, status="succeeded", attempts=1, response_status=204)
    log_delivery(endpoint, status="succeeded", attempts=1, response_status=204, replay_of=first)
    log_delivery(
        endpoint, status="failed", attempts=4, response_status=500, error="the receiver answered HTTP 500"
    )
    page.reload()
    expect(page.locator("#webhook-secret")).to_have_count(0)  # shown once
    expect(page.get_by_role("button", name="Replay")).to_have_count(3)
    expect(page.get_by_text("the receiver answered HTTP 500")).to_be_visible()
    screenshot("portal-webhook-deliveries")

    page.get_by_role("link", name="← Webhooks of acme-health").click()
    expect(page.get_by_role("link", name="http://127.0.0.1:9/registry")).to_be_visible()
    screenshot("portal-webhooks")
