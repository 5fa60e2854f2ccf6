"""The production settings: `check --deploy` has nothing to say, and the security headers and
cookie flags are really sent (a separate process, since settings are read once per process)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRET = "x" * 20 + "-production-test-secret-key-0123456789abcdef"


def production_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "S3_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=SECRET,
        DJANGO_ALLOWED_HOSTS="registry.example.com",
        S3_ENDPOINT_URL="http://127.0.0.1:1",  # never contacted
        **extra,
    )
    return env


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean():
    result = check_deploy(production_env(CACHE_URL="redis://127.0.0.1:1/2"))  # never contacted
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_cache_url_that_is_not_redis_is_refused_at_start():
    result = check_deploy(production_env(CACHE_URL="memcached://:hunter2@cache:11211"))
    assert result.returncode != 0
    assert "CACHE_URL must be a Redis URL (redis://host:6379/2), not a 'memcached' one" in result.stderr
    assert "hunter2" not in result.stderr


def test_check_deploy_asks_for_a_shared_cache():
    result = check_deploy({k: v for k, v in production_env().items() if k != "CACHE_URL"})
    assert result.returncode != 0 and "registry.W001" in result.stderr + result.stdout


def test_the_embedded_secret_key_is_refused():
    env = production_env()
    del env["DJANGO_SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "set DJANGO_SECRET_KEY" in result.stderr


PROBE = """
import json, django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="registry.example.com")
plain = client.get("/accounts/login/")
probe = client.get("/healthz")
secure = client.get("/accounts/login/", secure=True)
proxied = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
cookie = secure.cookies["csrftoken"]
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location")],
    "probe": probe.status_code,
    "proxied": proxied.status_code,
    "secure": secure.status_code,
    "headers": dict(secure.headers),
    "csrf_cookie": {"secure": bool(cookie["secure"]), "samesite": cookie["samesite"]},
}))
"""


@pytest.fixture(scope="module")
def answers() -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_plain_http_is_redirected_to_https_but_probes_are_not(answers):
    assert answers["plain"] == [301, "https://registry.example.com/accounts/login/"]
    assert answers["probe"] == 200
    assert answers["proxied"] == 200  # the TLS proxy's X-Forwarded-Proto is believed


def test_security_headers_are_sent(answers):
    headers = answers["headers"]
    assert answers["secure"] == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "object-src 'none'"):
        assert directive in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_cookies_are_secure(answers):
    assert answers["csrf_cookie"] == {"secure": True, "samesite": "Lax"}
