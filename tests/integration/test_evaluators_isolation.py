"""A bad model cannot take the worker down: the child process's memory cap, timeout and crash
handling, and what its environment leaves out. The plugins below stand in for hostile model code;
the child imports them from this module, exactly as it imports the real evaluators."""

import os
import time
from pathlib import Path

from evaluators.isolation import run_in_child
from evaluators.plugins.base import EvaluatorResult, MetricValue, ModelFacts

FACTS = ModelFacts(
    repo_id="acme/hostile",
    commit_id="0" * 40,
    industry="retail",
    task="text-generation",
    files={},
    config={},
    tokenizer_config={},
    parameters_by_dtype={},
    card_metadata={},
    card_body="",
)


class _Hostile:
    version = "1"
    title = "hostile"
    isolated = True
    needs_weights = False
    timeout_s = 30
    headline_metric = None
    uses_torch = False  # keeps these children light: no torch import

    def unsupported_reason(self, facts):
        return None


class Hog(_Hostile):
    name = "hog"

    def run(self, model_dir, facts, *, seed):
        hoard = bytearray(1500 << 20)  # 1.5 GB against a smaller cap
        return EvaluatorResult(status="passed", metrics=[MetricValue("bytes", float(len(hoard)))])


class Sleeper(_Hostile):
    name = "sleeper"

    def run(self, model_dir, facts, *, seed):
        time.sleep(60)
        return EvaluatorResult(status="passed")


class Crasher(_Hostile):
    name = "crasher"

    def run(self, model_dir, facts, *, seed):
        os.abort()


class Snoop(_Hostile):
    name = "snoop"

    def run(self, model_dir, facts, *, seed):
        print("noise a library might print")
        return EvaluatorResult(status="passed", evidence={"env": dict(os.environ), "pid": os.getpid()})


def run(plugin, **options):
    values = {"seed": 0, "memory_cap_mb": 600, "threads": 1, "timeout_s": 30, **options}
    return run_in_child(plugin, Path("/nonexistent"), FACTS, **values)


def test_memory_beyond_the_cap_fails_the_run_not_the_worker():
    outcome = run(Hog())
    assert outcome.result.status == "error"
    assert "ran out of memory under the evaluation memory cap (600 MB)" in outcome.result.reason


def test_a_hung_evaluation_is_killed_at_its_timeout():
    started = time.monotonic()
    outcome = run(Sleeper(), timeout_s=2)
    assert time.monotonic() - started < 20
    assert outcome.result.status == "error" and outcome.result.reason.startswith("timed out after 2 s")


def test_a_crashing_model_becomes_an_error_with_the_signal_named():
    outcome = run(Crasher())
    assert outcome.result.status == "error"
    assert "killed by SIGABRT" in outcome.result.reason


def test_the_child_runs_offline_on_one_thread_without_the_workers_secrets(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://secret@db/x")
    monkeypatch.setenv("S3_SECRET_ACCESS_KEY", "hunter2")
    outcome = run(Snoop())
    assert outcome.result.status == "passed", outcome.result.reason
    env = outcome.result.evidence["env"]
    assert "DATABASE_URL" not in env and "S3_SECRET_ACCESS_KEY" not in env
    assert env["HF_HUB_OFFLINE"] == "1" and env["OMP_NUM_THREADS"] == "1"
    assert outcome.result.evidence["pid"] != os.getpid()
    assert "noise a library might print" in outcome.log


# The same hostile code forked from the warm zygote (plugins that load models run there): its
# children keep the memory cap, the timeout, the crash handling and the clean environment.
class TorchHog(Hog):
    name = "torch-hog"
    uses_torch = True

    def run(self, model_dir, facts, *, seed):
        hoard = bytearray(2500 << 20)  # beyond the cap even with torch already mapped
        return EvaluatorResult(status="passed", metrics=[MetricValue("bytes", float(len(hoard)))])


class TorchSleeper(Sleeper):
    name = "torch-sleeper"
    uses_torch = True


class TorchCrasher(Crasher):
    name = "torch-crasher"
    uses_torch = True


class TorchSnoop(Snoop):
    name = "torch-snoop"
    uses_torch = True


def test_zygote_children_are_isolated_like_plain_ones(monkeypatch):
    from evaluators import isolation

    monkeypatch.setenv("DATABASE_URL", "postgres://secret@db/registry")
    zygote = isolation._ZYGOTE
    cap = 2048  # torch and transformers take ~700 MB of address space before any run
    first = run(TorchSnoop(), memory_cap_mb=cap)
    assert first.result.status == "passed", first.log
    env = first.result.evidence["env"]
    assert "DATABASE_URL" not in env and env["HF_HUB_OFFLINE"] == "1" and env["OMP_NUM_THREADS"] == "1"
    assert first.result.evidence["pid"] not in (os.getpid(), zygote._process.pid)  # a fresh fork
    assert "noise a library might print" in first.log
    warm_process = zygote._process.pid  # torch imported there once
    warm = run(TorchSnoop(), memory_cap_mb=cap)
    assert warm.result.status == "passed"
    # Forked again from the same warm zygote (no second start, so no second import of torch).
    assert zygote._process.pid == warm_process and warm.result.evidence["pid"] != first.result.evidence["pid"]

    hog = run(TorchHog(), memory_cap_mb=cap)
    assert hog.result.status == "error" and "memory" in hog.result.reason
    crash = run(TorchCrasher(), memory_cap_mb=cap)
    assert crash.result.status == "error" and "SIGABRT" in crash.result.reason
    slept = run(TorchSleeper(), memory_cap_mb=cap, timeout_s=2)
    assert slept.result.status == "error" and "timed out after 2 s" in slept.result.reason
    assert zygote._process.poll() is None  # none of them took the zygote down
    assert run(TorchSnoop(), memory_cap_mb=cap).result.status == "passed"
    home = Path(zygote._home.name)
    assert home.is_dir()
    zygote.stop()
    assert not home.exists()  # a stopped zygote leaves no folder behind
