"""HTTP: badge SVGs, the evidence page, run progress and leaderboards. Thin: reads go through the
registry's access gate (private: 404; gated metadata stays readable) and the selectors."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from evaluators import badges, selectors
from evaluators.models import EvaluationRun
from evaluators.plugins import all_plugins
from registry.api.views.base import ERRORS, RegistryAPIView
from registry.api.views.versions import version_for
from registry.authentication import InvalidToken, token_from_request
from registry.errors import InvalidInput, NotFound, RegistryError
from registry.hub_api import revisions
from registry.models import ModelRepository, Version
from registry.models.repositories import Industry
from registry.services import access


class EvaluatorNotFound(NotFound):
    code = "EvaluatorNotFound"


def _check_evaluator(evaluator: str) -> None:
    if evaluator not in all_plugins():
        raise EvaluatorNotFound(f"no evaluator named {evaluator!r}; evaluators: {', '.join(all_plugins())}")


def _version(request: HttpRequest, namespace: str, name: str, revision: str) -> Version:
    """For the plain (non-DRF) views: bearer token or session user, then the access gate."""
    token = token_from_request(request)
    user = token.user if token is not None else request.user
    repository = access.access_repository(repository_id=f"{namespace}/{name}", user=user)
    version = revisions.resolve(repository, revision)
    return Version.objects.select_related("repository__namespace").get(pk=version.pk)


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def badge(
    request: HttpRequest, namespace: str, name: str, evaluator: str, revision: str | None = None
) -> HttpResponse:
    """`badges/{evaluator}.svg` (`?revision=`, default main) and `revisions/{rev}/badges/{evaluator}.svg`."""
    try:
        _check_evaluator(evaluator)
        version = _version(request, namespace, name, revision or request.GET.get("revision", "main"))
    except InvalidToken as exc:
        return _error(401, "InvalidToken", str(exc))
    except RegistryError as exc:
        return _error(exc.status, exc.code, exc.message)
    run = selectors.current_run(version, evaluator)
    if run is not None and run.badge_label:
        label, message, level = run.badge_label, run.badge_message, run.badge_level
        if selectors.is_stale(run) and version.evaluation_runs.filter(evaluator=evaluator).pending().exists():
            message += " (re-running)"
    else:
        pending = version.evaluation_runs.filter(evaluator=evaluator).pending().first()
        label, message, level = (
            badges.pending(evaluator, pending.status) if pending else badges.not_evaluated(evaluator)
        )
    link = request.build_absolute_uri(selectors.evidence_path(version, evaluator))
    tag = badges.etag(label, message, level, link)
    private = version.repository.visibility == ModelRepository.Visibility.PRIVATE
    headers = {
        "ETag": tag,
        "Cache-Control": "private, max-age=60" if private else "public, max-age=300",
        "Link": f'<{link}>; rel="describedby"',
    }
    if request.headers.get("If-None-Match") == tag:
        return HttpResponseNotModified(headers=headers)
    svg = badges.render(label=label, message=message, level=level, link=link)
    return HttpResponse(svg, content_type="image/svg+xml", headers=headers)


def evidence_page(
    request: HttpRequest, namespace: str, name: str, revision: str, evaluator: str
) -> HttpResponse:
    """What a badge links to: the result, its metrics and how they were obtained."""
    try:
        _check_evaluator(evaluator)
        version = _version(request, namespace, name, revision)
    except InvalidToken as exc:
        return _error(401, "InvalidToken", str(exc))
    except RegistryError as exc:
        return render(
            request, "evaluators/error.html", {"code": exc.code, "message": exc.message}, status=exc.status
        )
    run = selectors.current_run(version, evaluator)
    history = list(version.evaluation_runs.filter(evaluator=evaluator).order_by("-created_at", "-id")[:20])
    badge_url = request.build_absolute_uri(selectors.badge_path(version, evaluator))
    # For a README: the badge of the default branch, so the embed follows new versions.
    latest_badge = request.build_absolute_uri(
        reverse("evaluation-badge", kwargs={"namespace": namespace, "name": name, "evaluator": evaluator})
    )
    page_url = request.build_absolute_uri(request.path)
    context = {
        "version": version,
        "repository": version.repository,
        "evaluator": all_plugins()[evaluator],
        "run": run,
        "stale": run is not None and selectors.is_stale(run),
        "history": history,
        "badge_url": badge_url,
        "markdown": f"[![{evaluator}]({latest_badge})]({page_url})",
        "run_json": run_payload(run, request, detail=True) if run else None,
    }
    return render(request, "evaluators/evidence.html", context)


def run_payload(run: EvaluationRun, request, *, detail: bool = False) -> dict[str, Any]:
    version = run.version
    payload: dict[str, Any] = {
        "evaluator": run.evaluator,
        "evaluator_version": run.evaluator_version,
        "stale": selectors.is_stale(run),
        "status": run.status,
        "stage": run.stage,
        "reason": run.reason,
        "badge": {"label": run.badge_label, "message": run.badge_message, "level": run.badge_level},
        "badge_url": request.build_absolute_uri(selectors.badge_path(version, run.evaluator)),
        "evidence_url": request.build_absolute_uri(selectors.evidence_path(version, run.evaluator)),
        "headline_score": run.headline_score,
        "metrics": [
            {"key": m.key, "value": m.value, "unit": m.unit, "higher_is_better": m.higher_is_better}
            | ({"details": m.details} if detail else {})
            for m in run.metrics.all()
        ],
        "suite": run.suite,
        "dataset_digest": run.dataset_digest,
        "seed": run.seed,
        "attempts": run.attempts,
        "duration_s": run.duration_s,
        "queued_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
    }
    if detail:
        payload.update(
            thresholds=run.thresholds,
            evidence=run.evidence,
            hardware=run.hardware,
            library_versions=run.library_versions,
            logs=run.logs,
        )
    return payload


class EvaluationRunsView(RegistryAPIView):
    @extend_schema(operation_id="list_evaluation_runs", responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def get(self, request: Request, namespace: str, name: str, revision: str) -> Response:
        """Progress (the newest run of each evaluator, queued to finished) and current results."""
        version = version_for(request, namespace, name, revision)
        return Response(
            {
                "commit_id": version.commit_id,
                "progress": selectors.progress(version),
                "results": [run_payload(run, request) for run in selectors.current_runs(version)],
            }
        )


class EvaluationRunView(RegistryAPIView):
    @extend_schema(operation_id="get_evaluation_run", responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def get(self, request: Request, namespace: str, name: str, revision: str, evaluator: str) -> Response:
        """The evaluator's current result with all its evidence, and the earlier runs."""
        _check_evaluator(evaluator)
        version = version_for(request, namespace, name, revision)
        run = selectors.current_run(version, evaluator)
        history = version.evaluation_runs.filter(evaluator=evaluator).order_by("-created_at", "-id")[:20]
        return Response(
            {
                "commit_id": version.commit_id,
                "current": run_payload(run, request, detail=True) if run else None,
                "history": [run_payload(r, request) for r in history],
            }
        )


class LeaderboardListView(RegistryAPIView):
    @extend_schema(operation_id="list_leaderboards", responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def get(self, request: Request) -> Response:
        """The (industry, task) leaderboards that have scored models, and the benchmark ranking each."""
        return Response({"leaderboards": selectors.leaderboard_boards(user=request.user)})


class LeaderboardView(RegistryAPIView):
    @extend_schema(
        operation_id="get_leaderboard",
        parameters=[OpenApiParameter("limit", OpenApiTypes.INT, description="1 to 100 (default 100)")],
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request: Request, industry: str, task: str) -> Response:
        """Models of one industry and task ranked by the task's domain benchmark on their default
        branch, with the parameter count beside the score."""
        if industry not in Industry.values:
            raise InvalidInput(f"unknown industry {industry!r}; industries: {', '.join(Industry.values)}")
        if task not in selectors.BENCHMARK_FOR_TASK:
            raise InvalidInput(
                f"no benchmark ranks task {task!r}; ranked tasks: {', '.join(selectors.BENCHMARK_FOR_TASK)}"
            )
        raw = request.query_params.get("limit", str(selectors.LEADERBOARD_SIZE))
        if not raw.isdigit() or not 1 <= int(raw) <= selectors.LEADERBOARD_SIZE:
            raise InvalidInput(
                f"limit must be an integer from 1 to {selectors.LEADERBOARD_SIZE}, not {raw[:20]!r}"
            )
        entries = selectors.leaderboard(user=request.user, industry=industry, task=task, limit=int(raw))
        return Response(
            {
                "industry": industry,
                "task": task,
                "benchmark": selectors.BENCHMARK_FOR_TASK[task],
                "entries": [
                    {**entry.__dict__, "evidence_url": request.build_absolute_uri(entry.evidence_url)}
                    for entry in entries
                ],
            }
        )
