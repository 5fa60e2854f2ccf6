"""Webhook rules: who manages endpoints, registering one, one delivery attempt, replay, disabling."""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from registry.errors import InvalidInput, NotFound
from registry.models import AuditEvent, Membership, Publisher

from . import addresses, events, signatures, transport
from .models import EVENTS, WebhookDelivery, WebhookEndpoint

USER_AGENT = "slm-registry-webhooks/1"
ENDPOINT_DISABLED = "the endpoint is disabled"


class UnknownWebhookEvent(InvalidInput):
    code = "UnknownWebhookEvent"


@dataclass(frozen=True)
class Attempt:
    delivery: WebhookDelivery
    retry_in: float | None  # seconds until the next attempt; None when the delivery is finished


# --- endpoints ---------------------------------------------------------------------------------


def managed_publisher(*, user: AbstractBaseUser, slug: str) -> Publisher:
    """The publisher whose webhooks `user` manages (its owners and maintainers); others get NotFound."""
    publisher = Publisher.objects.filter(slug=slug).first()
    if publisher is not None and (
        getattr(user, "is_superuser", False)
        or Membership.objects.filter(
            publisher=publisher, user=user, role__in=[Membership.Role.OWNER, Membership.Role.MAINTAINER]
        ).exists()
    ):
        return publisher
    raise NotFound(f"organisation {slug} not found, or you are not one of its owners or maintainers")


def create_endpoint(
    *, publisher: Publisher, url: str, events: list[str], description: str = "", actor: AbstractBaseUser
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it with its signing secret (shown once by the portal)."""
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise UnknownWebhookEvent(f"unknown event {', '.join(unknown)}; known: {', '.join(EVENTS)}")
    if not events:
        raise UnknownWebhookEvent("choose at least one event")
    addresses.check_url(url)
    secret = signatures.new_secret()
    endpoint = WebhookEndpoint.objects.create(
        publisher=publisher,
        url=url.strip(),
        events=[e for e in EVENTS if e in events],
        description=description,
        secret=secret,
        created_by=actor,
    )
    AuditEvent.record("webhook.created", actor=actor, publisher=publisher.slug, endpoint=endpoint.pk, url=url)
    return endpoint, secret


def set_endpoint_active(
    *, endpoint: WebhookEndpoint, active: bool, actor: AbstractBaseUser
) -> WebhookEndpoint:
    """Enable (its failure count starts again from zero) or disable an endpoint by hand."""
    endpoint.is_active = active
    endpoint.consecutive_failures = 0 if active else endpoint.consecutive_failures
    endpoint.disabled_at = None if active else timezone.now()
    endpoint.disabled_reason = "" if active else "disabled by hand"
    endpoint.save(update_fields=["is_active", "consecutive_failures", "disabled_at", "disabled_reason"])
    action = "webhook.enabled" if active else "webhook.disabled"
    AuditEvent.record(action, actor=actor, endpoint=endpoint.pk, url=endpoint.url)
    return endpoint


def delete_endpoint(*, endpoint: WebhookEndpoint, actor: AbstractBaseUser) -> None:
    AuditEvent.record("webhook.deleted", actor=actor, endpoint=endpoint.pk, url=endpoint.url)
    endpoint.delete()


# --- deliveries --------------------------------------------------------------------------------


def replay_delivery(*, delivery: WebhookDelivery, actor: AbstractBaseUser) -> WebhookDelivery:
    """Send a logged delivery again, as a new delivery with the same event id and body."""
    if not delivery.endpoint.is_active:
        raise InvalidInput(f"{ENDPOINT_DISABLED}; enable it before replaying a delivery")
    replay = WebhookDelivery.objects.create(
        endpoint=delivery.endpoint,
        event=delivery.event,
        event_id=delivery.event_id,
        body=delivery.body,
        replay_of=delivery,
    )
    AuditEvent.record("webhook.replayed", actor=actor, delivery=delivery.pk, replay=replay.pk)
    events.enqueue_on_commit(replay)
    return replay


def retry_delay(attempts: int) -> float:
    """Exponential back-off: the base delay, doubled after each failed attempt, capped."""
    return float(
        min(settings.WEBHOOK_RETRY_BASE_DELAY * 2 ** max(attempts - 1, 0), settings.WEBHOOK_RETRY_MAX_DELAY)
    )


def requeue_stalled_deliveries(*, limit: int = 500) -> int:
    """Queue again the pending deliveries whose next attempt is overdue by WEBHOOK_SWEEP_GRACE
    seconds: their queue message was never sent (the broker was down when the event happened) or
    was lost. Oldest first, at most `limit` a run; answers how many were queued.

    Delivery stays at least once: a message that was only late, not lost, is attempted twice, and
    receivers tell the two apart by the event id in the body (the same on every replay).
    """
    now = timezone.now()
    overdue = now - datetime.timedelta(seconds=settings.WEBHOOK_SWEEP_GRACE)
    candidates = WebhookDelivery.objects.filter(
        Q(attempts=0, created_at__lt=overdue) | Q(attempts__gt=0, last_attempt_at__lt=overdue),
        status=WebhookDelivery.Status.PENDING,
    ).order_by("created_at", "id")
    queued = 0
    for delivery in candidates.iterator():
        if queued >= limit:
            break
        if delivery.attempts:
            due = delivery.last_attempt_at + datetime.timedelta(seconds=retry_delay(delivery.attempts))
            if due >= overdue:
                continue  # still waiting its back-off
        if not events.enqueue(delivery.pk):
            break  # the broker is still down: the next sweep tries again
        queued += 1
    return queued


def attempt_delivery(*, delivery: WebhookDelivery) -> Attempt:
    """POST the delivery once, signed now, and log the outcome. Only a 2xx answer succeeds.

    A failure counts against the endpoint; WEBHOOK_DISABLE_AFTER_FAILURES failed attempts in a row
    disable it (any success resets the count). A delivery is retried until WEBHOOK_MAX_ATTEMPTS.
    """
    if delivery.is_finished:
        return Attempt(delivery, None)
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        return _finish_unsent(delivery)
    body = delivery.body.encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        signatures.EVENT_HEADER: delivery.event,
        signatures.DELIVERY_HEADER: str(delivery.pk),
        signatures.SIGNATURE_HEADER: signatures.signature_header(
            secret=endpoint.secret, timestamp=timestamp, body=body
        ),
    }
    reply = None
    try:
        reply = transport.post(addresses.check_url(endpoint.url), body=body, headers=headers)
        error = "" if 200 <= reply.status < 300 else f"the receiver answered HTTP {reply.status}"
    except (addresses.InvalidWebhookUrl, transport.DeliveryFailed) as exc:
        error = getattr(exc, "message", None) or str(exc)
    return _record_attempt(delivery, reply, error)


@transaction.atomic
def _record_attempt(delivery: WebhookDelivery, reply: transport.Reply | None, error: str) -> Attempt:
    now = timezone.now()
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.response_status = reply.status if reply else None
    delivery.response_body = reply.body if reply else ""
    delivery.error = error[:1000]
    if not error:
        delivery.status = WebhookDelivery.Status.SUCCEEDED
        delivery.delivered_at = now
        endpoint.consecutive_failures = 0
    else:
        endpoint.consecutive_failures += 1
        if endpoint.is_active and endpoint.consecutive_failures >= settings.WEBHOOK_DISABLE_AFTER_FAILURES:
            endpoint.is_active, endpoint.disabled_at = False, now
            endpoint.disabled_reason = (
                f"disabled after {endpoint.consecutive_failures} failed delivery attempts in a row; "
                f"the last: {error}"
            )[:500]
            AuditEvent.record("webhook.auto_disabled", endpoint=endpoint.pk, url=endpoint.url, reason=error)
        if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS or not endpoint.is_active:
            delivery.status = WebhookDelivery.Status.FAILED
    endpoint.save(update_fields=["is_active", "consecutive_failures", "disabled_at", "disabled_reason"])
    delivery.save()
    delivery.endpoint = endpoint
    retry_in = retry_delay(delivery.attempts) if delivery.status == WebhookDelivery.Status.PENDING else None
    return Attempt(delivery, retry_in)


def _finish_unsent(delivery: WebhookDelivery) -> Attempt:
    delivery.status = WebhookDelivery.Status.FAILED
    delivery.error = f"not sent: {ENDPOINT_DISABLED}"
    delivery.save(update_fields=["status", "error"])
    return Attempt(delivery, None)
