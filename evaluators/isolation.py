"""Run an evaluator in a child process: one thread, a memory cap, a timeout, no credentials.

A model that leaks memory, crashes the interpreter or hangs costs its own run only: the worker
reads the child's verdict from a result file, and a child that dies or overruns becomes an
`error` result whose reason says what happened.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from evaluators import conf
from evaluators.plugins import class_path
from evaluators.plugins.base import Evaluator, EvaluatorResult, ModelFacts
from evaluators.zygote import Zygote, ZygoteUnavailable

LOG_LIMIT = 20_000  # characters of the child's stderr kept with the run
BASELINE_MB = 1024  # Python + torch + transformers address space before any weights (measured ~660 MB)
# Variables the child may inherit; everything else (DATABASE_URL, S3 keys, tokens) stays behind.
INHERITED = ("PATH", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV", "PYTHONPATH")


@dataclass(frozen=True)
class ChildOutcome:
    result: EvaluatorResult
    log: str
    seconds: float


def memory_needed_mb(facts: ModelFacts) -> int:
    """Address space a run needs: the mapped file, float32 weights, and the baseline."""
    return BASELINE_MB + (facts.weight_bytes + facts.float_parameters * 4 * 5 // 4) // (1 << 20)


def _kill(child: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(child.pid, signal.SIGKILL)
    child.wait()


def child_environment(home: Path, threads: int) -> dict[str, str]:
    env = {name: os.environ[name] for name in INHERITED if name in os.environ}
    env.update(
        HOME=str(home),
        HF_HOME=str(home / "hf"),
        HF_HUB_OFFLINE="1",
        HF_DATASETS_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        HF_HUB_DISABLE_PROGRESS_BARS="1",
        HF_HUB_DISABLE_TELEMETRY="1",
        TRANSFORMERS_VERBOSITY="error",
        TOKENIZERS_PARALLELISM="false",
        OMP_NUM_THREADS=str(threads),
        MKL_NUM_THREADS=str(threads),
        OPENBLAS_NUM_THREADS=str(threads),
        PYTHONHASHSEED="0",
        PYTHONDONTWRITEBYTECODE="1",
    )
    root = str(Path(settings.BASE_DIR))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


_ZYGOTE = Zygote()


def _launch(
    plugin: Evaluator, home: Path, log_path: Path, env: dict[str, str], timeout_s: float
) -> int | None:
    """Run the child; its exit status (minus the signal number when killed), None on timeout.
    Plugins that load models fork from the warm zygote; the others, light, start a plain process."""
    request = home / "request.json"
    if getattr(plugin, "uses_torch", True) and conf.zygote_enabled():
        try:
            return _ZYGOTE.run(request=request, log=log_path, home=home, env=env, timeout_s=timeout_s)
        except ZygoteUnavailable:
            pass  # the plain way below still isolates the run; only slower
    with log_path.open("wb") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "evaluators.runner", str(request)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=home,
            start_new_session=True,  # a timeout kills the whole group, grandchildren included
        )
        try:
            return child.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _kill(child)
            return None
        except BaseException:  # Celery's soft time limit, a worker shutdown: never leave it running
            _kill(child)
            raise


def run_in_child(
    plugin: Evaluator,
    model_dir: Path,
    facts: ModelFacts,
    *,
    seed: int,
    memory_cap_mb: int,
    threads: int,
    timeout_s: float,
) -> ChildOutcome:
    with tempfile.TemporaryDirectory(prefix="eval-child-") as scratch:
        home = Path(scratch)
        request = {
            "plugin": class_path(plugin),
            "model_dir": str(model_dir),
            "facts": facts.to_json(),
            "seed": seed,
            "threads": threads,
            "memory_cap_mb": memory_cap_mb,
            "result_path": str(home / "result.json"),
        }
        (home / "request.json").write_text(json.dumps(request))
        log_path = home / "child.log"
        started = time.perf_counter()
        env = child_environment(home, threads)
        code = _launch(plugin, home, log_path, env, timeout_s)
        seconds = time.perf_counter() - started
        text = log_path.read_text(errors="replace")
        log_tail = text[-LOG_LIMIT:]
        result_file = home / "result.json"
        if code is None:
            reason = f"timed out after {timeout_s:.0f} s; the evaluation process was killed"
        elif result_file.is_file():
            payload = json.loads(result_file.read_text())
            evidence = dict(payload.get("evidence") or {})
            evidence["child"] = {"pid": payload.get("child_pid"), "seconds": payload.get("child_seconds")}
            payload["evidence"] = evidence
            return ChildOutcome(EvaluatorResult.from_json(payload), log_tail, seconds)
        elif code < 0:
            name = signal.Signals(-code).name
            reason = f"the evaluation process was killed by {name}" + (
                f" (it may have exceeded the {memory_cap_mb} MB memory cap)"
                if name in ("SIGKILL", "SIGABRT", "SIGSEGV")
                else ""
            )
        else:
            reason = f"the evaluation process exited with status {code} without a result"
            if "MemoryError" in text or "bad_alloc" in text or "Cannot allocate memory" in text:
                reason += f": it ran out of memory under the {memory_cap_mb} MB cap"
        return ChildOutcome(EvaluatorResult(status="error", reason=reason), log_tail, seconds)
