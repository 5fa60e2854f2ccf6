"""Celery entry points (routed to the `eval` queue by CELERY_TASK_ROUTES): ids in, one service call.

Both tolerate their row being gone and are safe to deliver twice. Late acknowledgement plus
reject-on-worker-lost means a run whose worker dies is delivered again; `execute_run` gives up
after EVALUATOR_MAX_ATTEMPTS deliveries so a model that kills workers cannot loop forever.
"""

from __future__ import annotations

from celery import shared_task

from evaluators import services
from registry.errors import StorageUnavailable
from registry.models import Version


def _delivery_queue(task) -> str | None:
    """The queue this task came from: follow-up tasks go to the same one (an eval worker's queue,
    whatever the routes of the process that published the model said)."""
    info = getattr(task.request, "delivery_info", None) or {}
    return info.get("routing_key") or None


@shared_task(
    bind=True,
    name="evaluators.tasks.evaluate_version",
    acks_late=True,
    autoretry_for=(StorageUnavailable,),
    retry_backoff=True,
    max_retries=5,
)
def evaluate_version(self, version_id: int) -> dict:
    """After publish: queue one run per evaluator for the version."""
    version = Version.objects.filter(pk=version_id).select_related("repository").first()
    if version is None:  # deleted since it was queued
        return {"version": version_id, "status": "missing"}
    runs = services.plan_evaluations(version=version, queue=_delivery_queue(self))
    return {"version": version_id, "queued": [run.evaluator for run in runs]}


@shared_task(
    bind=True,
    name="evaluators.tasks.run_evaluation",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(StorageUnavailable,),
    retry_backoff=True,
    max_retries=5,
)
def run_evaluation(self, run_id: int) -> dict:
    run = services.execute_run(run_id=run_id)
    if run is None:
        return {"run": run_id, "status": "missing"}
    return {"run": run_id, "evaluator": run.evaluator, "status": run.status, "reason": run.reason}
