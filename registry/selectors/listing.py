"""Model listing and search: filters, full text, keyset ("cursor") pages.

Hot paths return `.values()` rows (plain dicts), never model instances: at 50 rows a page, building
instances and running serializers costs more than the SQL itself (performance.md). Listings use
keyset pagination: no COUNT and no OFFSET, so page 200 costs what page 1 costs. Visibility is
`ModelRepository.objects.visible_to(user)`, the rule `services.access.access_repository` applies.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import BooleanField, F, Q, QuerySet
from django.db.models.expressions import RawSQL

from registry.errors import InvalidInput
from registry.formats.footprint import FIT_PRECISIONS
from registry.formats.relations import RELATIONS
from registry.models import ModelRepository, Publisher

DEFAULT_BRANCH = "main"
MAX_PAGE_SIZE = 1000
MAX_SEARCH_WORDS = 8

# PostgreSQL keeps each repository's full-text document in a generated, GIN-indexed column that
# Django's model does not declare (migration `repository_search_index`): name (separators as
# spaces), description, task, industry, license and tags.
SEARCH_VECTOR_SQL = '"registry_modelrepository"."search_vector"'

# Sort name -> (row columns in order, the last one unique). Values come back in every row, so the
# next page's cursor is built from the last row of this one.
SORTS: dict[str, tuple[str, ...]] = {
    "downloads": ("downloads", "pk"),
    "lastModified": ("last_modified", "pk"),
    "createdAt": ("created_at", "pk"),
    "id": ("namespace_slug", "name"),
}
_DATETIME_COLUMNS = {"last_modified", "created_at"}

# Columns of a listing row. `sha`, `last_modified`, `parameter_count` and `total_size` are those of
# the default branch's version: a repository is listed once it has a published `main`.
ROW_FIELDS = (
    "pk",
    "name",
    "industry",
    "task",
    "tags",
    "license",
    "description",
    "visibility",
    "gating",
    "downloads",
    "created_at",
)
# Annotated once by `listed_repositories`; filters and cursors use these names too, so that every
# condition reuses the same join instead of adding one.
ROW_ANNOTATIONS = {
    "namespace_slug": F("namespace__slug"),
    "sha": F("refs__version__commit_id"),
    "version_id": F("refs__version_id"),
    "last_modified": F("refs__version__published_at"),
    "parameter_count": F("refs__version__parameter_count"),
    "total_size": F("refs__version__total_size"),
}


@dataclass(frozen=True)
class ModelQuery:
    """What a model listing asks for. Every field is optional; see `list_models`."""

    search: str = ""
    author: str = ""
    tags: tuple[str, ...] = ()  # each must match: a tag, `license:<id>`, `industry:<x>` or the task
    industry: str = ""
    license: str = ""
    task: str = ""
    gated: bool | None = None
    min_parameters: int | None = None
    max_parameters: int | None = None
    fits_in_bytes: int | None = None  # the weights need at most this many bytes at `fits_precision`
    fits_precision: str = "stored"  # stored, bf16, int8 or int4 (registry/formats/footprint.py)
    sort: str = "downloads"
    descending: bool = True
    limit: int = 50
    cursor: str | None = None
    with_card: bool = False  # add each row's `card_metadata` (one more join)
    with_parameters: bool = False  # add each row's `parameters_by_dtype`


@dataclass(frozen=True)
class ModelPage:
    rows: list[dict[str, Any]]
    next_cursor: str | None = None
    query: ModelQuery = field(default_factory=ModelQuery)


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


# --- listing and search --------------------------------------------------------------------------


def listed_repositories(user) -> QuerySet[ModelRepository]:
    """Repositories `user` may see that have a published default branch, annotated with the
    columns of `ROW_ANNOTATIONS` (those of the default branch's version). The annotations come
    after the filter on the branch, so they reuse its join (one ref, one version per row)."""
    return (
        ModelRepository.objects.visible_to(user).filter(refs__name=DEFAULT_BRANCH).annotate(**ROW_ANNOTATIONS)
    )


def tags_by_type(user) -> dict[str, list[dict[str, str]]]:
    """The tags of the models `user` may see, grouped as the Hub's `models-tags-by-type` groups
    them; each `id` is a `filter` that `list_models` accepts. One query."""
    found: dict[str, dict[str, str]] = {"pipeline_tag": {}, "license": {}, "industry": {}, "other": {}}
    industries = dict(ModelRepository._meta.get_field("industry").choices)
    for task, license_id, industry, tags in listed_repositories(user).values_list(
        "task", "license", "industry", "tags"
    ):
        if task:
            found["pipeline_tag"][task] = task.replace("-", " ").capitalize()
        if license_id:
            found["license"][f"license:{license_id}"] = license_id
        found["industry"][f"industry:{industry}"] = str(industries.get(industry, industry))
        for tag in tags if isinstance(tags, list) else []:
            if isinstance(tag, str) and tag:
                found["other"].setdefault(tag, tag)
    return {
        kind: [{"id": tag, "label": label, "type": kind} for tag, label in sorted(labels.items())]
        for kind, labels in found.items()
    }


def listing_rows(user) -> QuerySet:
    """`listed_repositories` as `.values()` rows of ROW_FIELDS and ROW_ANNOTATIONS. Anonymous
    callers, the bulk of listing traffic, share one pre-built query: resolving its joins and
    annotations costs more Python than the rest of a request's SQL work (chaining clones it)."""
    if user is None or not user.is_authenticated:
        return _anonymous_rows().all()
    return listed_repositories(user).values(*ROW_FIELDS, *ROW_ANNOTATIONS)


@cache
def _anonymous_rows() -> QuerySet:
    return listed_repositories(None).values(*ROW_FIELDS, *ROW_ANNOTATIONS)


def list_models(*, user, query: ModelQuery) -> ModelPage:
    """One page of the models `user` may see, filtered, searched and sorted; one SQL query (two
    when searching, to match namespaces), whatever the page size."""
    if query.sort not in SORTS:
        raise InvalidInput(f"sort {query.sort!r} is not supported; use one of {', '.join(SORTS)}")
    if not 1 <= query.limit <= MAX_PAGE_SIZE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE_SIZE}, not {query.limit}")
    rows = _apply_filters(listing_rows(user), query)
    columns = SORTS[query.sort]
    if query.cursor:
        rows = rows.filter(_after(columns, _decode_cursor(query.cursor, columns), query.descending))
    order = [f"-{c}" if query.descending else c for c in columns]
    if query.with_card:
        rows = rows.annotate(card_metadata=F("refs__version__card__metadata"))
    if query.with_parameters:
        rows = rows.annotate(parameters_by_dtype=F("refs__version__parameters_by_dtype"))
    page = list(rows.order_by(*order)[: query.limit + 1])
    next_cursor = None
    if len(page) > query.limit:
        page = page[: query.limit]
        next_cursor = _encode_cursor([page[-1][c] for c in columns])
    return ModelPage(rows=page, next_cursor=next_cursor, query=query)


def _apply_filters(rows: QuerySet, query: ModelQuery) -> QuerySet:
    if query.author:
        rows = rows.filter(namespace__slug=query.author)
    if query.industry:
        rows = rows.filter(industry=query.industry)
    if query.license:
        rows = rows.filter(license=query.license)
    if query.task:
        rows = rows.filter(task=query.task)
    if query.gated is not None:
        gated = ~Q(gating=ModelRepository.Gating.NONE)
        rows = rows.filter(gated if query.gated else ~gated)
    if query.min_parameters is not None:
        rows = rows.filter(parameter_count__gte=query.min_parameters)
    if query.max_parameters is not None:
        rows = rows.filter(parameter_count__lte=query.max_parameters)
    if query.fits_in_bytes is not None:
        if query.fits_precision not in FIT_PRECISIONS:
            raise InvalidInput(f"fits_precision must be one of {', '.join(FIT_PRECISIONS)}")
        # An annotation reuses the branch's join; a filter on refs__version__... would add one.
        rows = rows.annotate(memory_footprint=F("refs__version__memory_footprint")).filter(
            **{f"memory_footprint__{query.fits_precision}__lte": query.fits_in_bytes}
        )
    for tag in query.tags:
        rows = rows.filter(_tag_filter(tag))
    if query.search.strip():
        rows = rows.filter(search_filter(query.search))
    return rows


def _tag_filter(tag: str) -> Q:
    kind, _, value = tag.partition(":")
    if value and kind == "license":
        return Q(license=value)
    if value and kind == "industry":
        return Q(industry=value)
    if value and kind == "base_model":  # the Hub's `base_model:ID` and `base_model:RELATION:ID`
        relation, separator, base = value.partition(":")
        if separator and relation in RELATIONS:
            return Q(base_model=base, base_model_relation=relation)
        return Q(base_model=value)
    # SQLite has no JSON containment: there, match the quoted value in the stored JSON text.
    in_tags = Q(tags__contains=[tag]) if _is_postgres() else Q(tags__icontains=json.dumps(tag))
    return in_tags | Q(task=tag) | Q(industry=tag)


def search_words(text: str) -> list[str]:
    """The words of a search, as the document splits them (separators, '/' and '_' included)."""
    return [w.lower() for w in re.findall(r"[^\W_]+", text)][:MAX_SEARCH_WORDS]


def search_filter(text: str) -> Q:
    """Every word of `text` must start a word of the repository's name, description, task, industry,
    license or tags, or of its namespace. Full text over a GIN index on PostgreSQL; substring
    matches on SQLite (the embedded default, small catalogs)."""
    words = search_words(text)
    if not words:
        return Q()
    by_namespace = _namespaces_matching(words)
    if not _is_postgres():
        result = Q()
        for word in words:
            result &= (
                Q(name__icontains=word)
                | Q(description__icontains=word)
                | Q(tags__icontains=word)
                | Q(task__icontains=word)
                | Q(industry__icontains=word)
                | Q(license__icontains=word)
                | Q(namespace_id__in=by_namespace.get(word, []))
            )
        return result
    text_only = [w for w in words if w not in by_namespace]
    result = Q(_matches_document(text_only)) if text_only else Q()
    for word, namespace_ids in by_namespace.items():
        result &= Q(_matches_document([word])) | Q(namespace_id__in=namespace_ids)
    return result


def _matches_document(words: Iterable[str]) -> RawSQL:
    tsquery = " & ".join(f"{w}:*" for w in words)  # words are letters and digits only
    return RawSQL(  # noqa: S611 - constant SQL; the words travel as a parameter
        f"{SEARCH_VECTOR_SQL} @@ to_tsquery('simple'::regconfig, %s)",
        [tsquery],
        output_field=BooleanField(),
    )


def _namespaces_matching(words: list[str]) -> dict[str, list[int]]:
    """For each word, the publishers with a slug word starting with it (publishers are few)."""
    candidates = Q()
    for word in words:
        candidates |= Q(slug__icontains=word)
    matches: dict[str, list[int]] = {}
    for pk, slug in Publisher.objects.filter(candidates).values_list("pk", "slug"):
        slug_words = search_words(slug)
        for word in words:
            if any(s.startswith(word) for s in slug_words):
                matches.setdefault(word, []).append(pk)
    return matches


# --- keyset cursors ------------------------------------------------------------------------------


def _encode_cursor(values: list[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, columns: tuple[str, ...]) -> list[Any]:
    problem = InvalidInput(f"cursor {cursor[:40]!r} is not valid; use the `next` link of a previous page")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise problem from None
    if not isinstance(values, list) or len(values) != len(columns):
        raise problem
    decoded = []
    for column, value in zip(columns, values, strict=True):
        try:
            if column in _DATETIME_COLUMNS:
                decoded.append(datetime.fromisoformat(value))
            elif column in {"pk", "downloads"}:
                if not isinstance(value, int) or isinstance(value, bool):
                    raise TypeError
                decoded.append(value)
            elif isinstance(value, str):
                decoded.append(value)
            else:
                raise TypeError
        except (TypeError, ValueError):
            raise problem from None
    return decoded


def _after(columns: tuple[str, ...], values: list[Any], descending: bool) -> Q:
    """Rows strictly after `values` in the (column, ...) order: (a, b) > (x, y) spelled as a Q."""
    op = "lt" if descending else "gt"
    result = Q()
    for i, column in enumerate(columns):
        equal = dict(zip(columns[:i], values[:i], strict=True))
        result |= Q(**equal, **{f"{column}__{op}": values[i]})
    return result
