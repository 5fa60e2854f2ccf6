"""Emitting registry events to webhooks: one call from the service where the event happens.

`emit` records a pending delivery per subscribed endpoint inside the caller's transaction and
enqueues each once it commits: a rolled-back publish tells nobody, a committed one is never lost
from the log (a delivery whose enqueue failed stays pending, visible and replayable in the portal).
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from registry.models import Publisher, Version

from .models import EVENTS, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)


def emit(publisher: Publisher | int, event: str, data: dict[str, Any]) -> list[WebhookDelivery]:
    """Tell `publisher`'s active endpoints subscribed to `event`; returns the deliveries recorded."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}; known: {', '.join(EVENTS)}")
    publisher_id = publisher if isinstance(publisher, int) else publisher.pk
    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(publisher_id=publisher_id, is_active=True)
        if event in e.events
    ]
    if not endpoints:
        return []
    slug = Publisher.objects.values_list("slug", flat=True).get(pk=publisher_id)
    event_id = uuid.uuid4()
    envelope = {
        "id": str(event_id),
        "type": event,
        "created": timezone.now().isoformat(),
        "publisher": slug,
        "data": data,
    }
    body = json.dumps(envelope, sort_keys=True, separators=(",", ":"), default=str)
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(endpoint=endpoint, event=event, event_id=event_id, body=body)
        for endpoint in endpoints
    )
    for delivery in deliveries:
        enqueue_on_commit(delivery)
    return deliveries


def emit_for_version(event: str, version: Version, **data: Any) -> list[WebhookDelivery]:
    """`emit` to the version's publisher, with the version's identity in the payload."""
    repository = version.repository
    payload = {
        "repository": repository.repo_id,
        "version_id": version.pk,
        "commit": version.commit_id or None,
        "url": f"/{repository.repo_id}",
        **data,
    }
    return emit(repository.namespace_id, event, payload)


def enqueue_on_commit(delivery: WebhookDelivery) -> None:
    transaction.on_commit(lambda: enqueue(delivery.pk))


def enqueue(delivery_id: int) -> bool:
    """Queue one attempt of a delivery; False when the broker refused (the delivery stays pending
    and the periodic sweep, services.requeue_stalled_deliveries, queues it again later)."""
    from .tasks import deliver_webhook_task

    try:
        deliver_webhook_task.delay(delivery_id)
    except Exception:  # the broker is down: the event that caused this must not fail with it
        logger.exception("webhook delivery %s could not be queued; it stays pending", delivery_id)
        return False
    return True
