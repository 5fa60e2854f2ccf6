"""The headers, error shapes and formats the official Hugging Face client relies on.

The client classifies errors by the `X-Error-Code` header (HEAD responses have no body), copies
`X-Error-Message` and the JSON `error` into its exception text, parses timestamps only when they
end in `Z`, and follows `Link` URLs only when they are absolute (hf-hub-protocol.md §1, §2).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse

from registry.authentication import INVALID_TOKEN
from registry.errors import EntryNotFound, RegistryError

ERROR_CODE = "X-Error-Code"
ERROR_MESSAGE = "X-Error-Message"
REPO_COMMIT = "X-Repo-Commit"
LINKED_ETAG = "X-Linked-Etag"
LINKED_SIZE = "X-Linked-Size"
WARNING = "X-HF-Warning"
REQUEST_ID = "X-Request-Id"

# Error codes the client maps to its own exception classes; any other code (ours, such as
# InvalidInput) still reaches the user through X-Error-Message and the JSON body.
CLIENT_ERROR_CODES = {"RepoNotFound", "GatedRepo", "RevisionNotFound", "EntryNotFound"}


def hub_time(value: datetime | None) -> str | None:
    """UTC with milliseconds and a literal Z, the only form the client parses."""
    if value is None:
        return None
    if value.utcoffset():
        value = value.astimezone(UTC)
    # isoformat is several times cheaper than strftime, and listings format two per row.
    return value.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def header_safe(text: str) -> str:
    """Header values must be latin-1 and single-line; messages may name any path."""
    flat = " ".join(text.split())
    return flat.encode("latin-1", "replace").decode("latin-1")


def hub_json(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    response = JsonResponse(data, status=status, safe=False, json_dumps_params={"separators": (",", ":")})
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(exc: RegistryError, *, commit: str | None = None) -> HttpResponse:
    """A registry error as the client expects it: status, `X-Error-Code`, `X-Error-Message`, and
    `{"error": message}`. An EntryNotFound also names the commit, so the client can remember
    that the file does not exist there."""
    response = hub_json({"error": exc.message}, status=exc.status)
    response[ERROR_CODE] = exc.code
    response[ERROR_MESSAGE] = header_safe(exc.message)
    if commit and isinstance(exc, EntryNotFound):
        response[REPO_COMMIT] = commit
    return response


def invalid_token_response() -> HttpResponse:
    """401 for a token of ours that is unknown, expired or revoked. No X-Error-Code: with one the
    client would report a missing repository instead of bad credentials."""
    response = hub_json({"error": INVALID_TOKEN}, status=401)
    response[ERROR_MESSAGE] = INVALID_TOKEN
    return response


def absolute_link(request: HttpRequest, path: str, params: dict[str, Any]) -> str:
    """`Link: <absolute URL>; rel="next"`: a relative URL makes the client fail."""
    query = urlencode([(k, v) for k, values in params.items() for v in _as_list(values)])
    return f'<{request.build_absolute_uri(path)}?{query}>; rel="next"'


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list | tuple) else [value]
