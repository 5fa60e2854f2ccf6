"""CPU inference: latency per token, tokens per second and peak memory, measured robustly.

Method (evaluation.md §5): one fixed thread count, warm-up calls, then repeated timings reported
as median, p10/p90 and spread; every candidate call is interleaved with a call of a fixed tiny
reference model, and the median of the per-pair ratios is stored: both see the same noise, so the
ratio compares across busy machines where the raw milliseconds do not. CPU time is recorded too
(it ignores time spent descheduled). Peak memory is the rise of the process's maximum RSS over a
baseline taken after imports, before the weights load.
"""

from __future__ import annotations

import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from evaluators.scoring import level_for, timing_summary

from .base import BadgeSpec, EvaluatorResult, MetricValue, ModelFacts

WARMUP, FORWARD_REPS, GENERATE_REPS = 3, 20, 5
INPUT_TOKENS, PROMPT_TOKENS, NEW_TOKENS = 128, 16, 32
DECODE_THRESHOLDS = {"metric": "decode_tokens_per_s", "gold": 200, "silver": 50, "bronze": 10, "version": 1}
ENCODE_THRESHOLDS = {
    "metric": "prefill_tokens_per_s",
    "gold": 5000,
    "silver": 1000,
    "bronze": 200,
    "version": 1,
}
REFERENCE = {
    "architecture": "llama",
    "industry": "retail",
    "seed": 0,
    "hidden": 64,
    "layers": 2,
    "vocab": 512,
}


class CpuSpeed:
    name = "cpu-speed"
    version = "1"
    title = "CPU inference speed and memory"
    isolated = True
    needs_weights = True
    timeout_s = 1800
    headline_metric = None

    def unsupported_reason(self, facts: ModelFacts) -> str | None:
        if facts.remote_code:
            return "the model needs custom code, which is never run: " + "; ".join(facts.remote_code)
        if not facts.architecture:
            return "config.json names no single architecture to load"
        return None

    def run(self, model_dir: Path, facts: ModelFacts, *, seed: int) -> EvaluatorResult:
        import torch

        from evaluators import lm

        with tempfile.TemporaryDirectory(prefix="reference-") as scratch:
            reference = _reference_model(Path(scratch))
            _timed(reference, _inputs(reference, INPUT_TOKENS, seed))  # its first call warms the allocator
            baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            try:
                model = lm.load_strict(model_dir, facts)
            except lm.LoadRefused as exc:
                return EvaluatorResult(
                    status="failed", reason=str(exc), badge=BadgeSpec("CPU", "failed", "fail")
                )
            length = min(INPUT_TOKENS, int(getattr(model.config, "max_position_embeddings", INPUT_TOKENS)))
            inputs, reference_inputs = _inputs(model, length, seed), _inputs(reference, length, seed)
            for _ in range(WARMUP):
                _timed(model, inputs)
            forward, forward_cpu, forward_ratio = _interleaved(
                lambda: _timed(model, inputs), lambda: _timed(reference, reference_inputs), FORWARD_REPS
            )
            causal = facts.is_causal_lm
            generate: list[float] = []
            generate_ratio = None
            if causal:
                prompt, reference_prompt = (
                    _inputs(model, PROMPT_TOKENS, seed),
                    _inputs(reference, PROMPT_TOKENS, seed),
                )
                _generate(model, prompt)
                generate, _, generate_ratio = _interleaved(
                    lambda: _generate(model, prompt),
                    lambda: _generate(reference, reference_prompt),
                    GENERATE_REPS,
                )
            peak_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - baseline_kb) / 1024

        forward_stats = timing_summary(forward)
        prefill = length / forward_stats["median"]
        metrics = [
            MetricValue(
                "forward_ms",
                forward_stats["median"] * 1000,
                unit="ms",
                higher_is_better=False,
                details={k: v * 1000 if k != "spread" and k != "n" else v for k, v in forward_stats.items()}
                | {"tokens": length},
            ),
            MetricValue(
                "forward_cpu_ms", statistics.median(forward_cpu) * 1000, unit="ms", higher_is_better=False
            ),
            MetricValue("prefill_tokens_per_s", prefill, unit="tokens/s"),
            MetricValue(
                "forward_ratio_to_reference",
                forward_ratio,
                higher_is_better=False,
                details={"reference": REFERENCE},
            ),
            MetricValue(
                "peak_memory_mb",
                max(peak_mb, 0.0),
                unit="MB",
                higher_is_better=False,
                details={"baseline": "max RSS after imports and the reference model, before the weights"},
            ),
        ]
        thresholds = ENCODE_THRESHOLDS
        message = f"{_round(prefill)} tok/s encode"
        if causal:
            generate_stats = timing_summary(generate)
            decode = NEW_TOKENS / generate_stats["median"]
            metrics += [
                MetricValue(
                    "decode_tokens_per_s",
                    decode,
                    unit="tokens/s",
                    details={"new_tokens": NEW_TOKENS, "prompt_tokens": PROMPT_TOKENS, "greedy": True},
                ),
                MetricValue(
                    "decode_ms_per_token",
                    1000 / decode,
                    unit="ms",
                    higher_is_better=False,
                    details={"spread": generate_stats["spread"], "n": generate_stats["n"]},
                ),
                MetricValue("generate_ratio_to_reference", generate_ratio or 0.0, higher_is_better=False),
            ]
            thresholds, message = DECODE_THRESHOLDS, f"{_round(decode)} tok/s decode"
        value = next(m.value for m in metrics if m.key == thresholds["metric"])
        return EvaluatorResult(
            status="passed",
            metrics=metrics,
            badge=BadgeSpec("CPU", message, level_for(value, thresholds)),
            evidence={
                "threads": torch.get_num_threads(),
                "repetitions": {
                    "warmup": WARMUP,
                    "forward": FORWARD_REPS,
                    "generate": GENERATE_REPS if causal else 0,
                },
                "input_tokens": length,
                "timings_s": {"forward": forward, "generate": generate},
                "reference_model": REFERENCE,
                "note": "Wall-clock figures depend on the worker's CPU and load; compare models by the "
                "ratio to the reference model.",
            },
            thresholds=thresholds,
        )


def _round(value: float) -> str:
    return f"{value / 1000:.1f}k" if value >= 10_000 else f"{value:.0f}"


def _reference_model(folder: Path) -> Any:
    """A deterministic 0.16 M-parameter Llama built offline (the same bytes on every worker)."""
    import torch
    import transformers

    from registry.demo.builders import build_model

    build_model(folder / "model", **REFERENCE)
    model = transformers.LlamaForCausalLM.from_pretrained(folder / "model", dtype=torch.float32)
    return model.eval()


def _inputs(model: Any, length: int, seed: int) -> Any:
    """Fixed token ids: speed does not depend on which tokens, only on how many."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    vocab = int(model.config.vocab_size)
    return torch.randint(min(4, vocab - 1), vocab, (1, length), generator=generator)


def _timed(model: Any, input_ids: Any) -> tuple[float, float]:
    import torch

    wall, cpu = time.perf_counter(), time.process_time()
    with torch.inference_mode():
        model(input_ids=input_ids)
    return time.perf_counter() - wall, time.process_time() - cpu


def _generate(model: Any, prompt: Any) -> tuple[float, float]:
    import torch

    pad = model.config.pad_token_id if model.config.pad_token_id is not None else 0
    wall, cpu = time.perf_counter(), time.process_time()
    with torch.inference_mode():
        model.generate(
            prompt,
            attention_mask=torch.ones_like(prompt),
            max_new_tokens=NEW_TOKENS,
            min_new_tokens=NEW_TOKENS,
            do_sample=False,
            pad_token_id=pad,
        )
    return time.perf_counter() - wall, time.process_time() - cpu


def _interleaved(candidate, reference, repetitions: int) -> tuple[list[float], list[float], float]:
    """Wall times and CPU times of the candidate, and the median candidate/reference wall ratio."""
    wall, cpu, ratios = [], [], []
    for _ in range(repetitions):
        seconds, cpu_seconds = candidate()
        reference_seconds, _ = reference()
        wall.append(seconds)
        cpu.append(cpu_seconds)
        ratios.append(seconds / reference_seconds if reference_seconds > 0 else 0.0)
    return wall, cpu, statistics.median(ratios)
