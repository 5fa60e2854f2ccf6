"""Evaluation settings, each overridable in Django settings or the environment.

- EVALUATOR_MEMORY_CAP_MB: address-space cap of each evaluation child process (default 4096).
- EVALUATOR_THREADS: torch threads per evaluation (default 1: fastest on a shared 2-core worker).
- EVALUATOR_MAX_ATTEMPTS: deliveries of one run before it is given up as lost (default 3).
- EVALUATOR_SEED: seed recorded with every run (default 0).
- EVALUATOR_ZYGOTE: fork model-loading runs from a warm process that imported torch once (default 1).
- EVALUATOR_PLUGINS: "module:Class" paths of the evaluators (default: the built-in six).
"""

from __future__ import annotations

import os

from django.conf import settings


def _setting(name: str, default: int) -> int:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name) or default
    return int(value)


def memory_cap_mb() -> int:
    return _setting("EVALUATOR_MEMORY_CAP_MB", 4096)


def threads() -> int:
    return _setting("EVALUATOR_THREADS", 1)


def max_attempts() -> int:
    return _setting("EVALUATOR_MAX_ATTEMPTS", 3)


def seed() -> int:
    return _setting("EVALUATOR_SEED", 0)


def zygote_enabled() -> bool:
    return bool(_setting("EVALUATOR_ZYGOTE", 1))
