"""Home and catalog pages."""

from __future__ import annotations

from dataclasses import asdict
from urllib.parse import quote

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from registry.errors import NotFound
from registry.models.repositories import Industry

from ..forms import parse_catalog_query
from ..jinja import with_query
from ..selectors import catalog as catalog_selectors
from ..selectors import evidence
from ..selectors.catalog import Row
from ..selectors.home import home_sections
from .base import page, render_page, visibility_scope

FACET_TITLES = {
    "industry": "Industry",
    "task": "Task",
    "size": "Size",
    "license": "License",
    "framework": "Compliance framework",
    "score": "Eval score",
    "publisher": "Publisher",
    "signed": "Signature",
}
# How many values a facet shows before the rest are folded away.
FACET_VISIBLE = 8


@require_safe
@page
def home(request: HttpRequest) -> HttpResponse:
    sections = home_sections(request.user)
    return render_page(request, "marketplace/home.html", {**sections, "industry_choices": Industry.choices})


@require_safe
@page
def catalog(request: HttpRequest) -> HttpResponse:
    query = parse_catalog_query(request.GET)
    result = catalog_selectors.catalog_page(
        user=request.user, query=query, visibility_scope=visibility_scope(request)
    )
    if query.page > result.page_count:
        raise NotFound(f"page {query.page} does not exist: these filters give {result.page_count} page(s)")
    params = _link_params(query)
    return render_page(
        request,
        "marketplace/catalog.html",
        {
            "query": query,
            "result": result,
            "link_params": params,
            "facets": _facet_links(result.facets, params),
            "active_filters": _active_filters(params),
            "sorts": _sort_links(query, params),
            "pages": _page_links(query.page, result.page_count, params, query.sort),
            "scores_available": evidence.scores_available(),
            "page_size": catalog_selectors.PAGE_SIZE,
        },
    )


def _link_params(query) -> dict:
    """The filters of `query` as URL parameters (sort and page excluded)."""
    params = {k: v for k, v in asdict(query).items() if k not in {"sort", "page"}}
    params["signed"] = "1" if query.signed else ""
    return params


def _facet_links(facets: dict, params: dict) -> list[dict]:
    """Each facet with, per value, the link that selects it (or clears it when already selected)."""
    bands = {key: lower for key, _, lower in catalog_selectors.SCORE_BANDS}
    blocks = []
    for facet, title in FACET_TITLES.items():
        entries = []
        others = with_query("/models", {**params, facet: ""})  # encoded once per facet, not per value
        joiner = "&" if "?" in others else "?"
        for value in facets.get(facet, []):
            url: str | None
            if facet == "signed":
                if value.value != "yes":
                    continue  # "not signed" is no filter anyone asks for
                selected = bool(params["signed"])
                url = with_query("/models", {**params, "signed": "" if selected else "1"})
            elif facet == "score":
                selected = value.value in bands and params.get("min_score") == bands[value.value]
                cleared = {**params, "min_score": None, "max_score": None}
                url = (
                    None
                    if value.value not in bands
                    else with_query("/models", cleared if selected else {**cleared, "score": value.value})
                )
            else:
                selected = params.get(facet) == value.value
                url = others if selected else f"{others}{joiner}{facet}={quote(value.value)}"
            entries.append(Row(label=value.label, count=value.count, url=url, selected=selected))
        if entries:
            blocks.append(
                Row(key=facet, title=title, visible=entries[:FACET_VISIBLE], folded=entries[FACET_VISIBLE:])
            )
    return blocks


def _active_filters(params: dict) -> list[dict]:
    labels = {
        "search": "Search",
        "industry": "Industry",
        "task": "Task",
        "license": "License",
        "size": "Size",
        "framework": "Framework",
        "publisher": "Publisher",
        "signed": "Signed only",
        "min_score": "Score ≥",
        "max_score": "Score ≤",
        "fits_in": "Fits in GB",
        "fits_precision": "at",
    }
    active = []
    for key, label in labels.items():
        value = params.get(key)
        if value in (None, "", False):
            continue
        shown = (
            ""
            if key == "signed"
            else (dict(Industry.choices).get(value, value) if key == "industry" else value)
        )
        active.append(Row(label=label, value=shown, url=with_query("/models", {**params, key: ""})))
    return active


def _sort_links(query, params: dict) -> list[dict]:
    options = dict(catalog_selectors.SORTS)
    current = query.sort or query.effective_sort
    if query.search.strip() and connection.vendor == "postgresql":
        options = {"": "Best match", **options}  # ranked full-text search (PostgreSQL)
        current = query.sort
    return [
        Row(
            value=value,
            label=label,
            selected=value == current,
            url=with_query("/models", {**params, "sort": value}),
        )
        for value, label in options.items()
    ]


def _page_links(current: int, count: int, params: dict, sort: str) -> dict:
    def url(number: int) -> str:
        return with_query("/models", {**params, "sort": sort, "page": number if number > 1 else None})

    window = sorted({1, count, *range(max(1, current - 2), min(count, current + 2) + 1)})
    numbers: list[int | None] = []
    for number in window:
        if numbers and number - (numbers[-1] or 0) > 1:
            numbers.append(None)  # a gap
        numbers.append(number)
    return Row(
        current=current,
        count=count,
        previous=url(current - 1) if current > 1 else None,
        next=url(current + 1) if current < count else None,
        numbers=[Row(number=n, url=url(n) if n else None, current=n == current) for n in numbers],
    )
