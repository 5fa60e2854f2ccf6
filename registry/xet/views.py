"""CAS routes under `casUrl` (xet-protocol.md §3): thin, errors as `{"error": ...}` + status.

Routes the client may try that we do not implement (xorb grants, global-dedup chunk queries, the
v2 shard and reconstruction routes) answer 404 or 501, which make the client fall back.
"""

from __future__ import annotations

import io
import logging
import re

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from registry.authentication import bearer_token
from registry.errors import InvalidInput, RegistryError
from registry.hub_api.responses import header_safe

from . import formats, services, tokens

logger = logging.getLogger(__name__)

MAX_SHARD = (64 << 20) + (1 << 20)
_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


def _error(exc: RegistryError) -> JsonResponse:
    response = JsonResponse({"error": exc.message}, status=exc.status)
    response["X-Error-Message"] = header_safe(exc.message)
    return response


def cas_view(method: str, need: str):
    def decorate(view):
        @csrf_exempt
        def wrapper(request: HttpRequest, **kwargs) -> HttpResponse:
            if request.method != method:
                return JsonResponse({"error": f"use {method}"}, status=405)
            try:
                grant = tokens.check(bearer_token(request), need=need)
                return view(request, grant, **kwargs)
            except RegistryError as exc:
                return _error(exc)

        return wrapper

    return decorate


class _Body(io.RawIOBase):
    def __init__(self, request: HttpRequest):
        self._read = request.read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _buffered_body(request: HttpRequest) -> io.BufferedReader:
    """The body read from the server in 1 MiB blocks. A xorb is parsed 8-byte header by ~64 KiB
    chunk; asked for directly, gunicorn copies its whole read-ahead buffer on every small read
    (~3 s of CPU per GiB on 2 cores, py-spy)."""
    return io.BufferedReader(_Body(request), buffer_size=1 << 20)


@cas_view("POST", tokens.WRITE)
def upload_xorb(request: HttpRequest, grant: tokens.Grant, prefix: str, hash_text: str) -> HttpResponse:
    length = int(request.headers.get("Content-Length") or 0)
    if length > formats.MAX_XORB_SIZE:
        raise services.XetRejected(f"a xorb may hold at most {formats.MAX_XORB_SIZE} bytes, not {length}")
    inserted = services.store_xorb(hash_text=hash_text, read=_buffered_body(request).read)
    return JsonResponse({"was_inserted": inserted})


@cas_view("POST", tokens.WRITE)
def upload_shard(request: HttpRequest, grant: tokens.Grant) -> HttpResponse:
    data = request.read(MAX_SHARD + 1)
    if len(data) > MAX_SHARD:
        raise services.XetRejected(f"a shard may hold at most {MAX_SHARD} bytes")
    result = services.accept_shard(data=data, grant=grant)
    return JsonResponse({"result": 1 if result.new else 0})


@cas_view("GET", tokens.READ)
def reconstruction(request: HttpRequest, grant: tokens.Grant, file_id: str) -> HttpResponse:
    byte_range = None
    if header := request.headers.get("Range"):
        match = _RANGE.match(header.strip())
        if match is None:
            raise InvalidInput(f"Range {header[:60]!r} is not a single bytes=a-b range")
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) else 1 << 62
        byte_range = (first, last)
    return JsonResponse(services.reconstruction(file_id=file_id, grant=grant, byte_range=byte_range))


@csrf_exempt
def not_implemented(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """Newer routes (v2 shards, v2 reconstructions): 501 is the client's signal to fall back.
    Every Xet push and pull asks, so this is routine: logged at debug, not as a server error."""
    logger.debug("xet: %s %s answered 501, the client falls back to v1", request.method, request.path)
    response = JsonResponse({"error": "not implemented here; use the v1 route"}, status=501)
    response._has_been_logged = True  # Django's own flag: keeps django.request from logging an ERROR
    return response


@csrf_exempt
def not_found(request: HttpRequest, **kwargs) -> HttpResponse:
    """Xorb grants, global-dedup chunk queries and unknown routes: 404, which the client skips."""
    return JsonResponse({"error": "not found"}, status=404)


@csrf_exempt
def telemetry(request: HttpRequest) -> HttpResponse:
    return JsonResponse({})
