"""One HTTP POST to a checked webhook target: no redirects, short timeouts, a bounded response read."""

from __future__ import annotations

from dataclasses import dataclass

import urllib3
from django.conf import settings

from .addresses import Target

RESPONSE_LOG_BYTES = 2048


@dataclass(frozen=True)
class Reply:
    status: int
    body: str


class DeliveryFailed(Exception):
    """The receiver could not be reached or did not answer in time."""


def post(target: Target, *, body: bytes, headers: dict[str, str]) -> Reply:
    """POST to the address that was checked (never re-resolved here), with the URL's host as TLS
    server name and Host header."""
    timeout = urllib3.Timeout(connect=settings.WEBHOOK_CONNECT_TIMEOUT, read=settings.WEBHOOK_READ_TIMEOUT)
    options: dict = {"host": target.address, "port": target.port, "timeout": timeout, "retries": False}
    if target.scheme == "https":
        pool: urllib3.HTTPConnectionPool = urllib3.HTTPSConnectionPool(
            **options,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=settings.WEBHOOK_CA_BUNDLE,  # None: the system's trusted CAs
        )
    else:
        pool = urllib3.HTTPConnectionPool(**options)
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": target.host_header},
            redirect=False,  # a redirect could lead anywhere, past the address check
            assert_same_host=False,
            preload_content=False,
        )
        try:
            text = response.read(RESPONSE_LOG_BYTES).decode("utf-8", "replace")
        finally:
            response.release_conn()
        return Reply(status=response.status, body=text)
    except urllib3.exceptions.HTTPError as exc:
        raise DeliveryFailed(_describe(exc)) from exc
    finally:
        pool.close()


def _describe(exc: urllib3.exceptions.HTTPError) -> str:
    if isinstance(exc, urllib3.exceptions.TimeoutError):
        return "the receiver did not answer in time"
    reason = getattr(exc, "reason", None) or exc
    return f"could not reach the receiver: {reason}"[:1000]
