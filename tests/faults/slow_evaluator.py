"""An evaluator that takes a few seconds and notes each run it finishes: long enough to kill its
worker mid-run, countable afterwards (tests/faults/test_worker_killed.py)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from evaluators.plugins.base import BadgeSpec, EvaluatorResult, MetricValue, ModelFacts


class SlowEvaluator:
    name = "slow-fault"
    version = "1"
    title = "Slow (fault tests)"
    isolated = False
    needs_weights = False
    timeout_s = 60
    headline_metric = "score"

    def unsupported_reason(self, facts: ModelFacts) -> str | None:
        return None

    def run(self, model_dir: Path, facts: ModelFacts, *, seed: int) -> EvaluatorResult:
        time.sleep(float(os.environ.get("SLOW_EVALUATOR_SECONDS", "3")))
        with open(os.environ["SLOW_EVALUATOR_LOG"], "a") as log:
            log.write(f"{os.getpid()}\n")
        return EvaluatorResult(
            status="passed",
            badge=BadgeSpec(label="slow", message="done", level="pass"),
            metrics=[MetricValue("score", 1.0)],
        )
