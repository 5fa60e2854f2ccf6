"""A warm parent for the evaluation children: `python -m evaluators.zygote`.

96 % of an isolated run used to be the child importing torch and transformers. The zygote imports
them once, in the same clean environment a child gets (no credentials, offline, one thread), then
forks one child per run. Each child is what `python -m evaluators.runner` was: its own session
(killed as a group), its own home and log, its memory capped before any plugin code runs; a child
that crashes or is killed takes only its run with it, and a dead zygote is started again.

Protocol on the zygote's stdin/stdout, one JSON object per line: the worker sends
`{"request", "log", "home"}`; the zygote answers `{"pid"}` once the child runs, then `{"status",
"cpu"}` (the exit code, or minus the signal number; the child's CPU seconds) once it has reaped it.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

# Imported once here rather than in every child: the shared, expensive part of loading any model.
PRELOAD = ("torch", "transformers", "transformers.modeling_utils", "transformers.generation.utils")
READY_TIMEOUT_S = 180


class ZygoteUnavailable(Exception):
    """The zygote could not take the run: the caller starts a plain child process instead."""


class Zygote:
    """The worker's side: one zygote per worker process, started on first use."""

    def __init__(self) -> None:
        self._process: subprocess.Popen | None = None
        # The zygote's home: removed when it stops, and at the latest when this process exits.
        self._home: tempfile.TemporaryDirectory | None = None
        self.children_cpu_seconds = 0.0  # what RUSAGE_CHILDREN cannot see: the zygote reaps them

    def run(
        self, *, request: Path, log: Path, home: Path, env: dict[str, str], timeout_s: float
    ) -> int | None:
        """The child's exit status (minus the signal number when killed), None on timeout."""
        process = self._ensure(env)
        try:
            self._send(process, {"request": str(request), "log": str(log), "home": str(home)})
            pid = self._receive(process, READY_TIMEOUT_S)["pid"]
        except (OSError, ValueError, KeyError) as exc:
            self.stop()
            raise ZygoteUnavailable(str(exc)) from exc
        try:
            reaped = self._receive(process, timeout_s)
        except TimeoutError:
            _kill_group(pid)
            reaped = self._receive(process, 30)  # the zygote reaps it and says so
            self.children_cpu_seconds += reaped["cpu"]
            return None
        except BaseException:  # Celery's soft time limit, a worker shutdown: never leave it running
            _kill_group(pid)
            self.stop()
            raise
        self.children_cpu_seconds += reaped["cpu"]
        return reaped["status"]

    def stop(self) -> None:
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()
            self._process = None
        self._drop_home()

    def _drop_home(self) -> None:
        if self._home is not None:
            self._home.cleanup()
            self._home = None

    def _ensure(self, env: dict[str, str]) -> subprocess.Popen:
        if self._process is not None and self._process.poll() is None:
            return self._process
        self._drop_home()  # a dead zygote's (its pid may be reused: no signal is sent)
        self._home = tempfile.TemporaryDirectory(prefix="eval-zygote-", ignore_cleanup_errors=True)
        home = Path(self._home.name)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "evaluators.zygote"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**env, "HOME": str(home), "HF_HOME": str(home / "hf")},
            cwd=home,
            start_new_session=True,
        )
        try:
            if self._receive(self._process, READY_TIMEOUT_S).get("ready") is not True:
                raise ValueError("the zygote did not say it was ready")
        except (OSError, ValueError, TimeoutError) as exc:
            self.stop()
            raise ZygoteUnavailable(f"the evaluation zygote did not start: {exc}") from exc
        return self._process

    @staticmethod
    def _send(process: subprocess.Popen, message: dict) -> None:
        assert process.stdin is not None
        process.stdin.write(json.dumps(message).encode() + b"\n")
        process.stdin.flush()

    @staticmethod
    def _receive(process: subprocess.Popen, timeout_s: float) -> dict:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], timeout_s)
        if not ready:
            raise TimeoutError
        line = process.stdout.readline()
        if not line:
            raise ValueError("the zygote exited")
        return json.loads(line)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _child(job: dict) -> int:
    """In the forked child: a session, streams and home of its own, then the runner."""
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    log = os.open(job["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.chdir(job["home"])
    os.environ.update(HOME=job["home"], HF_HOME=str(Path(job["home"]) / "hf"))
    sys.stdout = sys.stderr  # as in runner: printed noise never mixes with anything parsed
    from evaluators import runner

    return runner.main(job["request"])


def main() -> int:
    for module in PRELOAD:
        __import__(module)
    out = sys.stdout.buffer
    out.write(b'{"ready": true}\n')
    out.flush()
    for line in sys.stdin.buffer:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = _child(job)
            except BaseException:  # nothing may return into the zygote's loop
                traceback.print_exc()
            finally:
                os._exit(code)
        out.write(json.dumps({"pid": pid}).encode() + b"\n")
        out.flush()
        _, status, usage = os.wait4(pid, 0)
        cpu = usage.ru_utime + usage.ru_stime
        out.write(json.dumps({"status": os.waitstatus_to_exitcode(status), "cpu": cpu}).encode() + b"\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
