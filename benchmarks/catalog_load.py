"""Catalog and model page under load: 10,000 models, gunicorn sync workers, wrk at 8 connections.

Seeds a dedicated PostgreSQL database (`bench_catalog`, created and migrated next to DATABASE_URL's)
with COUNT listed models, straight into the tables with bulk_create (a listing never reads object
storage, so no bytes are stored): ~50 publishers, three industries and `general`, several tasks and
licenses, 1-3 published versions each with their files, cards and compliance records, 70 % signed,
parameter counts spread from 10M to 8B. Then starts gunicorn (`config.wsgi`, sync workers, persistent
database connections, DEBUG off) on a free loopback port and drives it with wrk, after a warm-up:

  - /healthz                                     the stack floor (no SQL, no template)
  - /models                                      the catalog with all facets
  - /models?industry=...&license=...&size=...     filtered
  - /models?search=clinical notes                full-text searched (ranked)
  - /{namespace}/{name}                          a model page
  - /models with MARKETPLACE_FACET_CACHE_SECONDS=0: the same page with facet counts computed live

and prints p50 / p95 latency as the client saw it, requests/s, the ratio to the floor measured in the
same run, and the SQL queries each page runs (counted in-process on a cold cache). The target for
the catalog pages is >= 150 req/s with p95 <= 80 ms.

    .venv/bin/python benchmarks/catalog_load.py [--models 10000] [--duration 20] [--warmup 5]
        [--connections 8] [--workers 4] [--reseed]

Needs wrk (Debian: apt-get install wrk) and a PostgreSQL that trusts
local connections (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres). Everything
listens on 127.0.0.1, every wrk run is bounded in time, and the servers it starts are stopped on exit.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
# The loopback wrk runner and its report script are shared with the worker-class benchmark.
from gunicorn_workers import WRK_REPORT, create_database, free_port, status_of, wrk

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
BENCH_DB = "bench_catalog"
TARGET_RPS, TARGET_P95_MS = 150, 80

INDUSTRIES = ["retail", "finance", "healthcare", "general"]
TASKS = ["text-generation", "text-classification", "sentence-similarity", "token-classification", "fill-mask"]
LICENSES = ["apache-2.0", "mit", "gemma", "llama3", "cc-by-4.0", "openrail"]
FRAMEWORKS = {
    "retail": ["GDPR", "PCI-DSS"],
    "finance": ["SOX", "GLBA", "GDPR", "PCI-DSS"],
    "healthcare": ["HIPAA", "GDPR"],
    "general": ["GDPR"],
}
WORDS = {
    "retail": ["product", "catalog", "search", "review", "sentiment", "shopping", "pricing"],
    "finance": ["ledger", "filings", "fraud", "transactions", "risk", "invoice", "audit"],
    "healthcare": ["clinical", "notes", "triage", "discharge", "radiology", "coding", "patient"],
    "general": ["chat", "summarise", "extract", "classify", "embed", "qa", "translate"],
}
ARCHITECTURES = ["llama", "qwen2", "qwen3", "gemma", "phi3", "mistral", "distilbert", "mobilebert"]


@dataclass
class Sample:
    rps: float
    p50_ms: float
    p95_ms: float
    errors: int
    cpu_ms: float | None  # gunicorn + PostgreSQL backend CPU per request

    @property
    def idle_capacity(self) -> float | None:
        """Requests/s the two cores could serve if nothing else ran: 2 s of CPU a second / CPU a request.
        An estimate that others' load does not move much (their CPU is not ours), unlike req/s."""
        return 2000 / self.cpu_ms if self.cpu_ms else None


# --- database -------------------------------------------------------------------------------------


def prepare_database(base_url: str) -> str:
    return create_database(base_url, BENCH_DB)


def setup_django(database_url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ["DATABASE_URL"] = database_url
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)


def seed(count: int, *, reseed: bool) -> None:
    """COUNT listed models with their versions, files, cards and compliance records (idempotent)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from registry.models import (
        Blob,
        ComplianceRecord,
        ModelCard,
        ModelRepository,
        Publisher,
        Ref,
        Version,
        VersionFile,
    )

    listed = Ref.objects.filter(name="main").count()
    if listed == count and not reseed:
        print(f"database {BENCH_DB} already holds {count:,} listed models", flush=True)
        return
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE registry_ref, registry_versionfile, registry_modelcard, registry_compliancerecord, "
            "registry_version, registry_modelrepository, registry_publisher, registry_blob CASCADE"
        )
    rng = random.Random(20251123)
    now = timezone.now()
    with transaction.atomic():
        publishers = Publisher.objects.bulk_create(
            Publisher(slug=f"{rng.choice(['acme', 'north', 'meridian', 'ledger', 'zenith'])}-labs-{i}")
            for i in range(50)
        )
        blobs = Blob.objects.bulk_create(
            Blob(sha256=hashlib.sha256(str(i).encode()).hexdigest(), size=1000 + i, storage_key=f"bench/{i}")
            for i in range(20)
        )
        repositories = []
        for i in range(count):
            industry = INDUSTRIES[i % len(INDUSTRIES)]
            words = rng.sample(WORDS[industry], 2)
            architecture = rng.choice(ARCHITECTURES)
            repositories.append(
                ModelRepository(
                    namespace=publishers[i % len(publishers)],
                    name=f"{industry}-{words[0]}-{architecture}-{i}",
                    industry=industry,
                    task=rng.choice(TASKS),
                    license=rng.choice(LICENSES),
                    tags=[industry, architecture, *words],
                    description=f"A {architecture} model for {industry} {' and '.join(words)} work.",
                    downloads=int(rng.paretovariate(1.2) * 10),
                )
            )
        repositories = ModelRepository.objects.bulk_create(repositories, batch_size=2000)
        versions, heads = [], []
        for i, repository in enumerate(repositories):
            parameters = int(10 ** rng.uniform(7, 9.9))
            for n in range(rng.randint(1, 3)):
                versions.append(
                    Version(
                        repository=repository,
                        commit_id=hashlib.sha1(f"{i}-{n}".encode(), usedforsecurity=False).hexdigest(),
                        status=Version.Status.PUBLISHED,
                        published_at=now - timedelta(hours=rng.randint(1, 24 * 365)),
                        message=f"Release v{n + 1}",
                        parameter_count=parameters,
                        total_size=parameters * 2,
                        license=repository.license,
                    )
                )
            heads.append(len(versions) - 1)
        versions = Version.objects.bulk_create(versions, batch_size=2000)
        files, cards, compliance = [], [], []
        for version in versions:
            paths = ["README.md", "config.json", "model.safetensors", "tokenizer.json"]
            if rng.random() < 0.7:
                paths.append("model.sig")
            files += [
                VersionFile(
                    version=version, path=p, size=1000, sha256=b.sha256, blob=b, is_lfs=p.endswith("tensors")
                )
                for p, b in zip(paths, rng.sample(blobs, len(paths)), strict=True)
            ]
        head_versions = [versions[h] for h in heads]
        for repository, version in zip(repositories, head_versions, strict=True):
            cards.append(
                ModelCard(
                    version=version,
                    metadata={"license": repository.license, "tags": repository.tags},
                    body=f"# {repository.name}\n\n{repository.description}\n",
                )
            )
            frameworks = FRAMEWORKS[repository.industry]
            compliance.append(
                ComplianceRecord(
                    version=version,
                    frameworks=rng.sample(frameworks, rng.randint(1, len(frameworks))),
                    eu_ai_act_risk=rng.choice(["minimal", "limited", "high"]),
                )
            )
        VersionFile.objects.bulk_create(files, batch_size=5000)
        ModelCard.objects.bulk_create(cards, batch_size=2000)
        ComplianceRecord.objects.bulk_create(compliance, batch_size=2000)
        Ref.objects.bulk_create(
            (
                Ref(repository=version.repository, name="main", kind=Ref.Kind.BRANCH, version=version)
                for version in head_versions
            ),
            batch_size=2000,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"seeded {count:,} models, {len(versions):,} versions, {len(files):,} files "
        f"in {time.monotonic() - started:.0f} s",
        flush=True,
    )


def query_counts(paths: dict[str, str]) -> dict[str, int]:
    """SQL statements per page, counted in-process on a cold cache (what a request costs at worst)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    counts = {}
    for label, path in paths.items():
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
        counts[label] = len(captured.captured_queries)
    return counts


def sample_paths() -> dict[str, str]:
    from registry.models import ModelRepository

    repository = ModelRepository.objects.select_related("namespace").order_by("-downloads").first()
    return {
        "healthz": "/healthz",
        "catalog": "/models",
        "filtered": "/models?industry=healthcare&license=apache-2.0&size=small",
        "searched": "/models?search=clinical+notes",
        "model page": f"/{repository.repo_id}",
    }


# --- server ---------------------------------------------------------------------------------------


class Server:
    """gunicorn with sync workers in its own session, so stopping it never touches anything else."""

    def __init__(self, database_url: str, log_dir: Path, *, workers: int, env: dict[str, str]):
        self.port = free_port()
        self.log = log_dir / f"gunicorn-{self.port}.log"
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "DJANGO_"))}
        environment.update(
            DJANGO_SETTINGS_MODULE="config.settings.test",
            DATABASE_URL=database_url,
            DB_CONN_MAX_AGE="600",  # persistent connections (performance.md)
            **env,
        )
        cmd = [
            str(VENV_BIN / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--worker-class",
            "sync",
            "--workers",
            str(workers),
            "--timeout",
            "30",
            "--no-control-socket",  # gunicorn 27 otherwise shares ~/.gunicorn/gunicorn.ctl
            "--error-logfile",
            str(self.log),
        ]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}"
                )
            if status_of(self.url + "/healthz") == 200:
                return
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn not ready after {timeout:.0f} s")

    def cpu_seconds(self) -> dict[int, float]:
        """CPU used so far by gunicorn (master and workers) and by the PostgreSQL backends serving
        the benchmark database, per process."""
        from django.db import connection

        pids = set()
        try:
            master = psutil.Process(self.proc.pid)
            pids = {master.pid, *(child.pid for child in master.children(recursive=True))}
        except psutil.NoSuchProcess:
            pass
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            pids |= {row[0] for row in cursor.fetchall()}
        used = {}
        for pid in pids:
            try:
                times = psutil.Process(pid).cpu_times()
            except psutil.Error:
                continue
            used[pid] = times.user + times.system
        return used

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)  # our own session only
                self.proc.wait(5)


def measure(server: Server, path: str, args: argparse.Namespace, script: Path) -> Sample:
    options = {"connections": args.connections, "script": script, "close": False}
    wrk(server.url + path, seconds=args.warmup, **options)
    before = server.cpu_seconds()
    report = wrk(server.url + path, seconds=args.duration, **options)
    cpu = {pid: seconds - before.get(pid, 0.0) for pid, seconds in server.cpu_seconds().items()}
    requests = report["requests"]
    return Sample(
        rps=requests / (report["duration_us"] / 1e6),
        p50_ms=report["p50_us"] / 1000,
        p95_ms=report["p95_us"] / 1000,
        errors=sum(report[k] for k in ("non2xx", "connect", "read", "write", "timeout")),
        cpu_ms=sum(cpu.values()) * 1000 / requests if requests else None,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=20, help="measured seconds per page")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up seconds per page")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--reseed", action="store_true", help="seed again even if the count matches")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install -y --no-install-recommends wrk", file=sys.stderr)
        return 2

    busy = psutil.cpu_percent(interval=2)
    print(f"{os.cpu_count()} CPUs, {busy:.0f} % busy before the run (others share this machine)", flush=True)
    database_url = prepare_database(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    setup_django(database_url)
    seed(args.models, reseed=args.reseed)
    paths = sample_paths()
    counts = query_counts(paths)

    results: dict[str, Sample] = {}
    with tempfile.TemporaryDirectory(prefix="bench-catalog-") as tmp:
        script = Path(tmp) / "report.lua"
        script.write_text(WRK_REPORT)
        for label, env in (("", {}), (" (live facets)", {"MARKETPLACE_FACET_CACHE_SECONDS": "0"})):
            server = Server(database_url, Path(tmp), workers=args.workers, env=env)
            try:
                server.wait_ready()
                chosen = paths.items() if not env else [("catalog", paths["catalog"])]
                for name, path in chosen:
                    sample = measure(server, path, args, script)
                    results[name + label] = sample
                    print(
                        f"{name + label:<26} p50 {sample.p50_ms:6.1f} ms  p95 {sample.p95_ms:6.1f} ms  "
                        f"{sample.rps:7.0f} req/s  errors {sample.errors}",
                        flush=True,
                    )
            finally:
                server.stop()

    floor = results["healthz"]
    print(
        f"\n{args.models:,} models; gunicorn {args.workers} sync workers, persistent DB connections; "
        f"wrk {args.connections} connections, {args.warmup} s warm-up + {args.duration} s per page; "
        "latency as the client saw it. Facet counts are cached 30 s unless marked live."
    )
    # "floor/page": how many times more requests/s the no-SQL, no-template /healthz served;
    # "CPU ms": gunicorn + PostgreSQL CPU per request; "idle req/s": 2 cores' worth of it
    header = (
        f"{'page':<26} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>8} {'floor/page':>10} {'SQL':>5} "
        f"{'CPU ms':>7} {'idle req/s':>10}  target"
    )
    print(header + "\n" + "-" * len(header))
    for name, sample in results.items():
        base = name.split(" (")[0]
        slower = f"{floor.rps / sample.rps:.1f}" if sample.rps else "-"
        target = ""
        if base in {"catalog", "filtered", "searched"}:
            met = sample.rps >= TARGET_RPS and sample.p95_ms <= TARGET_P95_MS
            target = f"{'met' if met else 'MISSED'} (>= {TARGET_RPS} req/s, p95 <= {TARGET_P95_MS} ms)"
        sql = counts.get(base, "-")
        cpu = f"{sample.cpu_ms:7.2f}" if sample.cpu_ms else f"{'-':>7}"
        idle = f"{sample.idle_capacity:10.0f}" if sample.idle_capacity else f"{'-':>10}"
        figures = f"{sample.p50_ms:8.1f} {sample.p95_ms:8.1f} {sample.rps:8.0f} {slower:>10} {sql!s:>5}"
        print(f"{name:<26} {figures} {cpu} {idle}  {target}")
    errors = sum(s.errors for s in results.values())
    if errors:
        print(f"!!! {errors} requests failed or answered non-2xx")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
