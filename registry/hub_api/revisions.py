"""Revisions in URLs: where the revision ends and the file path begins.

The client percent-encodes a revision with no safe characters (`refs%2Fpr%2F1`, `release%2F1.0`),
but WSGI hands Django the decoded path, so `/resolve/release/1.0/config.json` is ambiguous
(hf-hub-protocol.md §10). When the server passes the raw request URI (gunicorn's `RAW_URI`,
uWSGI's `REQUEST_URI`) the revision is read from it exactly; otherwise the longest prefix of the
path that names a branch or tag of the repository wins, as git resolves ambiguous refs.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from django.http import HttpRequest

from registry.errors import RevisionNotFound
from registry.models import ModelRepository, Ref, Version
from registry.services.repositories import resolve_revision

from .params import has_control_characters


def split_revision(
    request: HttpRequest, repository: ModelRepository, rest: str, *, segment: int, needs_path: bool
) -> tuple[str, str]:
    """(revision, path) from `rest`, the decoded part of the URL after the route's keyword.

    `segment` is the index of the revision among the raw URI's `/`-separated parts (for
    `/ns/name/resolve/REV/...` it is 4). `needs_path` is true where a file path must follow.
    """
    raw = request.META.get("RAW_URI") or request.META.get("REQUEST_URI")
    if raw:
        parts = urlsplit(raw).path.split("/")
        if len(parts) > segment:
            revision = unquote(parts[segment])
            path = unquote("/".join(parts[segment + 1 :]))
            if rest == f"{revision}/{path}" or (rest == revision and not path):
                return revision, path
    if has_control_characters(rest):
        return rest, ""  # no ref or file can be named so; resolve() answers RevisionNotFound
    segments = rest.split("/")
    last = len(segments) - 1 if needs_path else len(segments)
    candidates = ["/".join(segments[:k]) for k in range(1, max(last, 1) + 1)]
    names = set(Ref.objects.filter(repository=repository, name__in=candidates).values_list("name", flat=True))
    revision = next((c for c in reversed(candidates) if c in names), segments[0])
    return revision, rest[len(revision) + 1 :]


def resolve(repository: ModelRepository, revision: str) -> Version:
    """The published version a branch, tag or full commit id names; RevisionNotFound otherwise."""
    if not revision or len(revision) > 200 or has_control_characters(revision):
        raise RevisionNotFound(f"Invalid revision {revision[:60]!r} for {repository.repo_id}")
    version = resolve_revision(repository=repository, revision=revision)
    if not version.is_published:  # a ref only ever points at published versions; belt and braces
        raise RevisionNotFound(f"revision {revision!r} not found in {repository.repo_id}")
    return version
