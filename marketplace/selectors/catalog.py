"""The catalog: listed repositories filtered by facets and search, their facet counts, ranking and
pagination.

Performance shapes everything here (performance.md): rows come back as `.values()` dicts, the facet
counts of a filter combination are one SQL statement (a CTE over the filtered rows, grouped once per
facet) cached for a few seconds, and the total that pagination needs is read from those counts
instead of a separate COUNT.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Expression,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.lookups import IsNull

from evaluators import scoring
from registry import selectors as registry_selectors
from registry.models import ModelRepository, VersionFile
from registry.models.repositories import Industry

from . import evidence

DEFAULT_BRANCH = "main"
PAGE_SIZE = 30
MAX_PAGE = 1000

# Size classes by parameter count, the size evaluator's bands with the catalog's labels:
# how SLM buyers talk about size. (key, label, lower bound).
_SIZE_TEXT = {
    "tiny": "Tiny (< 100M)",
    "small": "Small (100M-1B)",
    "medium": "Medium (1B-7B)",
    "large": "Large (≥ 7B)",
}
SIZE_CLASSES = tuple((key, _SIZE_TEXT[key], lower) for key, lower in scoring.SIZE_CLASSES)
SIZE_LABELS = {key: label for key, label, _ in SIZE_CLASSES} | {"unknown": "Unknown size"}

# Score bands of the headline evaluation score (0..1). (key, label, lower bound inclusive).
SCORE_BANDS = (
    ("90", "0.90 and above", 0.9),
    ("75", "0.75 to 0.90", 0.75),
    ("50", "0.50 to 0.75", 0.5),
    ("0", "below 0.50", 0.0),
)
SCORE_LABELS = {key: label for key, label, _ in SCORE_BANDS} | {"none": "Not evaluated"}

# Sort key -> label. A ranked "relevance" sort comes on top while searching on PostgreSQL.
SORTS = {
    "downloads": "Most downloads",
    "lastModified": "Recently updated",
    "score": "Best eval score",
    "size": "Smallest first",
    "name": "Name",
}
FACETS = ("industry", "task", "license", "size", "framework", "publisher", "signed", "score")


class Row(dict):
    """A `.values()` row whose keys read as attributes too. Jinja2 tries `getattr` before `[]`, and
    the exception a plain dict raises there cost ~1 ms a page at 30 rows."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def as_rows(rows) -> list[Row]:
    return [Row(row) for row in rows]


@dataclass(frozen=True)
class CatalogQuery:
    """What a catalog page asks for; empty fields do not filter."""

    search: str = ""
    industry: str = ""
    task: str = ""
    license: str = ""
    size: str = ""
    framework: str = ""
    publisher: str = ""
    signed: bool = False
    min_score: float | None = None
    max_score: float | None = None
    fits_in: float | None = None  # GB (10^9 bytes) the weights must fit in
    fits_precision: str = ""  # "" (as stored), bf16, int8 or int4: the precision fits_in counts at
    sort: str = ""  # "" = relevance when searching on PostgreSQL, else downloads
    page: int = 1

    @property
    def effective_sort(self) -> str:
        if self.sort:
            return self.sort
        return "relevance" if self.search.strip() and connection.vendor == "postgresql" else "downloads"

    def filters(self) -> dict[str, Any]:
        """The filtering fields only (no sort, no page): what facet counts depend on."""
        values = asdict(self)
        values.pop("sort")
        values.pop("page")
        return values


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int


@dataclass
class CatalogPage:
    query: CatalogQuery
    rows: list[dict[str, Any]]
    total: int
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def catalog_rows(user) -> QuerySet:
    """Repositories `user` may see that have a published default branch, with the columns every
    catalog view filters, sorts or shows (those of the default branch's version). Every annotation
    follows the one filter on the branch, so all of them share its join: one ref, one version a row.

    Anonymous visitors, most of the traffic, share one pre-built queryset: resolving these joins and
    annotations costs more Python than PostgreSQL spends on a page of rows."""
    if user is None or not user.is_authenticated:
        return _anonymous_catalog_rows().all()
    return _build_catalog_rows(user)


@functools.cache
def _anonymous_catalog_rows() -> QuerySet:
    return _build_catalog_rows(None)


def _build_catalog_rows(user) -> QuerySet:
    rows = (
        ModelRepository.objects.visible_to(user)
        .filter(refs__name=DEFAULT_BRANCH)
        .annotate(
            version_id=F("refs__version_id"),
            namespace_slug=F("namespace__slug"),
            last_modified=F("refs__version__published_at"),
            parameter_count=F("refs__version__parameter_count"),
            total_size=F("refs__version__total_size"),
            frameworks=F("refs__version__compliance__frameworks"),
            memory_footprint=F("refs__version__memory_footprint"),
        )
    )
    return rows.annotate(
        size_class=_size_class(),
        is_signed=_has_signature(),
        score=evidence.score_expression(OuterRef("version_id")),
    )


def _has_signature() -> Expression:
    """Whether the version carries `model.sig`. A scalar subquery rather than EXISTS: PostgreSQL
    turns an EXISTS into a hash of every signed version (a scan of all files, ~30 ms at 10,000
    models) even when only a page of rows needs the answer; this one is an index probe per row."""
    signature = VersionFile.objects.filter(version_id=OuterRef("version_id"), path=evidence.SIGNATURE_PATH)
    return IsNull(Subquery(signature.values("pk")[:1]), False)


def size_class_of(parameter_count: int | None) -> str:
    return "unknown" if parameter_count is None else scoring.size_class(parameter_count)


def _size_class() -> Case:
    whens = [When(parameter_count__isnull=True, then=Value("unknown"))]
    for key, _, lower in reversed(SIZE_CLASSES):
        whens.append(When(parameter_count__gte=lower, then=Value(key)))
    return Case(*whens, default=Value("unknown"), output_field=CharField())


def filtered_rows(user, query: CatalogQuery) -> QuerySet:
    rows = catalog_rows(user)
    if query.industry:
        rows = rows.filter(industry=query.industry)
    if query.task:
        rows = rows.filter(task=query.task)
    if query.license:
        rows = rows.filter(license=query.license)
    if query.publisher:
        rows = rows.filter(namespace__slug=query.publisher)
    if query.size:
        rows = rows.filter(_size_filter(query.size))
    if query.framework:
        rows = rows.filter(_framework_filter(query.framework))
    if query.signed:
        rows = rows.filter(is_signed=True)
    if query.min_score is not None:
        rows = rows.filter(score__gte=query.min_score)
    if query.max_score is not None:
        rows = rows.filter(score__lte=query.max_score)
    if query.fits_in is not None:
        rows = rows.filter(fits_filter(query.fits_in, query.fits_precision))
    if query.search.strip():
        rows = rows.filter(registry_selectors.search_filter(query.search))
    return rows


def _size_filter(size: str) -> Q:
    """A range on the parameter count (not the size_class CASE, which PostgreSQL cannot estimate)."""
    if size == "unknown":
        return Q(parameter_count__isnull=True)
    bounds = [lower for _, _, lower in SIZE_CLASSES] + [None]
    keys = [key for key, _, _ in SIZE_CLASSES]
    index = keys.index(size)
    condition = Q(parameter_count__gte=bounds[index])
    if bounds[index + 1] is not None:
        condition &= Q(parameter_count__lt=bounds[index + 1])
    return condition


def fits_filter(gigabytes: float, precision: str = "") -> Q:
    """Versions whose weights need at most `gigabytes` GB at `precision` (as stored when "").
    From the footprint computed at ingest; a version without weights never fits."""
    key = precision or "stored"
    return Q(**{f"memory_footprint__{key}__lte": int(gigabytes * 1e9)})


def _framework_filter(framework: str) -> Q:
    # On the annotation, not on refs__version__...: a second filter() on a multi-valued relation
    # would join the refs again.
    if connection.vendor == "postgresql":
        return Q(frameworks__contains=[framework])
    # SQLite has no JSON containment: match the quoted value inside the stored JSON text.
    return Q(frameworks__icontains=json.dumps(framework))


ROW_FIELDS = (
    "pk",
    "namespace_slug",
    "last_modified",
    "total_size",
    "name",
    "industry",
    "task",
    "license",
    "description",
    "tags",
    "downloads",
    "gating",
    "visibility",
    "parameter_count",
    "size_class",
    "is_signed",
    "frameworks",
    "score",
    "kind",
)


def _ordering(query: CatalogQuery) -> list:
    sort = query.effective_sort
    if sort == "relevance":
        return [F("rank").desc(), "-downloads", "-pk"]
    if sort == "lastModified":
        return [F("last_modified").desc(), "-pk"]
    if sort == "score":
        return [F("score").desc(nulls_last=True), "-downloads", "-pk"]
    if sort == "size":
        return [F("parameter_count").asc(nulls_last=True), "pk"]
    if sort == "name":
        return ["namespace_slug", "name"]
    return ["-downloads", "-pk"]


def _rank(search: str) -> RawSQL:
    """ts_rank of the repository document against the search's prefix query (PostgreSQL only)."""
    words = registry_selectors.search_words(search)
    tsquery = " | ".join(f"{w}:*" for w in words)  # any word ranks; the filter already needs all
    return RawSQL(  # noqa: S611 - a constant expression; the search words are a bound parameter
        f"ts_rank({registry_selectors.SEARCH_VECTOR_SQL}, to_tsquery('simple'::regconfig, %s))",
        [tsquery],
        output_field=FloatField(),
    )


def catalog_page(*, user, query: CatalogQuery, visibility_scope: str) -> CatalogPage:
    """One page of the catalog: rows (one query) and facet counts (one query, cached briefly)."""
    rows = filtered_rows(user, query)
    facets = facet_counts(rows, query=query, visibility_scope=visibility_scope)
    total = sum(f.count for f in facets.get("industry", []))
    if query.effective_sort == "relevance":
        rows = rows.annotate(rank=_rank(query.search))
    offset = (query.page - 1) * PAGE_SIZE
    page_rows = as_rows(rows.values(*ROW_FIELDS).order_by(*_ordering(query))[offset : offset + PAGE_SIZE])
    return CatalogPage(query=query, rows=page_rows, total=total, facets=facets)


def facet_counts(
    rows: QuerySet, *, query: CatalogQuery, visibility_scope: str
) -> dict[str, list[FacetValue]]:
    """Counts of every facet value among the rows matching `query`, from one SQL statement.

    Cached for settings.MARKETPLACE_FACET_CACHE_SECONDS per (filters, visibility scope): listing rows
    stay live, counts may lag a new publication by that long, which lets the page meet its latency
    target.
    """
    key_source = json.dumps([query.filters(), visibility_scope, connection.vendor], sort_keys=True)
    key = "catalog-facets:v1:" + hashlib.sha256(key_source.encode()).hexdigest()
    seconds = settings.MARKETPLACE_FACET_CACHE_SECONDS
    if seconds:
        cached = cache.get(key)
        if cached is not None:
            return cached
    counts = _facet_counts_query(rows)
    facets = _label_facets(counts)
    if seconds:
        cache.set(key, facets, seconds)
    return facets


# The score band of a raw score, in the statement that groups the CTE's rows: banding inside the
# CTE with a Case would repeat the score subquery once per branch.
SCORE_BAND_SQL = (
    "CASE WHEN f_score IS NULL THEN 'none' "
    + " ".join(f"WHEN f_score >= {lower!r} THEN '{key}'" for key, _, lower in SCORE_BANDS)
    + " ELSE '0' END"
)


def _facet_counts_query(rows: QuerySet) -> list[tuple[str, str | None, int]]:
    matched = rows.order_by().values(
        f_industry=F("industry"),
        f_task=F("task"),
        f_license=F("license"),
        f_publisher=F("namespace_slug"),
        f_size=F("size_class"),
        f_version=F("version_id"),
        f_frameworks=F("frameworks"),
        f_score=F("score"),
    )
    sql, params = matched.query.sql_with_params()
    if connection.vendor == "postgresql":
        frameworks = (
            "SELECT 'framework', f.value, COUNT(*) FROM matched "
            "CROSS JOIN LATERAL jsonb_array_elements_text("
            "CASE WHEN jsonb_typeof(matched.f_frameworks) = 'array' THEN matched.f_frameworks "
            "ELSE '[]'::jsonb END) AS f(value) GROUP BY f.value"
        )
    else:
        frameworks = (
            "SELECT 'framework', f.value, COUNT(*) FROM matched, "
            "json_each(CASE WHEN json_type(matched.f_frameworks) = 'array' THEN matched.f_frameworks "
            "ELSE '[]' END) AS f GROUP BY f.value"
        )
    grouped = " UNION ALL ".join(
        [
            *(
                f"SELECT '{facet}', {column}, COUNT(*) FROM matched GROUP BY {column}"  # noqa: S608 - constants
                for facet, column in (
                    ("industry", "f_industry"),
                    ("task", "f_task"),
                    ("license", "f_license"),
                    ("publisher", "f_publisher"),
                    ("size", "f_size"),
                )
            ),
            f"SELECT 'score', {SCORE_BAND_SQL}, COUNT(*) FROM matched GROUP BY 2",  # noqa: S608 - constants
            # A join, not a per-row subquery: PostgreSQL prices a subquery over 10,000 rows high
            # enough to spend ~50 ms JIT-compiling the statement, and the join is cheaper anyway.
            f"SELECT 'signed', CASE WHEN s.version_id IS NULL THEN 'no' ELSE 'yes' END, COUNT(*) "  # noqa: S608
            f"FROM matched LEFT JOIN {VersionFile._meta.db_table} s "
            "ON s.version_id = matched.f_version AND s.path = %s GROUP BY 2",
            frameworks,
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(f"WITH matched AS ({sql}) {grouped}", [*params, evidence.SIGNATURE_PATH])
        return [(facet, value, count) for facet, value, count in cursor.fetchall()]


def _label_facets(counts: list[tuple[str, str | None, int]]) -> dict[str, list[FacetValue]]:
    industries = dict(Industry.choices)
    labels = {
        "industry": lambda v: industries.get(v, v),
        "size": lambda v: SIZE_LABELS.get(v, v),
        "score": lambda v: SCORE_LABELS.get(v, v),
        "signed": lambda v: "Signed" if v == "yes" else "Not signed",
    }
    facets: dict[str, list[FacetValue]] = {facet: [] for facet in FACETS}
    for facet, value, count in counts:
        if value in (None, ""):
            continue
        label = labels.get(facet, lambda v: v)(value)
        facets[facet].append(FacetValue(value=str(value), label=str(label), count=int(count)))
    fixed_order = {
        "size": [key for key, _, _ in SIZE_CLASSES] + ["unknown"],
        "score": [key for key, _, _ in SCORE_BANDS] + ["none"],
        "signed": ["yes", "no"],
    }
    for facet, values in facets.items():
        if facet in fixed_order:
            position = {key: i for i, key in enumerate(fixed_order[facet])}
            values.sort(key=lambda f: position.get(f.value, len(position)))
        else:
            values.sort(key=lambda f: (-f.count, f.label.lower()))
    return facets
