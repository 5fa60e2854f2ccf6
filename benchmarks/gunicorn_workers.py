"""gunicorn `sync` vs `gthread` workers on this machine, against the project's own app.

Starts gunicorn on a free loopback port with `config.wsgi:application` and the test settings
(DEBUG off, ALLOWED_HOSTS=*) on a dedicated PostgreSQL database, once per worker class:

  - sync:    2 workers
  - gthread: 2 workers x 4 threads

and drives each with wrk (8 connections, 2 s warm-up, then ~10 s measured) on `/healthz` (the
stack floor: no SQL, no template) and `/` (the home page: a few queries and a template; falls back
to `/admin/login/` when `/` does not answer 200). Prints p50 / p95 latency as the client saw it,
req/s and the server's CPU per request, side by side with the gthread/sync ratio. Rounds alternate
which class goes first, and the median over rounds is reported, because the machine is shared and
single runs swing.

    .venv/bin/python benchmarks/gunicorn_workers.py [--rounds 3] [--duration 10] [--connections 8]
        [--close]        # Connection: close, as behind a proxy without upstream keep-alive
        [--cpu-hogs N]   # N busy processes beside the server, as workers hashing uploads would be

Needs wrk (Debian: `apt-get install wrk`) and a PostgreSQL that trusts local connections
(DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres; the script creates and migrates
a `bench_workers` database next to it). Everything listens on 127.0.0.1, every run is bounded in
time, and the servers it started are stopped on exit.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psutil

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
BENCH_DB = "bench_workers"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"

# wrk prints only fixed percentiles (50/75/90/99); a `done` hook gives p95 and machine-readable totals.
WRK_REPORT = """
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"non2xx": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), errors.status, errors.connect, errors.read, errors.write, errors.timeout))
end
"""

VARIANTS = {
    "sync": ["--worker-class", "sync", "--workers", "2"],
    "gthread": ["--worker-class", "gthread", "--workers", "2", "--threads", "4"],
}
LABELS = {"sync": "sync 2w", "gthread": "gthread 2w x 4t"}


@dataclass
class Sample:
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    cpu_ms_per_request: float | None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def create_database(base_url: str, name: str) -> str:
    """The URL of a database of our own next to `base_url`'s, created when missing, so a benchmark
    never touches real data."""
    import psycopg

    parts = urlsplit(base_url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def prepare_database(base_url: str) -> str:
    """Create (if missing) and migrate the benchmark's own database."""
    url = create_database(base_url, BENCH_DB)
    subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=server_env(url),
        timeout=300,
        check=True,
    )
    return url


def server_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test", DATABASE_URL=database_url, DB_CONN_MAX_AGE="600"
    )
    return env


class Server:
    """One gunicorn master in its own session, so stopping it never touches anything else."""

    def __init__(self, variant: str, database_url: str, log_dir: Path):
        self.port = free_port()
        self.log = log_dir / f"gunicorn-{variant}.log"
        cmd = [
            str(VENV_BIN / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            *VARIANTS[variant],
            "--timeout",
            "30",
            # gunicorn 27 otherwise opens ~/.gunicorn/gunicorn.ctl, shared by every instance.
            "--no-control-socket",
            "--error-logfile",
            str(self.log),
            # No access log: writing one line per request would be part of what we measure.
        ]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                cmd,
                cwd=ROOT,
                env=server_env(database_url),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}:\n{self.log_tail()}")
            if status_of(self.url + "/healthz") == 200:
                return
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def cpu_seconds(self) -> float:
        """User + system CPU of the master and its workers so far (workers live for the whole run)."""
        try:
            master = psutil.Process(self.proc.pid)
            procs = [master, *master.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0.0
        total = 0.0
        for proc in procs:
            try:
                times = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # the master stops its workers gracefully
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # our own session only
                self.proc.wait(5)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def status_of(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - our own loopback server
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def wrk(url: str, *, seconds: int, connections: int, script: Path, close: bool) -> dict:
    # 2 wrk threads: wrk needs well under 0.1 core here, and more threads would only compete.
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script)]
    if close:
        cmd += ["-H", "Connection: close"]
    out = subprocess.run(
        [*cmd, url],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(server: Server, path: str, args: argparse.Namespace, script: Path) -> Sample:
    url = server.url + path
    options = {"connections": args.connections, "script": script, "close": args.close}
    wrk(url, seconds=args.warmup, **options)
    cpu_before = server.cpu_seconds()
    report = wrk(url, seconds=args.duration, **options)
    cpu = server.cpu_seconds() - cpu_before
    requests = report["requests"]
    errors = sum(report[k] for k in ("non2xx", "connect", "read", "write", "timeout"))
    return Sample(
        rps=requests / (report["duration_us"] / 1e6),
        p50_ms=report["p50_us"] / 1000,
        p95_ms=report["p95_us"] / 1000,
        p99_ms=report["p99_us"] / 1000,
        errors=errors,
        cpu_ms_per_request=cpu * 1000 / requests if requests else None,
    )


def choose_page(server: Server) -> tuple[str, str | None]:
    status = status_of(server.url + "/")
    if status == 200:
        return "/", None
    return "/admin/login/", f"`/` answered {status}; measuring /admin/login/ instead"


def median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def print_table(paths: list[str], results: dict[tuple[str, str], list[Sample]]) -> None:
    metrics = [
        ("p50 ms", "p50_ms", 1),
        ("p95 ms", "p95_ms", 1),
        ("p99 ms", "p99_ms", 1),
        ("req/s", "rps", 0),
        ("CPU ms/req", "cpu_ms_per_request", 2),
    ]
    header = (
        f"{'endpoint':<14} {'metric':<11} {LABELS['sync']:>12} {LABELS['gthread']:>17} {'gthread/sync':>13}"
    )
    print(header)
    print("-" * len(header))
    for path in paths:
        for label, field, digits in metrics:
            sync = median([getattr(s, field) for s in results[("sync", path)]])
            threaded = median([getattr(s, field) for s in results[("gthread", path)]])
            ratio = f"{threaded / sync:.2f}" if sync and threaded is not None else "-"
            print(f"{path:<14} {label:<11} {fmt(sync, digits):>12} {fmt(threaded, digits):>17} {ratio:>13}")
        errors = {v: sum(s.errors for s in results[(v, path)]) for v in VARIANTS}
        if any(errors.values()):
            print(f"{path:<14} errors      {errors['sync']:>12} {errors['gthread']:>17}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the median is shown")
    parser.add_argument("--duration", type=int, default=10, help="measured seconds per endpoint")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up seconds per endpoint")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--close",
        action="store_true",
        help="send `Connection: close` (a new TCP connection per request, as behind a proxy without "
        "upstream keep-alive); by default clients keep connections open, which only gthread honours",
    )
    parser.add_argument(
        "--cpu-hogs",
        type=int,
        default=0,
        metavar="N",
        help="run N busy processes beside the server (a worker hashing uploads on the same host)",
    )
    args = parser.parse_args()

    if shutil.which("wrk") is None:
        print(
            "wrk is not installed. On Debian/Ubuntu:\n"
            "  apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk",
            file=sys.stderr,
        )
        return 2
    if not (VENV_BIN / "gunicorn").exists():
        print(f"{VENV_BIN / 'gunicorn'} is missing: run `make test` once to build .venv", file=sys.stderr)
        return 2

    # What others use right now (the load average lags by minutes, so it would blame a past run).
    busy = psutil.cpu_percent(interval=2)
    print(f"{os.cpu_count()} CPUs, {busy:.0f} % busy before the run", flush=True)
    if busy > 20:
        print("!!! the machine is busy: figures will be noisy and unfair to whoever runs then", flush=True)
    database_url = prepare_database(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)

    paths: list[str] = []
    notes: list[str] = []
    results: dict[tuple[str, str], list[Sample]] = {}
    hogs = [start_hog() for _ in range(args.cpu_hogs)]
    if hogs:
        notes.append(f"{len(hogs)} busy process(es) hashing in a loop ran beside the server throughout")
    try:
        run_rounds(args, database_url, paths, notes, results)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait(5)

    print(
        f"\nMedian of {args.rounds} round(s); {args.connections} connections, {args.warmup} s warm-up, "
        f"{args.duration} s measured per endpoint; latency as wrk saw it; "
        f"{'Connection: close' if args.close else 'keep-alive requested (sync workers close anyway)'}."
    )
    for note in notes:
        print(f"Note: {note}")
    print()
    print_table(paths, results)
    return 0


def start_hog() -> subprocess.Popen:
    """One core's worth of sha256, like a Celery worker verifying an upload on the same host."""
    code = "import hashlib\nblock = bytes(1 << 20)\nwhile True:\n    hashlib.sha256(block).digest()"
    return subprocess.Popen([sys.executable, "-c", code], start_new_session=True)


def run_rounds(
    args: argparse.Namespace,
    database_url: str,
    paths: list[str],
    notes: list[str],
    results: dict[tuple[str, str], list[Sample]],
) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-gunicorn-") as tmp:
        script = Path(tmp) / "report.lua"
        script.write_text(WRK_REPORT)
        order = list(VARIANTS)
        for round_no in range(1, args.rounds + 1):
            for variant in order:
                server = Server(variant, database_url, Path(tmp))
                try:
                    server.wait_ready()
                    if not paths:
                        page, note = choose_page(server)
                        paths.extend(["/healthz", page])
                        notes.extend([note] if note else [])
                    for path in paths:
                        sample = measure(server, path, args, script)
                        results.setdefault((variant, path), []).append(sample)
                        print(
                            f"round {round_no} {LABELS[variant]:<16} {path:<14} "
                            f"p50 {sample.p50_ms:6.1f} ms  p95 {sample.p95_ms:6.1f} ms  "
                            f"{sample.rps:8.0f} req/s  errors {sample.errors}",
                            flush=True,
                        )
                finally:
                    server.stop()
            order.reverse()  # alternate who goes first: neither class always gets the cooler machine


if __name__ == "__main__":
    sys.exit(main())
