"""Prometheus metrics: HTTP requests, pulls, uploads, Celery task durations and queue depth.

Web processes count in their own memory unless PROMETHEUS_MULTIPROC_DIR names a folder shared by
every gunicorn worker of a pod (an emptyDir or tmpfs, emptied at start): then /metrics adds them
up (prometheus_client's multiprocess mode). Celery workers serve their own /metrics on
CELERY_METRICS_PORT when it is set. Labels stay bounded: the URL pattern's name, never the path.
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Callable, Iterator

from celery import signals
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)

REQUESTS = Counter("registry_http_requests_total", "HTTP requests answered", ["method", "view", "status"])
REQUEST_SECONDS = Histogram(
    "registry_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "view"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
PULLS = Counter("registry_pulls_total", "File downloads handed out (resolve redirects and proxied files)")
UPLOADS = Counter(
    "registry_uploads_total", "Uploads completed (portal files, Hub LFS objects, commits)", ["via"]
)
TASK_SECONDS = Histogram(
    "registry_task_duration_seconds",
    "Celery task run time",
    ["task", "state"],
    buckets=(0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600),
)

# URL pattern names (config/urls.py and the apps' urls) whose success counts as a pull or upload.
PULL_VIEWS = {"hub-resolve"}
UPLOAD_VIEWS = {"api-complete": "portal", "hub-lfs-complete": "hub-lfs", "hub-commit": "hub-commit"}
QUEUES = ("default", "eval")


class MetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.url_name or match.view_name) if match else "unmatched"
        if view == "metrics":
            return response
        REQUEST_SECONDS.labels(request.method, view).observe(time.perf_counter() - started)
        REQUESTS.labels(request.method, view, str(response.status_code)).inc()
        if response.status_code < 400:
            if view in PULL_VIEWS and request.method == "GET":
                PULLS.inc()
            elif view in UPLOAD_VIEWS and request.method == "POST":
                UPLOADS.labels(UPLOAD_VIEWS[view]).inc()
        return response


class QueueDepthCollector:
    """Messages waiting per Celery queue, read from the broker at scrape time (Redis lists)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from config.celery import app

        gauge = GaugeMetricFamily("registry_queue_depth", "Tasks waiting in a Celery queue", labels=["queue"])
        try:
            with app.connection_for_read() as conn:
                conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
                client = getattr(conn.default_channel, "client", None)
                if client is not None:  # Redis: a queue is a list named after it
                    for queue in QUEUES:
                        gauge.add_metric([queue], client.llen(queue))
        except Exception as exc:  # a scrape must not fail because the broker did
            logger.warning("queue depth unavailable: %s", exc)
        yield gauge


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def metrics_view(request: HttpRequest) -> HttpResponse:
    # With METRICS_TOKEN set, Prometheus scrapes with `authorization: {credentials: ...}`; without it
    # the endpoint is open and must be kept off the public network (deploy/README.md).
    token = settings.METRICS_TOKEN
    if token and not hmac.compare_digest(request.headers.get("Authorization", ""), f"Bearer {token}"):
        return HttpResponse("metrics need Authorization: Bearer <METRICS_TOKEN>\n", status=401)
    registry = CollectorRegistry()
    registry.register(_ForwardingCollector(_registry()))
    registry.register(QueueDepthCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


class _ForwardingCollector:
    def __init__(self, source: CollectorRegistry):
        self.source = source

    def collect(self):
        return self.source.collect()


# --- Celery ----------------------------------------------------------------------------------

_task_started: dict[str, float] = {}


@signals.task_prerun.connect
def _task_prerun(task_id: str, **_: object) -> None:
    _task_started[task_id] = time.monotonic()


@signals.task_postrun.connect
def _task_postrun(task_id: str, task, state: str | None = None, **_: object) -> None:
    started = _task_started.pop(task_id, None)
    if started is not None:
        TASK_SECONDS.labels(task.name, state or "UNKNOWN").observe(time.monotonic() - started)


@signals.worker_ready.connect
def _serve_worker_metrics(**_: object) -> None:
    port = os.environ.get("CELERY_METRICS_PORT")
    if port:
        start_http_server(int(port), registry=_registry())
