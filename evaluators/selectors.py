"""Read-side queries over evaluation results, for pages, APIs and the Hub card.

Providers other apps look for (marketplace.selectors.evidence, registry.selectors):
`headline_score_subquery`, `badges_for_version`, `model_index_results`, `prefetch_current_runs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Expression, F, FloatField, OuterRef, Prefetch, Subquery, prefetch_related_objects
from django.urls import reverse

from evaluators.models import EvaluationRun
from evaluators.plugins import all_plugins
from registry.models import ModelRepository, Ref, Version

DEFAULT_BRANCH = "main"
# The benchmark that ranks a leaderboard, by the repository's task.
BENCHMARK_FOR_TASK = {
    "text-generation": "domain-benchmark",
    "sentence-similarity": "retrieval",
    "feature-extraction": "retrieval",
}
LEADERBOARD_SIZE = 100


PREFETCHED_RUNS = "prefetched_current_runs"


def prefetch_current_runs(*, version: Version) -> None:
    """Read the version's current runs and their metrics once for a page that shows them through
    several providers (badges, model-index metrics): `current_runs` then uses this copy. Only for
    read-only pages: a run recorded later is not seen through this instance."""
    runs = EvaluationRun.objects.current().prefetch_related("metrics")
    prefetch_related_objects([version], Prefetch("evaluation_runs", queryset=runs, to_attr=PREFETCHED_RUNS))


def current_runs(version: Version) -> list[EvaluationRun]:
    """The version's current result per evaluator, in the configured evaluator order."""
    order = {name: n for n, name in enumerate(all_plugins())}
    runs = getattr(version, PREFETCHED_RUNS, None)
    if runs is None:
        runs = list(version.evaluation_runs.current().prefetch_related("metrics"))
    return sorted(runs, key=lambda r: (order.get(r.evaluator, len(order)), r.evaluator))


def progress(version: Version) -> list[dict[str, Any]]:
    """What a publisher watches: per evaluator, the newest run (queued, running or finished)."""
    newest: dict[str, EvaluationRun] = {}
    for run in version.evaluation_runs.order_by("-created_at", "-id"):
        newest.setdefault(run.evaluator, run)
    order = {name: n for n, name in enumerate(all_plugins())}
    return [
        {
            "evaluator": run.evaluator,
            "evaluator_version": run.evaluator_version,
            "status": run.status,
            "stage": run.stage,
            "reason": run.reason,
            "attempts": run.attempts,
            "queued_at": run.created_at,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
        }
        for run in sorted(newest.values(), key=lambda r: order.get(r.evaluator, len(order)))
    ]


def current_run(version: Version, evaluator: str) -> EvaluationRun | None:
    return version.evaluation_runs.current().filter(evaluator=evaluator).prefetch_related("metrics").first()


def is_stale(run: EvaluationRun) -> bool:
    plugin = all_plugins().get(run.evaluator)
    return plugin is None or plugin.version != run.evaluator_version


def evidence_path(version: Version, evaluator: str) -> str:
    repository = version.repository
    return reverse(
        "evaluation-evidence",
        kwargs={
            "namespace": repository.namespace.slug,
            "name": repository.name,
            "revision": version.commit_id,
            "evaluator": evaluator,
        },
    )


def badge_path(version: Version, evaluator: str) -> str:
    repository = version.repository
    return reverse(
        "evaluation-revision-badge",
        kwargs={
            "namespace": repository.namespace.slug,
            "name": repository.name,
            "revision": version.commit_id,
            "evaluator": evaluator,
        },
    )


def badges_for_version(*, version: Version) -> list[dict[str, Any]]:
    """Badges of the version's current results (skipped evaluators have none to show)."""
    return [
        {
            "key": run.evaluator,
            "label": run.badge_label,
            "message": run.badge_message,
            "level": run.badge_level,
            "status": run.status,
            "reason": run.reason,
            "stale": is_stale(run),
            "svg_url": badge_path(version, run.evaluator),
            "evidence_url": evidence_path(version, run.evaluator),
        }
        for run in current_runs(version)
        if run.status != EvaluationRun.Status.SKIPPED and run.badge_label
    ]


# --- model-index ---------------------------------------------------------------------------------

# Metric key -> (model-index metric type, display name). Types follow the Hub's metric ids.
_INDEX_METRICS: dict[str, dict[str, tuple[str, str]]] = {
    "domain-benchmark": {
        "mc_accuracy": ("accuracy", "MC accuracy"),
        "mc_accuracy_norm": ("accuracy", "MC accuracy (length-normalised)"),
        "bits_per_byte": ("bits_per_byte", "Bits per byte"),
    },
    "retrieval": {
        "mrr": ("mrr", "MRR"),
        "recall_at_1": ("recall", "Recall@1"),
        "recall_at_5": ("recall", "Recall@5"),
    },
}
_INDEX_TASKS = {"domain-benchmark": "text-generation", "retrieval": "sentence-similarity"}


def model_index_results(*, version: Version) -> list[dict[str, Any]]:
    """The version's passed benchmark results as Hub `model-index` result entries."""
    results = []
    for run in current_runs(version):
        wanted = _INDEX_METRICS.get(run.evaluator)
        if not wanted or run.status != EvaluationRun.Status.PASSED:
            continue
        values = {m.key: m.value for m in run.metrics.all()}
        metrics = [
            {"type": kind, "name": name, "value": round(values[key], 4), "verified": False}
            for key, (kind, name) in wanted.items()
            if key in values
        ]
        if not metrics:
            continue
        results.append(
            {
                "task": {"type": _INDEX_TASKS[run.evaluator], "name": all_plugins()[run.evaluator].title}
                if run.evaluator in all_plugins()
                else {"type": _INDEX_TASKS[run.evaluator]},
                "dataset": {
                    "type": f"slm-registry/{run.suite or run.evaluator}",
                    "name": f"SLM Registry {run.suite or run.evaluator} suite",
                    "revision": run.dataset_digest or None,
                },
                "metrics": metrics,
                "source": {"name": "SLM Registry evaluation", "url": evidence_path(version, run.evaluator)},
            }
        )
    return results


def model_index(version: Version) -> list[dict[str, Any]]:
    """The whole `model-index` block for the version's card (empty when nothing passed)."""
    results = model_index_results(version=version)
    return [{"name": version.repository.name, "results": results}] if results else []


# --- scores and leaderboards -------------------------------------------------------------------


def headline_score_subquery(*, version_id: OuterRef) -> Expression:
    """The version's headline score (domain benchmark accuracy, or retrieval MRR), NULL when none."""
    return Subquery(
        EvaluationRun.objects.filter(
            version_id=version_id,
            is_current=True,
            status=EvaluationRun.Status.PASSED,
            headline_score__isnull=False,
        )
        .order_by("-finished_at")
        .values("headline_score")[:1],
        output_field=FloatField(),
    )


@dataclass(frozen=True)
class LeaderboardEntry:
    rank: int
    repo_id: str
    commit_id: str
    score: float
    metric: str
    parameter_count: int | None
    score_per_billion_parameters: float | None
    badge_level: str
    evidence_url: str


def leaderboard_boards(*, user) -> list[dict[str, Any]]:
    """Which (industry, task) leaderboards have at least one scored model visible to `user`."""
    boards: dict[tuple[str, str], int] = {}
    rows = (
        EvaluationRun.objects.filter(
            is_current=True,
            status=EvaluationRun.Status.PASSED,
            headline_score__isnull=False,
            version__refs__name=DEFAULT_BRANCH,
            version__repository__in=ModelRepository.objects.visible_to(user),
        )
        .values_list("version__repository__industry", "version__repository__task", "evaluator")
        .distinct()
    )
    for industry, task, evaluator in rows:
        if BENCHMARK_FOR_TASK.get(task) == evaluator:
            boards[(industry, task)] = boards.get((industry, task), 0) + 1
    return [
        {"industry": industry, "task": task, "benchmark": BENCHMARK_FOR_TASK[task]}
        for industry, task in sorted(boards)
    ]


def leaderboard(*, user, industry: str, task: str, limit: int = LEADERBOARD_SIZE) -> list[LeaderboardEntry]:
    """Models of `industry` and `task` visible to `user`, ranked by the task's benchmark on their
    default branch; ties go to the smaller model. Parameter count sits beside the score: quality per
    size is what SLM buyers compare."""
    evaluator = BENCHMARK_FOR_TASK[task]
    heads = Ref.objects.filter(
        name=DEFAULT_BRANCH,
        repository__in=ModelRepository.objects.visible_to(user).filter(industry=industry, task=task),
    ).values("version_id")
    runs = (
        EvaluationRun.objects.filter(
            version_id__in=heads,
            evaluator=evaluator,
            is_current=True,
            status=EvaluationRun.Status.PASSED,
            headline_score__isnull=False,
        )
        .select_related("version__repository__namespace")
        .order_by(
            "-headline_score",
            F("version__parameter_count").asc(nulls_last=True),
            "version__repository__namespace__slug",
            "version__repository__name",
        )
    )[:limit]
    plugin = all_plugins().get(evaluator)
    metric = plugin.headline_metric if plugin is not None and plugin.headline_metric else "score"
    entries = []
    for rank, run in enumerate(runs, start=1):
        version = run.version
        params = version.parameter_count
        entries.append(
            LeaderboardEntry(
                rank=rank,
                repo_id=version.repository.repo_id,
                commit_id=version.commit_id or "",
                score=run.headline_score or 0.0,
                metric=metric,
                parameter_count=params,
                score_per_billion_parameters=(run.headline_score or 0.0) / (params / 1e9) if params else None,
                badge_level=run.badge_level,
                evidence_url=evidence_path(version, evaluator),
            )
        )
    return entries
