"""Evaluation rules: which runs a published version gets, how one run executes, what it records.

Flow: publish → `evaluate_version` task → `plan_evaluations` makes one queued run per evaluator and
enqueues a `run_evaluation` task for each → `execute_run` fetches the files by digest (re-verified),
decides whether the evaluator applies, runs it (in a child process when it loads the model) and
records the result, the badge, and the evidence. Nothing here changes the version: a failed
evaluation is a failed badge, never an unpublished model.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import tempfile
import time
import uuid
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from evaluators import conf
from evaluators.fetch import StoredBytesMismatch, fetch_files
from evaluators.isolation import memory_needed_mb, run_in_child
from evaluators.models import EvaluationRun, Metric
from evaluators.plugins import UnknownEvaluator, all_plugins, get_plugin
from evaluators.plugins.base import (
    AUTO_MAP_FILES,
    BadgeSpec,
    Evaluator,
    EvaluatorResult,
    ModelFacts,
    remote_code_reasons,
)
from evaluators.selectors import model_index  # noqa: F401 - part of this module's interface
from registry.errors import StorageUnavailable
from registry.models import AuditEvent, ModelCard, Version
from registry.webhooks import events as webhook_events

logger = logging.getLogger(__name__)

LIBRARIES = ("torch", "transformers", "tokenizers", "safetensors", "numpy", "picklescan", "slm-registry")


# --- planning ----------------------------------------------------------------------------------


def plan_evaluations(
    *,
    version: Version,
    evaluators: Iterable[str] | None = None,
    force: bool = False,
    queue: str | None = None,
    enqueue: bool = True,
) -> list[EvaluationRun]:
    """Queue one run per evaluator that has none at its current version (every one with `force`).

    Safe to call twice: a second delivery of the publish task queues nothing new. Tasks are sent
    after the transaction commits, to `queue` when given (else by the configured routes); with
    `enqueue=False` the caller runs them itself (`execute_run`).
    """
    if not version.is_published or version.repository.is_external:
        return []  # an external listing holds a card only: its evaluations are the operator's record
    plugins = all_plugins() if evaluators is None else {name: get_plugin(name) for name in evaluators}
    runs = []
    with transaction.atomic():
        Version.objects.select_for_update().filter(pk=version.pk).first()  # serialises planners
        for plugin in plugins.values():
            existing = EvaluationRun.objects.filter(
                version=version, evaluator=plugin.name, evaluator_version=plugin.version
            )
            if not force and existing.exists():
                continue
            if force and existing.pending().exists():
                continue  # already on its way
            run = EvaluationRun.objects.create(
                version=version,
                evaluator=plugin.name,
                evaluator_version=plugin.version,
                seed=conf.seed(),
                task_id=str(uuid.uuid4()),
                stage="queued",
            )
            runs.append(run)
            if enqueue:
                transaction.on_commit(lambda run=run, plugin=plugin: _enqueue(run, plugin, queue))
    return runs


def _enqueue(run: EvaluationRun, plugin: Evaluator, queue: str | None) -> None:
    from evaluators.tasks import run_evaluation

    options: dict[str, Any] = {
        "task_id": run.task_id,
        # the child has its own timeout; these bound fetching and recording around it too
        "soft_time_limit": plugin.timeout_s + 300,
        "time_limit": plugin.timeout_s + 600,
    }
    if queue:
        options["queue"] = queue
    run_evaluation.apply_async(args=[run.pk], **options)


def stale_versions(*, evaluators: Iterable[str] | None = None) -> list[tuple[Version, list[str]]]:
    """Published versions lacking a run of an evaluator at its current version, with those names."""
    plugins = all_plugins() if evaluators is None else {name: get_plugin(name) for name in evaluators}
    found = []
    for version in Version.objects.published().select_related("repository").order_by("pk"):
        have = set(version.evaluation_runs.values_list("evaluator", "evaluator_version"))
        missing = [name for name, plugin in plugins.items() if (name, plugin.version) not in have]
        if missing:
            found.append((version, missing))
    return found


def request_rerun(
    *,
    versions: Iterable[Version],
    evaluators: Iterable[str] | None = None,
    force: bool = True,
    actor: AbstractBaseUser | None = None,
    queue: str | None = None,
    enqueue: bool = True,
) -> list[EvaluationRun]:
    """Queue new runs for `versions` (all evaluators unless named); audited."""
    names = list(evaluators) if evaluators is not None else None
    runs = []
    for version in versions:
        planned = plan_evaluations(
            version=version, evaluators=names, force=force, queue=queue, enqueue=enqueue
        )
        if planned:
            AuditEvent.record(
                "evaluation.rerun", actor=actor, version=version, evaluators=[r.evaluator for r in planned]
            )
        runs += planned
    return runs


# --- execution ---------------------------------------------------------------------------------


def execute_run(*, run_id: int) -> EvaluationRun | None:
    """Run one evaluation to its recorded end. Returns None when the run no longer exists."""
    run = EvaluationRun.objects.filter(pk=run_id).select_related("version__repository__namespace").first()
    if run is None or run.is_finished:
        return run
    if run.attempts >= conf.max_attempts():
        return record_result(
            run,
            EvaluatorResult(
                status="error",
                reason=f"the evaluation was started {run.attempts} times and never finished: the worker "
                "running it was lost each time (out of memory, or restarted)",
            ),
            plugin=None,
        )
    updated = EvaluationRun.objects.filter(pk=run.pk, status__in=EvaluationRun.PENDING).update(
        status=EvaluationRun.Status.RUNNING,
        attempts=F("attempts") + 1,
        started_at=timezone.now(),
        stage="fetching files",
    )
    if not updated:
        return run
    try:
        plugin = get_plugin(run.evaluator)
    except UnknownEvaluator as exc:
        return record_result(run, EvaluatorResult(status="error", reason=str(exc)), plugin=None)
    run.evaluator_version = plugin.version  # what actually runs, if the plugin changed since queueing
    started = time.perf_counter()
    log = ""
    try:
        with tempfile.TemporaryDirectory(prefix="eval-") as scratch:
            folder = Path(scratch) / "model"
            folder.mkdir()
            fetch_files(version=run.version, dest=folder, weights=False)
            facts = build_facts(run.version, folder)
            result, log = _evaluate(run, plugin, folder, facts)
    except StoredBytesMismatch as exc:
        result = EvaluatorResult(status="failed", reason=f"integrity check failed: {exc}")
    except StorageUnavailable:
        EvaluationRun.objects.filter(pk=run.pk).update(
            status=EvaluationRun.Status.QUEUED,
            attempts=F("attempts") - 1,
            stage="storage unavailable; retrying",
        )
        raise  # the task retries with backoff
    except Exception as exc:  # a bug in an in-process plugin: the run errors, the worker lives on
        logger.exception("evaluation run %s crashed", run.pk)
        result = EvaluatorResult(status="error", reason=f"{type(exc).__name__}: {exc}"[:2000])
    return record_result(run, result, plugin=plugin, log=log, seconds=time.perf_counter() - started)


def _evaluate(
    run: EvaluationRun, plugin: Evaluator, folder: Path, facts: ModelFacts
) -> tuple[EvaluatorResult, str]:
    reason = plugin.unsupported_reason(facts)
    if reason:
        return EvaluatorResult(status="skipped", reason=reason), ""
    if plugin.isolated and memory_needed_mb(facts) > conf.memory_cap_mb():
        return EvaluatorResult(
            status="skipped",
            reason=f"the model needs about {memory_needed_mb(facts)} MB to evaluate, more than this "
            f"worker's {conf.memory_cap_mb()} MB cap (EVALUATOR_MEMORY_CAP_MB)",
        ), ""
    if plugin.needs_weights:
        _set_stage(run, "fetching weights")
        fetch_files(version=run.version, dest=folder, weights=True)
    _set_stage(run, "running in a child process" if plugin.isolated else "running")
    if not plugin.isolated:
        return plugin.run(folder, facts, seed=run.seed), ""
    outcome = run_in_child(
        plugin,
        folder,
        facts,
        seed=run.seed,
        memory_cap_mb=conf.memory_cap_mb(),
        threads=conf.threads(),
        timeout_s=plugin.timeout_s,
    )
    return outcome.result, outcome.log


def _set_stage(run: EvaluationRun, stage: str) -> None:
    EvaluationRun.objects.filter(pk=run.pk).update(stage=stage)


def build_facts(version: Version, folder: Path) -> ModelFacts:
    """Facts from the registry's rows and the verified JSON configs in `folder`."""
    files = dict(version.files.values_list("path", "size"))
    configs = {name: _json(folder / name) for name in AUTO_MAP_FILES if name in files}
    card = ModelCard.objects.filter(version=version).first()
    repository = version.repository
    return ModelFacts(
        repo_id=repository.repo_id,
        commit_id=version.commit_id or "",
        industry=repository.industry,
        task=repository.task,
        files=files,
        config=configs.get("config.json") or {},
        tokenizer_config=configs.get("tokenizer_config.json") or {},
        parameters_by_dtype=dict(version.parameters_by_dtype or {}),
        card_metadata=card.metadata if card else {},
        card_body=card.body if card else "",
        remote_code=remote_code_reasons(files, configs),
    )


def _json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


# --- recording ---------------------------------------------------------------------------------


def record_result(
    run: EvaluationRun,
    result: EvaluatorResult,
    *,
    plugin: Evaluator | None,
    log: str = "",
    seconds: float | None = None,
) -> EvaluationRun | None:
    """Store the result as the version's current one for this evaluator, metrics and badge included."""
    badge = result.badge or _default_badge(run, result, plugin)
    headline = None
    if result.status == "passed" and plugin is not None and plugin.headline_metric:
        headline = next((m.value for m in result.metrics if m.key == plugin.headline_metric), None)
    with transaction.atomic():
        locked = EvaluationRun.objects.select_for_update().filter(pk=run.pk).first()
        if locked is None:  # deleted meanwhile (its version's repository was removed)
            return None
        EvaluationRun.objects.filter(
            version_id=run.version_id, evaluator=run.evaluator, is_current=True
        ).exclude(pk=run.pk).update(is_current=False)
        evidence = result.evidence
        locked.status = result.status
        locked.evaluator_version = run.evaluator_version
        locked.reason = result.reason
        locked.stage = ""
        locked.is_current = True
        locked.badge_label, locked.badge_message, locked.badge_level = (
            (badge.label, badge.message, badge.level) if badge else ("", "", "")
        )
        locked.thresholds = result.thresholds
        locked.headline_score = headline
        locked.evidence = evidence
        locked.suite = str(evidence.get("suite") or "")
        locked.dataset_digest = str(evidence.get("suite_digest") or "")
        locked.logs = log
        locked.hardware = hardware(threads=evidence.get("threads"))
        locked.library_versions = library_versions()
        locked.duration_s = seconds
        locked.finished_at = timezone.now()
        locked.save()
        Metric.objects.filter(run=locked).delete()
        Metric.objects.bulk_create(
            Metric(
                run=locked,
                key=m.key,
                value=m.value,
                unit=m.unit,
                higher_is_better=m.higher_is_better,
                details=m.details,
            )
            for m in result.metrics
        )
        webhook_events.emit_for_version(
            "evaluation.finished",
            locked.version,
            evaluator=locked.evaluator,
            status=locked.status,
            headline_score=locked.headline_score,
            run_id=locked.pk,
        )
    logger.info("evaluation %s: %s %s", locked.pk, locked.status, locked.reason[:200])
    return locked


def _default_badge(run: EvaluationRun, result: EvaluatorResult, plugin: Evaluator | None) -> BadgeSpec | None:
    label = run.evaluator
    if result.status in ("failed", "error"):
        return BadgeSpec(label, "failed" if result.status == "failed" else "error", "fail")
    if result.status == "skipped":
        return BadgeSpec(label, "not applicable", "none")
    return None


def hardware(*, threads: Any = None) -> dict[str, Any]:
    return {
        "cpu": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "threads": threads if threads is not None else conf.threads(),
        "memory_cap_mb": conf.memory_cap_mb(),
        "machine": platform.machine(),
        "system": platform.system(),
        "device": "cpu",
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions
