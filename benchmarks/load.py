"""Sustained load on the deployed web configuration: catalog pages, API listings and `resolve`
redirects, each alone and all mixed, measured at the client with wrk.

The server is what deploy/ runs: gunicorn with deploy/gunicorn.conf.py (sync workers, access log
on), production settings, PostgreSQL with persistent connections. The catalog is
benchmarks/catalog_load.py's (10,000 models with versions, files, cards and compliance records,
seeded by bulk_create into a database of its own, `bench_load`, kept for the next run). Endpoints:

  - /healthz                                        the stack floor (no SQL, no template)
  - /models, /models?industry=..., /{ns}/{name}     catalog pages (HTML)
  - /api/v1/models?page_size=50, /api/models?limit=50   API listings (JSON)
  - /{ns}/{name}/resolve/main/model.safetensors     the Hub download: a 302 to a presigned URL
  - mixed: all of the above in rotation, for longer

Prints p50 / p95 / p99, requests/s, errors (connect/read/timeouts and statuses >= 400) and the ratio
to the floor, all from one run. API throttling is off (every request comes from one address).
The machine may be shared: the CPU already busy before the run is printed with the figures.

    .venv/bin/python benchmarks/load.py [--models 10000] [--duration 20] [--mixed 60] [--warmup 5]
        [--connections 8] [--workers 4]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
import catalog_load  # the same catalog and server
from catalog_load import Server, measure, seed, setup_django
from gunicorn_workers import WRK_REPORT, create_database, free_port

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "bench_load"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"

MIXED_SCRIPT = """
paths = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
"""


class DeployedServer(Server):
    """gunicorn started as the image starts it: deploy/gunicorn.conf.py, production settings."""

    def __init__(self, database_url: str, log_dir: Path, *, workers: int):
        self.port = free_port()
        self.log = log_dir / f"gunicorn-{self.port}.log"
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "DJANGO_"))}
        environment.update(
            DJANGO_SETTINGS_MODULE="config.settings.production",
            DJANGO_SECRET_KEY="bench-only-" + "x" * 40,
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            DATABASE_URL=database_url,
            DB_CONN_MAX_AGE="600",
            API_THROTTLE_ANON="off",
            API_THROTTLE_USER="off",
            DJANGO_SSL_REDIRECT="false",  # plain HTTP here; in production TLS ends at the proxy
            GUNICORN_BIND=f"127.0.0.1:{self.port}",
            GUNICORN_WORKERS=str(workers),
            LOG_LEVEL="WARNING",
        )
        cmd = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi:application"]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.url = f"http://127.0.0.1:{self.port}"


def prepare_database(base_url: str) -> str:
    return create_database(base_url, BENCH_DB)


def endpoints() -> dict[str, str]:
    from registry.models import ModelRepository, VersionFile

    repository = ModelRepository.objects.select_related("namespace").order_by("-downloads").first()
    weights = (
        VersionFile.objects.filter(path="model.safetensors", version__refs__name="main")
        .select_related("version__repository__namespace")
        .order_by("pk")
        .first()
    )
    return {
        "healthz": "/healthz",
        "catalog /models": "/models",
        "catalog filtered": "/models?industry=healthcare&license=apache-2.0",
        "model page": f"/{repository.repo_id}",
        "API v1 listing": "/api/v1/models?page_size=50",
        "Hub API listing": "/api/models?limit=50",
        "resolve (302)": f"/{weights.version.repository.repo_id}/resolve/main/model.safetensors",
    }


def check_statuses(server: Server, paths: dict[str, str]) -> None:
    import urllib.error
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    for label, path in paths.items():
        try:
            status = opener.open(server.url + path, timeout=10).status
        except urllib.error.HTTPError as exc:
            status = exc.code
        expected = 302 if "resolve" in label else 200
        if status != expected:
            raise SystemExit(f"{label} {path} answered {status}, not {expected}: fix before measuring")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=20, help="measured seconds per endpoint")
    parser.add_argument("--mixed", type=int, default=60, help="measured seconds of the mixed run")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (2 x cores)")
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install -y --no-install-recommends wrk", file=sys.stderr)
        return 2

    busy = psutil.cpu_percent(interval=2)
    load1 = os.getloadavg()[0]
    print(f"{os.cpu_count()} CPUs, {busy:.0f} % busy, load {load1:.1f} before the run", flush=True)
    database_url = prepare_database(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    setup_django(database_url)
    catalog_load.BENCH_DB = BENCH_DB  # named in its messages
    seed(args.models, reseed=args.reseed)
    paths = endpoints()

    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        report = Path(tmp) / "report.lua"
        report.write_text(WRK_REPORT)
        mixed = Path(tmp) / "mixed.lua"
        rotation = [p for label, p in paths.items() if label != "healthz"]
        mixed.write_text(MIXED_SCRIPT % ", ".join(json.dumps(p) for p in rotation) + WRK_REPORT)
        server = DeployedServer(database_url, Path(tmp), workers=args.workers)
        try:
            server.wait_ready()
            check_statuses(server, paths)
            for label, path in [*paths.items(), ("mixed (all but healthz)", "/")]:
                script = mixed if label.startswith("mixed") else report
                duration = args.mixed if label.startswith("mixed") else args.duration
                run_args = argparse.Namespace(**{**vars(args), "duration": duration})
                results[label] = sample = measure(server, path, run_args, script)
                print(
                    f"{label:<26} p50 {sample.p50_ms:6.1f} ms  p95 {sample.p95_ms:6.1f} ms  "
                    f"{sample.rps:7.0f} req/s  errors {sample.errors}",
                    flush=True,
                )
        finally:
            server.stop()

    floor = results["healthz"]
    print(
        f"\n{args.models:,} models, PostgreSQL; gunicorn -c deploy/gunicorn.conf.py, {args.workers} sync "
        f"workers, production settings; wrk {args.connections} connections, {args.warmup} s warm-up, "
        f"{args.duration} s per endpoint, {args.mixed} s mixed; client-side latency; "
        f"{os.cpu_count()} CPUs shared with other work ({busy:.0f} % busy before the run)."
    )
    header = (
        f"{'endpoint':<26} {'p50 ms':>7} {'p95 ms':>7} {'req/s':>7} {'errors':>7} "
        f"{'floor/this':>10} {'CPU ms':>7} {'idle req/s':>10}"
    )
    print(header + "\n" + "-" * len(header))
    for label, sample in results.items():
        ratio = f"{floor.rps / sample.rps:.1f}" if sample.rps else "-"
        cpu = f"{sample.cpu_ms:7.2f}" if sample.cpu_ms else f"{'-':>7}"
        idle = f"{sample.idle_capacity:10.0f}" if sample.idle_capacity else f"{'-':>10}"
        print(
            f"{label:<26} {sample.p50_ms:7.1f} {sample.p95_ms:7.1f} {sample.rps:7.0f} {sample.errors:7d} "
            f"{ratio:>10} {cpu} {idle}"
        )
    print(
        "CPU ms: gunicorn + PostgreSQL CPU per request; idle req/s: what 2 otherwise idle cores would "
        "serve at that cost (an estimate that other processes' load moves less than req/s)."
    )
    errors = sum(s.errors for s in results.values())
    print(f"errors in all runs: {errors}" + ("" if not errors else "  !!! must be zero"))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
