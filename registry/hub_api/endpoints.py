"""What every Hub-compatible view shares: who is calling, errors as headers, HEAD, request ids.

Unknown tokens. The client sends any token it has, including a huggingface.co token stored by
`hf auth login`, to whatever endpoint it is pointed at (hf-hub-protocol.md §2). So:
- a token of ours (prefix `slm_`) that is unknown, expired or revoked answers 401, so that its
  owner learns it is dead;
- any other bearer token is not ours to judge: the request goes on as anonymous, with an
  `X-HF-Warning` saying the token was ignored. Public models download as usual; private and
  gated ones answer 404 / 403 as they would to anyone without access.
A browser session (the web catalog's login) counts when no bearer token is sent.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.views.decorators.csrf import csrf_exempt

from registry.authentication import InvalidToken, bearer_token, token_from_request
from registry.errors import RegistryError
from registry.models import ApiToken
from registry.services.tokens import TOKEN_PREFIX

from .responses import REQUEST_ID, WARNING, error_response, invalid_token_response

# X-HF-Warning: "<topic>; <message>", printed once per topic by the client.
FOREIGN_TOKEN_WARNING = (
    "token; The bearer token sent was not issued by this registry and was ignored, so this request "  # noqa: S105
    "is anonymous. Set HF_TOKEN to a token from this registry to reach private or gated models."
)


@dataclass(frozen=True)
class Caller:
    user: object  # a User, or AnonymousUser
    token: ApiToken | None = None
    ignored_foreign_token: bool = False


def caller_of(request: HttpRequest) -> Caller:
    """The caller; raises InvalidToken for a dead token of ours."""
    raw = bearer_token(request)
    if raw is None:
        user = getattr(request, "user", None)
        return Caller(user=user if user is not None and user.is_authenticated else AnonymousUser())
    if not raw.startswith(TOKEN_PREFIX):
        return Caller(user=AnonymousUser(), ignored_foreign_token=True)
    token = token_from_request(request)
    return Caller(user=token.user, token=token)


def hub_endpoint(*methods: str) -> Callable:
    """Wrap a view `view(request, caller, **kwargs)`: allowed methods (HEAD wherever GET is),
    the caller, registry errors in the client's shape, and HEAD answered without a body but with
    the length and headers of the GET."""
    allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt  # token authentication, no cookies needed; POST routes are reads (paths-info)
        @functools.wraps(view)
        def wrapper(request: HttpRequest, **kwargs) -> HttpResponse:
            if request.method not in allowed:
                return HttpResponseNotAllowed(sorted(allowed))
            try:
                caller = caller_of(request)
            except InvalidToken:
                return invalid_token_response()
            try:
                response = view(request, caller, **kwargs)
            except RegistryError as exc:
                response = error_response(exc, commit=getattr(exc, "commit", None))
            if caller.ignored_foreign_token:
                # Most useful on a 404: the user may have meant to send a token of ours.
                response[WARNING] = FOREIGN_TOKEN_WARNING
            trace = request.headers.get("X-Amzn-Trace-Id")
            if trace:
                response[REQUEST_ID] = trace[:200]
            if request.method == "HEAD" and not response.streaming:
                if not response.has_header("Content-Length"):
                    response["Content-Length"] = str(len(response.content))
                response.content = b""
            return response

        return wrapper

    return decorate
