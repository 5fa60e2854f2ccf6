"""Container health check for the web role: exit 0 when GET /healthz on the local gunicorn is 200.

The slim image has no curl. The request carries a Host that DJANGO_ALLOWED_HOSTS accepts:
with the container's own address Django would answer 400 (DisallowedHost) and the check would
fail on a healthy server.
"""

import os
import sys
import urllib.request


def allowed_host() -> str:
    for entry in (os.environ.get("DJANGO_ALLOWED_HOSTS") or "localhost").split(","):
        entry = entry.strip()
        if entry and entry != "*":
            return entry.lstrip(".")  # ".example.com" also allows "example.com"
    return "localhost"


def main() -> int:
    port = os.environ.get("PORT") or "8000"
    request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Host": allowed_host()})
    try:
        with urllib.request.urlopen(request, timeout=4) as answer:  # noqa: S310 - fixed loopback URL
            return 0 if answer.status == 200 else 1
    except OSError as exc:  # refused, timed out, or an HTTP error status
        print(f"healthz failed: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
