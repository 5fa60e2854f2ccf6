"""What every page shares: rendering through Jinja2 with a strict Content-Security-Policy, and
domain errors turned into an HTML page with their status and message."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from registry.errors import RegistryError

# Scripts and styles come only from our static files: a card that slipped a <script> or an inline
# handler past the sanitiser still would not run.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
ENGINE = "jinja2"


def render_page(request: HttpRequest, template: str, context: dict, *, status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status, using=ENGINE)
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


def error_page(request: HttpRequest, error: RegistryError) -> HttpResponse:
    return render_page(
        request,
        "marketplace/error.html",
        {"status": error.status, "code": error.code, "message": error.message},
        status=error.status,
    )


def page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page view whose domain errors (not found, gated, bad input...) answer as an error page."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except RegistryError as error:
            return error_page(request, error)

    return wrapper


def visibility_scope(request: HttpRequest) -> str:
    """Who sees the same catalog as this request: everyone anonymous alike, superusers alike,
    each member user by themselves (their private repositories)."""
    user = request.user
    if not user.is_authenticated:
        return "anonymous"
    return "superuser" if user.is_superuser else f"user:{user.pk}"


def server_endpoint(request: HttpRequest) -> str:
    """This server's absolute URL, as clients reach it (HF_ENDPOINT)."""
    return request.build_absolute_uri("/").rstrip("/")
