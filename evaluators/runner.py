"""The child process that runs one evaluator on one model: `python -m evaluators.runner REQUEST`.

Started by `evaluators.isolation` with one thread, no network variables and no credentials in its
environment; it caps its own memory first thing. It reads the request (plugin, model folder,
facts, seed), runs the plugin, and writes the result as JSON to the path the request names.
Anything the model or a library prints goes to the log the parent keeps with the run.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
import traceback
from pathlib import Path


def _write(path: Path, payload: dict) -> None:
    path.write_text(json.dumps(payload, default=str))


def cap_memory(megabytes: int) -> None:
    """Cap this process's address space before any model code is imported; soft and hard limits
    alike, so nothing loaded later can raise it again."""
    limit = megabytes << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def main(request_path: str) -> int:
    request = json.loads(Path(request_path).read_text())
    if request.get("memory_cap_mb"):
        cap_memory(int(request["memory_cap_mb"]))
    result_path = Path(request["result_path"])
    threads = int(request.get("threads", 1))
    started = time.perf_counter()
    try:
        from evaluators.plugins import load_class
        from evaluators.plugins.base import ModelFacts

        plugin = load_class(request["plugin"])()
        if getattr(plugin, "uses_torch", True):
            import torch

            torch.set_num_threads(threads)  # 4-10x faster than the default on a shared 2-core box
            torch.manual_seed(int(request.get("seed", 0)))
        facts = ModelFacts.from_json(request["facts"])
        result = plugin.run(Path(request["model_dir"]), facts, seed=int(request.get("seed", 0)))
        payload = result.to_json()
        payload["evidence"] = {**payload["evidence"], "threads": threads}
    except MemoryError:
        cap = request.get("memory_cap_mb")
        payload = {
            "status": "error",
            "reason": f"ran out of memory under the evaluation memory cap ({cap} MB)",
        }
    except Exception as exc:  # a crash in model code is this run's result, not the worker's problem
        traceback.print_exc()
        payload = {"status": "error", "reason": f"{type(exc).__name__}: {exc}"[:2000]}
    payload["child_seconds"] = time.perf_counter() - started
    payload["child_pid"] = os.getpid()
    _write(result_path, payload)
    return 0


if __name__ == "__main__":
    sys.stdout = sys.stderr  # libraries that print must not interleave with anything we parse
    sys.exit(main(sys.argv[1]))
