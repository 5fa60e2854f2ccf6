"""A Celery worker process killed (SIGKILL) in the middle of an evaluation: the task, acknowledged
late and rejected on worker loss, is delivered again, runs to its end once, and its result is
recorded once (one run row, one set of metrics)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import psutil
import pytest
import requests
from django.conf import settings

from config.celery import app
from evaluators.models import EvaluationRun, Metric
from evaluators.services import plan_evaluations
from registry.storage.seaweed import free_ports
from tests.faults.processes import process_env
from tests.integration.helpers import publish

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(150)]

SLOW = "tests.faults.slow_evaluator:SlowEvaluator"


def wait_for(condition, *, timeout: float, what: str, log=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}" + (f"\n{log.read_text()[-3000:]}" if log else ""))


@pytest.fixture
def prefork_worker(redis_broker, s3_server, registry_signing_key, tmp_path):
    """A real prefork worker (one child) on a private queue: its child is what dies."""
    queue, node = f"fault-{uuid.uuid4().hex[:8]}", f"fault-{uuid.uuid4().hex[:8]}@localhost"
    finished_log = tmp_path / "finished.log"
    finished_log.touch()
    metrics_port, metrics_dir = free_ports(1)[0], tmp_path / "metrics"
    metrics_dir.mkdir()
    env = process_env(
        CELERY_BROKER_URL=redis_broker,
        REGISTRY_SIGNING_KEY_PATH=str(registry_signing_key),
        SLOW_EVALUATOR_LOG=str(finished_log),
        SLOW_EVALUATOR_SECONDS="4",
        CELERY_METRICS_PORT=str(metrics_port),  # the worker's own /metrics (config/metrics.py)
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),  # pool processes count, the main one serves
    )
    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "prefork", "-c", "1",
             "-Q", queue, "-n", node, "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
            env=env, stdout=out, stderr=subprocess.STDOUT, cwd=settings.BASE_DIR,
        )  # fmt: skip
    try:
        wait_for(
            lambda: app.control.ping(destination=[node], timeout=0.5), timeout=60, what="worker", log=log
        )
        yield process, queue, finished_log, log, f"http://127.0.0.1:{metrics_port}/metrics"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_an_evaluation_whose_worker_is_killed_is_redelivered_and_recorded_once(
    prefork_worker, settings, model_folder
):
    process, queue, finished_log, log, metrics_url = prefork_worker
    settings.REGISTRY_POST_PUBLISH_TASKS = []
    settings.EVALUATOR_PLUGINS = [SLOW]
    version = publish(model_folder, "acme/slow")
    [run] = plan_evaluations(version=version, queue=queue)

    wait_for(
        lambda: EvaluationRun.objects.filter(pk=run.pk, stage="running").exists(),
        timeout=60,
        what="the evaluation to start",
        log=log,
    )
    [child] = psutil.Process(process.pid).children()
    os.kill(child.pid, signal.SIGKILL)  # the pool process dies mid-run, as on an OOM kill

    wait_for(
        lambda: EvaluationRun.objects.filter(pk=run.pk, status="passed").exists(),
        timeout=90,
        what="the redelivered evaluation to finish",
        log=log,
    )
    run.refresh_from_db()
    assert run.attempts == 2  # delivered twice, the first one cut off
    assert process.poll() is None  # the worker itself lived on and spawned a new pool process
    finished = finished_log.read_text().split()
    assert len(finished) == 1 and finished[0] != str(child.pid)  # ran to its end once, in the new one
    assert EvaluationRun.objects.filter(version=version, evaluator="slow-fault").count() == 1
    assert list(Metric.objects.filter(run=run).values_list("key", "value")) == [("score", 1.0)]
    assert "WorkerLostError" in log.read_text() or "SIGKILL" in log.read_text()
    durations = requests.get(metrics_url, timeout=10).text
    assert (
        'registry_task_duration_seconds_count{state="SUCCESS",task="evaluators.tasks.run_evaluation"} 1.0'
        in (durations)
    )
