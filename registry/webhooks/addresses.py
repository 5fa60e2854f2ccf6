"""Where a webhook may be sent: HTTPS to public addresses only (no SSRF into the operator's network).

Plain http:// and loopback addresses are allowed only where WEBHOOK_ALLOW_LOOPBACK_HTTP is on (local
runs and tests). The host is resolved again at every delivery and the request goes to the address
that was checked, so a DNS answer that changes after registration cannot point it inward.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from registry.errors import InvalidInput

LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}
HTTPS_REQUIRED = "a webhook URL must use https://"
HTTP_REFUSED = f"{HTTPS_REQUIRED} (plain http:// is refused)"
HTTP_LOOPBACK_ONLY = f"{HTTPS_REQUIRED}; plain http:// goes only to 127.0.0.1, ::1 or localhost here"


class InvalidWebhookUrl(InvalidInput):
    code = "InvalidWebhookUrl"


@dataclass(frozen=True)
class Target:
    """A checked URL, split into what the connection needs."""

    scheme: str
    host: str  # as written (the TLS server name and Host header)
    port: int
    path: str  # path and query, never empty
    address: str  # the resolved IP address the connection goes to

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def check_url(url: str) -> Target:
    """Refuse a URL this server will not send to; resolve its host and check every address.
    Raises InvalidWebhookUrl naming the problem."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise InvalidWebhookUrl(f"not a valid URL: {exc}") from exc
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in {"https", "http"}:
        raise InvalidWebhookUrl(HTTP_REFUSED)
    if not host:
        raise InvalidWebhookUrl("the URL names no host")
    if parts.username or parts.password:
        raise InvalidWebhookUrl("credentials in the URL are not allowed; verify the signature instead")
    loopback_allowed = settings.WEBHOOK_ALLOW_LOOPBACK_HTTP
    if scheme == "http" and not loopback_allowed:
        raise InvalidWebhookUrl(HTTP_REFUSED)
    if scheme == "http" and not _names_loopback(host):
        raise InvalidWebhookUrl(HTTP_LOOPBACK_ONLY)
    addresses = _resolve(host, port or (443 if scheme == "https" else 80))
    for address in addresses:
        if not _is_allowed(address, loopback_allowed=loopback_allowed):
            raise InvalidWebhookUrl(
                f"{host} resolves to {address}, a private, loopback or reserved address; "
                "webhooks go only to public addresses"
            )
    path = parts.path or "/"
    return Target(
        scheme=scheme,
        host=host,
        port=port or (443 if scheme == "https" else 80),
        path=f"{path}?{parts.query}" if parts.query else path,
        address=str(addresses[0]),
    )


def _resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        return [literal]
    if host in LOOPBACK_NAMES:  # never trust a resolver with these
        return [ipaddress.ip_address("127.0.0.1")]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise InvalidWebhookUrl(f"the host {host} cannot be resolved: {exc}") from exc
    # Scope ids ("fe80::1%eth0") are stripped: the address itself decides.
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def _names_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host in LOOPBACK_NAMES


def _is_allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address, *, loopback_allowed: bool) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return loopback_allowed
    return address.is_global and not address.is_multicast
