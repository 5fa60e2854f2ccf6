"""`list_repo_refs` and `list_repo_commits`."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from registry import selectors
from registry.services.access import access_repository

from .. import params, payloads
from ..endpoints import Caller, hub_endpoint
from ..responses import hub_json
from ..revisions import resolve


@hub_endpoint("GET")
def refs(request: HttpRequest, caller: Caller, namespace: str, name: str) -> HttpResponse:
    repository = access_repository(repository_id=params.repo_id(namespace, name), user=caller.user)
    rows = selectors.repository_refs(repository)
    body = {
        "branches": [payloads.ref(r) for r in rows if r["kind"] == "branch"],
        "tags": [payloads.ref(r) for r in rows if r["kind"] == "tag"],
        "converts": [],
    }
    if params.boolean(request.GET.get("include_prs"), "include_prs"):
        body["pullRequests"] = []  # no pull requests here
    return hub_json(body)


@hub_endpoint("GET")
def commits(request: HttpRequest, caller: Caller, namespace: str, name: str, revision: str) -> HttpResponse:
    """The revision's commit and its ancestors, newest first, in one page."""
    repository = access_repository(repository_id=params.repo_id(namespace, name), user=caller.user)
    version = resolve(repository, revision)
    history = [payloads.commit(row) for row in selectors.commit_history(version)]
    if "formatted" in request.GET.getlist("expand[]"):
        for entry in history:
            entry["formatted"] = {"title": entry["title"], "message": entry["message"]}
    return hub_json(history)
