"""Celery entry point of webhook deliveries: one attempt per run, retried with exponential back-off."""

from __future__ import annotations

from celery import shared_task

from . import services
from .models import WebhookDelivery


@shared_task(bind=True, acks_late=True, max_retries=None, ignore_result=True)
def deliver_webhook_task(self, delivery_id: int) -> dict:
    """Attempt a logged delivery; a failed attempt is re-queued with the next back-off delay
    (services.attempt_delivery decides whether there is one). Safe to run twice: a finished
    delivery is not sent again."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None:  # its endpoint was deleted since
        return {"delivery": delivery_id, "status": "missing"}
    attempt = services.attempt_delivery(delivery=delivery)
    if attempt.retry_in is not None:
        raise self.retry(countdown=attempt.retry_in)
    return {"delivery": delivery_id, "status": attempt.delivery.status, "attempts": attempt.delivery.attempts}


@shared_task(ignore_result=True)
def requeue_stalled_deliveries_task() -> dict:
    """Every WEBHOOK_SWEEP_INTERVAL seconds (beat): queue again the deliveries the broker lost."""
    return {"requeued": services.requeue_stalled_deliveries()}
