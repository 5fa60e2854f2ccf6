"""What the 1 GiB benchmarks share: a private SeaweedFS, the environment of a local registry
process pointed at it, a process timer that samples peak RSS, a peak-RSS sampler for a process
tree (a gunicorn master and its workers), and a CPU clock per party (client, web server, S3)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry.storage.seaweed import SeaweedServer, free_ports  # noqa: E402

ACCESS, SECRET = "bench-access", "bench-secret-key"


def start_s3(folder: Path, bucket: str) -> SeaweedServer:
    server = SeaweedServer(
        folder, s3_port=free_ports(1)[0], access_key=ACCESS, secret_key=SECRET, bucket=bucket
    )
    server.start()
    return server


def registry_env(data: Path, s3_endpoint: str, bucket: str, **extra: str) -> dict[str, str]:
    """A `config.settings.local` registry on SQLite in `data` (its signing key is created there)."""
    return dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings.local",
        REGISTRY_DATA_DIR=str(data),
        DATABASE_URL=f"sqlite:///{data / 'bench.sqlite3'}",
        S3_ENDPOINT_URL=s3_endpoint,
        S3_BUCKET=bucket,
        S3_ACCESS_KEY_ID=ACCESS,
        S3_SECRET_ACCESS_KEY=SECRET,
        DJANGO_DEBUG="false",
        **extra,
    )


def measured(command: list[str], env: dict[str, str], *, quiet: bool = False) -> tuple[float, float]:
    """Wall time and peak RSS (MB) of one process, sampled every 20 ms; exits on its failure."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL if quiet else None)
    watched, peak, done = psutil.Process(proc.pid), 0, threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            try:
                peak = max(peak, watched.memory_info().rss)
            except psutil.Error:
                return
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    code = proc.wait()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    if code:
        raise SystemExit(f"{' '.join(command[:3])} failed with exit code {code}")
    return elapsed, peak / 1e6


def manage(*args: str) -> list[str]:
    return [sys.executable, "manage.py", *args]


def s3_client(endpoint: str):
    """A plain boto3 client on the benchmark's SeaweedFS: the raw baseline every ratio divides by."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS,
        aws_secret_access_key=SECRET,
        region_name="us-east-1",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own loopback server
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {timeout} s")


class TreeRss:
    """Peak RSS of a process and its children (summed, and the largest one), sampled every 20 ms
    while active; `baseline_total` is the sum when it was created."""

    def __init__(self, pid: int, *, active: bool = True):
        self.root = psutil.Process(pid)
        self.peak_total = self.peak_process = 0
        self.baseline_total = self._sample()[0]
        self._on, self._stop = threading.Event(), threading.Event()
        if active:
            self._on.set()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self) -> tuple[int, int]:
        sizes = []
        for process in [self.root, *self.root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):  # a worker may be replaced mid-sample
                sizes.append(process.memory_info().rss)
        return sum(sizes), max(sizes, default=0)

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._on.is_set():
                total, largest = self._sample()
                self.peak_total = max(self.peak_total, total)
                self.peak_process = max(self.peak_process, largest)
            time.sleep(0.02)

    def active(self, on: bool) -> None:
        (self._on.set if on else self._on.clear)()

    def reset(self) -> None:
        self.peak_total = self.peak_process = 0

    def stop(self) -> float:
        """Stop sampling; the summed peak in MB."""
        self._stop.set()
        self._thread.join()
        return self.peak_total / 1e6


def _cpu(pid: int, *, live_children: bool) -> float:
    """User + system CPU seconds of a process and the children it reaped, plus its live
    descendants when asked (a gunicorn master's workers; not the servers a benchmark started)."""
    total = 0.0
    with contextlib.suppress(psutil.Error):
        root = psutil.Process(pid)
        times = root.cpu_times()
        total += times.user + times.system + times.children_user + times.children_system
        for child in root.children(recursive=True) if live_children else []:
            with contextlib.suppress(psutil.Error):  # a worker may exit mid-reading
                times = child.cpu_times()
                total += times.user + times.system
    return total


class CpuClock:
    """CPU seconds spent by each party between `start` and `stop`: the client (this process, its
    threads such as boto3's transfers, and the client subprocesses it ran and waited for) and the
    server process trees given by pid. When every core is busy, wall time cannot fall below CPU
    time / cores: this shows which share of a ratio is work the machine must do."""

    def __init__(self, **servers: int):
        self.servers = servers
        self._started: dict[str, float] = {}

    def _read(self) -> dict[str, float]:
        spent = {"client": _cpu(os.getpid(), live_children=False)}
        spent.update({name: _cpu(pid, live_children=True) for name, pid in self.servers.items()})
        return spent

    def start(self) -> None:
        self._started = self._read()

    def stop(self) -> dict[str, float]:
        return {name: seconds - self._started[name] for name, seconds in self._read().items()}


def cpu_line(label: str, spent: dict[str, float], wall: float) -> str:
    total = sum(spent.values())
    parts = ", ".join(f"{name} {seconds:.1f}" for name, seconds in spent.items())
    cores = os.cpu_count() or 1
    return (
        f"  {label:<10} CPU s: {parts}; total {total:.1f}, {total / wall:.2f} of {cores} cores busy "
        f"over {wall:.2f} s; all cores busy would take {total / cores:.2f} s"
    )
