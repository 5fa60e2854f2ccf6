"""Operations endpoints and switches: /healthz, /readyz, /metrics, JSON logs."""

from __future__ import annotations

import io
import json
import logging
import logging.config

import pytest
from django.test import Client

from config.logs import logging_config
from registry.storage import get_store
from registry.storage.seaweed import free_ports

pytestmark = pytest.mark.django_db


def test_liveness_answers_without_touching_any_dependency(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}


def test_readiness_checks_database_storage_and_broker(client, redis_broker):
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["status"] == "ready"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "storage": True,
        "broker": True,
    }


def test_readiness_names_an_unreachable_object_store(client, settings):
    settings.S3_ENDPOINT_URL = settings.S3_PUBLIC_ENDPOINT_URL = f"http://127.0.0.1:{free_ports(1)[0]}"
    get_store.cache_clear()
    try:
        answer = client.get("/readyz")
    finally:
        get_store.cache_clear()
    assert answer.status_code == 503 and answer["Retry-After"]
    checks = answer.json()["checks"]
    assert checks["database"]["ok"] and not checks["storage"]["ok"]
    assert "unreachable" in checks["storage"]["error"]


def test_metrics_count_requests_pulls_and_tasks(client, redis_broker):
    from registry.tasks import abort_abandoned_uploads_task

    client.get("/healthz")
    client.get("/acme/missing/resolve/main/config.json")  # a 404: counted as a request, not a pull
    abort_abandoned_uploads_task.apply()  # eager: the task signals still fire
    answer = Client().get("/metrics")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/plain")
    text = answer.content.decode()
    assert 'registry_http_requests_total{method="GET",status="200",view="health"}' in text
    assert 'registry_http_requests_total{method="GET",status="404",view="hub-resolve"}' in text
    assert "registry_pulls_total" in text and "registry_uploads_total" in text
    assert 'registry_task_duration_seconds_count{state="SUCCESS",task="registry.tasks.abort_abandoned' in text
    assert 'registry_queue_depth{queue="eval"}' in text and 'registry_queue_depth{queue="default"}' in text


def test_metrics_ask_for_the_token_when_one_is_set(settings):
    settings.METRICS_TOKEN = "scrape-secret"
    assert Client().get("/metrics").status_code == 401
    assert Client(headers={"Authorization": "Bearer wrong"}).get("/metrics").status_code == 401
    scraped = Client(headers={"Authorization": "Bearer scrape-secret"}).get("/metrics")
    assert scraped.status_code == 200 and "registry_http_requests_total" in scraped.content.decode()


def test_json_logs_are_one_object_per_line():
    stream = io.StringIO()
    config = logging_config(log_format="json")
    config["handlers"]["console"]["stream"] = stream
    config["root"]["handlers"] = ["console"]
    previous = logging.getLogger().handlers[:]
    logging.config.dictConfig(config)
    try:
        logging.getLogger("registry.test").warning("stored %s", "x", extra={"repo": "acme/tiny"})
    finally:
        root = logging.getLogger()
        root.handlers[:] = previous
    record = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert record["level"] == "WARNING" and record["logger"] == "registry.test"
    assert record["message"] == "stored x" and record["repo"] == "acme/tiny" and "T" in record["time"]


def test_an_unknown_log_format_is_refused_by_name():
    with pytest.raises(ValueError, match="LOG_FORMAT must be 'text' or 'json', not 'xml'"):
        logging_config(log_format="xml")
