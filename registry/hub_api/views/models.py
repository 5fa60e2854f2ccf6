"""`GET /api/models` (list_models) and `GET /api/models/{repo}[/revision/{rev}]` (model_info)."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse

from registry import selectors
from registry.errors import InvalidInput, RepositoryNotFound
from registry.models import VersionFile
from registry.services.access import access_repository
from registry.storage import get_store

from .. import params, payloads
from ..endpoints import Caller, hub_endpoint
from ..responses import absolute_link, hub_json
from ..revisions import resolve

DEFAULT_PAGE_SIZE = 100
MAX_CONFIG_SIZE = 1 << 20
# The Hub's sorts; we keep no likes or trending scores, so those two sort by downloads.
SORTS = {
    "downloads": "downloads",
    "likes": "downloads",
    "trendingScore": "downloads",
    "lastModified": "lastModified",
    "createdAt": "createdAt",
    "id": "id",
    "modelId": "id",
}


@hub_endpoint("GET")
def list_models(request: HttpRequest, caller: Caller) -> HttpResponse:
    """Filters: `search` (words of the id, description, tags), `author`, `filter` (repeated:
    tags, `license:<id>`, `industry:<x>`, a task), `pipeline_tag`, `gated`, `num_parameters`,
    and our own `industry` and `license`. One page per request, `Link` to the next."""
    query_params = request.GET
    sort = query_params.get("sort") or "downloads"
    if sort not in SORTS:
        raise InvalidInput(f"sort {sort[:40]!r} is not supported; use one of {', '.join(SORTS)}")
    # The client sends no direction and expects "most first"; alphabetical order reads A to Z.
    direction = query_params.get("direction") or ("1" if SORTS[sort] == "id" else "-1")
    if direction not in {"-1", "1"}:
        raise InvalidInput(f"direction must be -1 or 1, not {direction[:10]!r}")
    expand = {params.text(e, "expand") for e in query_params.getlist("expand")}
    unknown = expand - payloads.EXPANDABLE
    if unknown:
        raise InvalidInput(f"expand {sorted(unknown)[0]!r} is not a model property")
    full = params.boolean(query_params.get("full"), "full")
    with_card = params.boolean(query_params.get("cardData"), "cardData") or "cardData" in expand
    minimum, maximum = params.parameter_range(
        params.text(query_params.get("num_parameters"), "num_parameters")
    )
    query = selectors.ModelQuery(
        search=params.text(query_params.get("search"), "search"),
        author=params.text(query_params.get("author"), "author"),
        tags=tuple(params.text(f, "filter") for f in query_params.getlist("filter") if f),
        industry=params.text(query_params.get("industry"), "industry"),
        license=params.text(query_params.get("license"), "license"),
        task=params.text(query_params.get("pipeline_tag"), "pipeline_tag"),
        gated=params.boolean(query_params.get("gated"), "gated", default=None),
        min_parameters=minimum,
        max_parameters=maximum,
        fits_in_bytes=params.gigabytes(query_params.get("fits_in"), "fits_in"),
        fits_precision=params.text(query_params.get("fits_precision"), "fits_precision") or "stored",
        sort=SORTS[sort],
        descending=direction == "-1",
        limit=params.integer(
            query_params.get("limit"),
            "limit",
            default=DEFAULT_PAGE_SIZE,
            minimum=1,
            maximum=selectors.MAX_PAGE_SIZE,
        ),
        cursor=params.text(query_params.get("cursor"), "cursor", max_length=1000) or None,
        with_card=with_card,
        with_parameters="safetensors" in expand,
    )
    page = selectors.list_models(user=caller.user, query=query)
    entries = [payloads.summary(row) for row in page.rows]
    if full or "siblings" in expand:
        files = selectors.files_by_version(row["version_id"] for row in page.rows)
        for entry, row in zip(entries, page.rows, strict=True):
            entry["siblings"] = [payloads.sibling(f, blobs=False) for f in files.get(row["version_id"], [])]
    if expand:
        entries = [payloads.only_expanded(entry, expand) for entry in entries]
    headers = {}
    if page.next_cursor:
        following = {k: query_params.getlist(k) for k in query_params if k != "cursor"}
        headers["Link"] = absolute_link(request, request.path, {**following, "cursor": page.next_cursor})
    return hub_json(entries, headers=headers)


@hub_endpoint("GET")
def model_info(
    request: HttpRequest, caller: Caller, namespace: str, name: str, revision: str = "main"
) -> HttpResponse:
    """Metadata of a repository at a revision (default: main). Gated repositories answer too:
    only their files are gated."""
    repository = access_repository(repository_id=params.repo_id(namespace, name), user=caller.user)
    version = resolve(repository, revision)
    expand = {params.text(e, "expand") for e in request.GET.getlist("expand")}
    unknown = expand - payloads.EXPANDABLE
    if unknown:
        raise InvalidInput(f"expand {sorted(unknown)[0]!r} is not a model property")
    blobs = params.boolean(request.GET.get("blobs"), "blobs")
    info = payloads.model_info(
        repository=repository,
        version=version,
        files=selectors.version_files(version.pk),
        card=selectors.card_of(version.pk),
        evaluations=selectors.evaluation_results(version),
        blobs=bool(blobs),
    )
    if params.boolean(request.GET.get("securityStatus"), "securityStatus"):
        info["securityRepoStatus"] = payloads.security_status()
    if "config" in expand:
        info["config"] = _config(version)
    if expand:
        info = payloads.only_expanded(info, expand)
    return hub_json(info)


@hub_endpoint("GET")
def tags_by_type(request: HttpRequest, caller: Caller) -> HttpResponse:
    """`get_model_tags()`: the tasks, licenses, industries and tags in use, by type."""
    return hub_json(selectors.tags_by_type(caller.user))


@hub_endpoint("GET")
def auth_check(request: HttpRequest, caller: Caller, namespace: str, name: str) -> HttpResponse:
    """`auth_check(repo_id)`: 200 when the caller may download the files; 403 GatedRepo until a
    gated repository's terms are accepted; 404 for what the caller may not see."""
    access_repository(repository_id=params.repo_id(namespace, name), user=caller.user, files=True)
    return hub_json({})


def _config(version) -> dict | None:
    """The revision's config.json, read from storage only when asked for (`expand=config`)."""
    file = VersionFile.objects.filter(version=version, path="config.json").select_related("blob").first()
    if file is None or file.size > MAX_CONFIG_SIZE:
        return None
    try:
        config = json.loads(get_store().read_range(file.blob.storage_key, 0, file.size))
    except ValueError:  # verified as JSON at ingest; anything else is not the client's problem
        return None
    return config if isinstance(config, dict) else None


@hub_endpoint("GET")
def model_without_namespace(request: HttpRequest, caller: Caller, name: str, rest: str = "") -> HttpResponse:
    """Ids without a namespace (`gpt2`) are legal for the client; here every repository has one."""
    raise RepositoryNotFound(f"Repository {name} not found: repositories here are NAMESPACE/NAME.")
