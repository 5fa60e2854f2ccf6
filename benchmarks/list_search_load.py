"""Model listing and search under concurrent load, measured at the client with wrk.

Seeds a fresh PostgreSQL database with N models (3 published versions each, cards, refs), starts
gunicorn (4 sync workers, persistent DB connections, production settings, throttling off), and runs
wrk with 8 connections sending back to back for each endpoint (after a warm-up):
  - listing:  /api/v1/models?page_size=50          and the Hub's /api/models?limit=50
  - search:   /api/v1/models?search=W&industry=I    and the Hub's /api/models?search=W&filter=I
              (full-text over the GIN index plus a filter; the words rotate over requests)
Prints p50 / p95 latency and requests/s per endpoint against the targets for 10,000 models on 2 cores
(listing >= 250 req/s with p95 <= 50 ms; search >= 150 req/s with p95 <= 80 ms), and the SQL
queries one request makes at page sizes 10 and 50 (they must be equal).

    .venv/bin/python benchmarks/list_search_load.py [--models 10000] [--seconds 20] [--warmup 5]
        [--database-url postgres://postgres@127.0.0.1:5432/postgres] [--keep]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import wait_http  # noqa: E402
from registry.storage.seaweed import free_ports  # noqa: E402

INDUSTRIES = ["retail", "finance", "healthcare", "general"]
ARCHITECTURES = ["llama", "qwen2", "qwen3", "gemma", "mistral", "phi3", "distilbert", "mobilebert"]
TASKS = ["text-generation", "text-classification", "sentence-similarity", "token-classification"]
LICENSES = ["apache-2.0", "mit", "gemma", "llama3.1", "cc-by-4.0"]
WORDS = [
    "invoice", "claims", "triage", "ledger", "catalog", "pricing", "fraud", "summary", "clinical",
    "returns", "loyalty", "coding", "radiology", "compliance", "forecast", "assistant", "sentiment",
    "extraction", "routing", "audit",
]  # fmt: skip
SEARCHES = ["invoice", "clinical triage", "fraud", "ledger audit", "pricing", "llama", "sentiment", "claims"]

WRK_SCRIPT = """
paths = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %%d %%d %%f %%f %%f %%d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), errors))
end
"""

ENDPOINTS = [
    ("listing", "API v1", lambda i: "/api/v1/models?page_size=50", 250, 50),
    ("listing", "Hub", lambda i: "/api/models?limit=50", 250, 50),
    (
        "search",
        "API v1",
        lambda i: (
            f"/api/v1/models?search={SEARCHES[i].replace(' ', '+')}&industry={INDUSTRIES[i % 3]}&page_size=50"
        ),
        150,
        80,
    ),
    (
        "search",
        "Hub",
        lambda i: f"/api/models?search={SEARCHES[i].replace(' ', '+')}&filter={INDUSTRIES[i % 3]}&limit=50",
        150,
        80,
    ),
]


def database_urls(base: str) -> tuple[str, str]:
    """(the server's maintenance URL, a fresh database's URL on the same server)."""
    parts = urlsplit(base)
    name = f"bench_listing_{uuid.uuid4().hex[:8]}"
    return urlunsplit(parts._replace(path="/postgres")), urlunsplit(parts._replace(path=f"/{name}"))


def seed(count: int) -> None:
    """N repositories, 3 published versions each (main -> the newest, tags v1..v3), a card per version."""
    import django

    django.setup()
    from registry.models import ModelCard, ModelRepository, Publisher, Ref, Version

    rng = random.Random(42)
    publishers = Publisher.objects.bulk_create(
        Publisher(slug=f"vendor-{i:03d}", display_name=f"Vendor {i}") for i in range(max(1, count // 50))
    )
    now = datetime.now(UTC)
    repositories = []
    for i in range(count):
        industry, architecture = INDUSTRIES[i % 4], ARCHITECTURES[i % len(ARCHITECTURES)]
        words = rng.sample(WORDS, 3)
        repositories.append(
            ModelRepository(
                namespace=publishers[i % len(publishers)],
                name=f"{industry}-{words[0]}-{architecture}-{i:05d}",
                industry=industry,
                task=TASKS[i % len(TASKS)],
                tags=[industry, architecture, words[1]],
                license=LICENSES[i % len(LICENSES)],
                description=f"A {architecture} model for {industry}: {' and '.join(words)}.",
                downloads=rng.randint(0, 100_000),
                visibility="private" if i % 20 == 0 else "public",
                gating="auto" if i % 15 == 0 else "none",
            )
        )
    ModelRepository.objects.bulk_create(repositories, batch_size=2000)
    versions = []
    for repository in repositories:
        for n in range(3):
            versions.append(
                Version(
                    repository=repository,
                    commit_id=uuid.uuid4().hex + uuid.uuid4().hex[:8],
                    status=Version.Status.PUBLISHED,
                    message=f"Release v{n + 1}",
                    published_at=now - timedelta(days=3 - n, seconds=rng.randint(0, 86_400)),
                    total_size=rng.randint(10**6, 10**9),
                    parameter_count=rng.randint(10**6, 10**9),
                    parameters_by_dtype={"F32": 1},
                    license=repository.license,
                )
            )
    Version.objects.bulk_create(versions, batch_size=5000)
    refs, cards = [], []
    for i, repository in enumerate(repositories):
        mine = versions[3 * i : 3 * i + 3]
        refs.append(Ref(repository=repository, name="main", kind=Ref.Kind.BRANCH, version=mine[-1]))
        refs.extend(
            Ref(repository=repository, name=f"v{n + 1}", kind=Ref.Kind.TAG, version=v)
            for n, v in enumerate(mine)
        )
        cards.extend(
            ModelCard(
                version=v, metadata={"license": repository.license, "tags": repository.tags}, body="# Card"
            )
            for v in mine
        )
    Ref.objects.bulk_create(refs, batch_size=5000)
    ModelCard.objects.bulk_create(cards, batch_size=5000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def queries_per_request() -> list[tuple[str, int, int]]:
    """SQL statements one request runs, at page sizes 10 and 50 (Django's test client, in process)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client, result = Client(), []
    for kind, api, path, _, _ in ENDPOINTS:
        counts = []
        for size in (10, 50):
            url = re.sub(r"(page_size|limit)=50", rf"\g<1>={size}", path(0))
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            assert response.status_code == 200, (url, response.status_code, response.content[:300])
            counts.append(len(captured))
        result.append((f"{kind} ({api})", *counts))
    return result


def run_wrk(base: str, paths: list[str], seconds: int, script_dir: Path) -> dict[str, float]:
    script = script_dir / f"wrk-{uuid.uuid4().hex[:6]}.lua"
    script.write_text(WRK_SCRIPT % ", ".join(f'"{p}"' for p in paths))
    done = subprocess.run(
        ["wrk", "-t2", "-c8", f"-d{seconds}s", "--timeout", "5s", "-s", str(script), base],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT"))
    requests_, duration, p50, p95, p99, errors = (float(x) for x in line.split()[1:])
    return {
        "rps": requests_ / (duration / 1e6),
        "p50": p50 / 1000,
        "p95": p95 / 1000,
        "p99": p99 / 1000,
        "errors": errors,
        "requests": requests_,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--keep", action="store_true", help="keep the seeded database")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y --no-install-recommends --no-upgrade wrk")

    admin_url, bench_url = database_urls(args.database_url)
    bench_name = urlsplit(bench_url).path[1:]
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{bench_name}"')
    port = free_ports(1)[0]
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY="bench-only-secret-key-bench-only-secret-key",  # noqa: S106 - a throwaway server
        DJANGO_DEBUG="false",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        DATABASE_URL=bench_url,
        DB_CONN_MAX_AGE="600",  # persistent connections (performance.md)
        API_THROTTLE_ANON="off",  # one client IP sends everything here
        API_THROTTLE_USER="off",
        LOG_LEVEL="WARNING",
        DJANGO_SSL_REDIRECT="false",  # plain HTTP here; in production TLS ends at the proxy
    )
    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "DJANGO_SECRET_KEY", "DATABASE_URL")})
    os.environ.update(
        {
            k: env[k]
            for k in ("DJANGO_ALLOWED_HOSTS", "API_THROTTLE_ANON", "API_THROTTLE_USER", "DJANGO_SSL_REDIRECT")
        }
    )
    server = None
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        start = time.perf_counter()
        seed(args.models)
        seeded = time.perf_counter() - start
        query_counts = queries_per_request()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}",
             "-w", str(args.workers), "-k", "sync", "--no-control-socket", "--log-level", "warning"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/healthz")
        results = []
        with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
            for kind, api, path, target_rps, target_p95 in ENDPOINTS:
                paths = [path(i) for i in range(len(SEARCHES))]
                run_wrk(base, paths, args.warmup, Path(tmp))
                results.append(
                    (kind, api, run_wrk(base, paths, args.seconds, Path(tmp)), target_rps, target_p95)
                )
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(20)
        from django.db import connections

        connections.close_all()
        if not args.keep:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{bench_name}" WITH (FORCE)')

    print(
        f"{args.models:,} models x 3 versions (seeded in {seeded:.1f} s), "
        f"gunicorn {args.workers} sync workers, wrk 8 connections x {args.seconds} s "
        f"after {args.warmup} s warm-up, 50 rows a page"
    )
    print(f"{'endpoint':<22}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'req/s':>9}{'errors':>8}   target")
    for kind, api, figures, target_rps, target_p95 in results:
        verdict = "met" if figures["rps"] >= target_rps and figures["p95"] <= target_p95 else "MISSED"
        print(
            f"{kind + ' (' + api + ')':<22}{figures['p50']:8.1f}{figures['p95']:8.1f}{figures['p99']:8.1f}"
            f"{figures['rps']:9.0f}{figures['errors']:8.0f}   "
            f">= {target_rps} req/s, p95 <= {target_p95} ms: {verdict}"
        )
    print("SQL queries per request (page size 10 / 50):")
    for label, small, large in query_counts:
        print(
            f"  {label:<20}{small:>3} / {large:<3}{'constant' if small == large else 'GROWS WITH PAGE SIZE'}"
        )
    if args.keep:
        print(f"database kept: {bench_url}")


if __name__ == "__main__":
    main()
