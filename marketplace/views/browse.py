"""Publisher pages, the compare page and the industry leaderboards."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from registry.errors import InvalidInput, NotFound
from registry.models import ModelRepository, Publisher
from registry.models.repositories import Industry
from registry.services import access

from .. import charts
from ..forms import MAX_COMPARED, parse_compare_ids
from ..selectors import evidence
from ..selectors.home import industry_counts
from ..selectors.leaderboards import leaderboard, tasks_of
from ..selectors.model_page import compare_rows, pending_requests_by_repository, publisher_models
from .base import page, render_page


@require_safe
@page
def publisher_page(request: HttpRequest, namespace: str) -> HttpResponse:
    publisher = Publisher.objects.filter(slug=namespace).first()
    if publisher is None:
        raise NotFound(f"publisher {namespace} not found")
    models = publisher_models(user=request.user, publisher=publisher)
    return render_page(
        request,
        "marketplace/publisher.html",
        {
            "publisher": publisher,
            "models": models,
            "pending": pending_requests_by_repository(user=request.user, publisher=publisher),
        },
    )


@require_safe
@page
def compare(request: HttpRequest) -> HttpResponse:
    ids = parse_compare_ids(request.GET.getlist("models"))
    repositories: list[ModelRepository] = [
        access.access_repository(repository_id=repo_id, user=request.user) for repo_id in ids
    ]
    rows = compare_rows(user=request.user, repositories=repositories)
    missing = [r.repo_id for r in repositories if r.pk not in {row["pk"] for row in rows}]
    if missing:  # visible but nothing published on main yet
        raise NotFound(f"{', '.join(missing)} has no published version to compare")
    metric_names = sorted({name for row in rows for name in row["metrics"]})
    slots = [*ids, *[""] * (MAX_COMPARED - len(ids))]
    return render_page(
        request,
        "marketplace/compare.html",
        {"rows": rows, "metric_names": metric_names, "slots": slots, "max_compared": MAX_COMPARED},
    )


@require_safe
@page
def leaderboards(request: HttpRequest) -> HttpResponse:
    industries = industry_counts(request.user)
    choices = dict(Industry.choices)
    industry = request.GET.get("industry") or (industries[0]["slug"] if industries else "")
    if industry and industry not in choices:
        raise InvalidInput(f"industry {industry[:40]!r} is not one of {', '.join(choices)}")
    tasks = tasks_of(user=request.user, industry=industry) if industry else []
    task = request.GET.get("task") or (tasks[0]["task"] if tasks else "")
    if task and task not in {t["task"] for t in tasks}:
        raise NotFound(f"no {choices[industry]} models have the task {task[:60]!r}")
    rows = leaderboard(user=request.user, industry=industry, task=task) if task else []
    return render_page(
        request,
        "marketplace/leaderboards.html",
        {
            "industries": industries,
            "industry": industry,
            "industry_label": choices.get(industry, industry),
            "tasks": tasks,
            "task": task,
            "rows": rows,
            "chart": charts.quality_vs_size(rows),
            "scores_available": evidence.scores_available(),
        },
    )
