"""Domain benchmark: multiple-choice accuracy by log-likelihood and perplexity on domain text,
on the suite of the repository's industry. Causal language models only; runs in a child process."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

from evaluators.scoring import level_for, wilson_interval
from evaluators.suites import SuiteError, available, load_suite

from .base import BadgeSpec, EvaluatorResult, MetricValue, ModelFacts

CHOICES = 4


class DomainBenchmark:
    name = "domain-benchmark"
    version = "1"
    title = "Domain benchmark"
    isolated = True
    needs_weights = True
    timeout_s = 1800
    headline_metric = "mc_accuracy"

    def unsupported_reason(self, facts: ModelFacts) -> str | None:
        if facts.industry not in available():
            return f"no domain suite for industry {facts.industry!r} (suites: {', '.join(available())})"
        if not facts.is_causal_lm:
            return (
                f"scores causal language models (…ForCausalLM); this model is "
                f"{facts.architecture or 'of no single declared architecture'}"
            )
        if facts.remote_code:
            return "the model needs custom code, which is never run: " + "; ".join(facts.remote_code)
        return None

    def run(self, model_dir: Path, facts: ModelFacts, *, seed: int) -> EvaluatorResult:
        from evaluators import lm

        try:
            suite = load_suite(facts.industry)
        except SuiteError as exc:
            return EvaluatorResult(status="error", reason=str(exc))
        label = f"{facts.industry} MC"
        try:
            model, tokenizer = lm.load_strict(model_dir, facts), lm.load_tokenizer(model_dir)
            items = lm.multiple_choice(model, tokenizer, suite.items("mc"))
            documents = suite.items("ppl")
            loglikelihoods = lm.rolling_loglikelihood(model, tokenizer, [d["text"] for d in documents])
        except lm.LoadRefused as exc:
            return EvaluatorResult(
                status="failed",
                reason=str(exc),
                badge=BadgeSpec(label, "failed", "fail"),
                evidence=suite.evidence(),
            )

        n = len(items)
        correct = sum(item["pick"] == item["answer"] for item in items)
        correct_norm = sum(item["pick_norm"] == item["answer"] for item in items)
        low, high = wilson_interval(correct, n)
        accuracy = correct / n
        total_bytes = sum(len(d["text"].encode()) for d in documents)
        total_ll = sum(loglikelihoods)
        bpb = lm.bits_per_byte(total_ll, total_bytes)
        thresholds = suite.thresholds["mc_accuracy"]
        level = level_for(low, thresholds)
        metrics = [
            MetricValue("mc_accuracy", accuracy, details={"correct": correct, "items": n}),
            MetricValue(
                "mc_accuracy_norm", correct_norm / n, details={"normalised_by": "bytes of the choice"}
            ),
            MetricValue("mc_accuracy_ci_low", low, details={"interval": "95% Wilson"}),
            MetricValue("mc_accuracy_ci_high", high, details={"interval": "95% Wilson"}),
            MetricValue("mc_chance", 1 / CHOICES),
            MetricValue("bits_per_byte", bpb, unit="bits/byte", higher_is_better=False),
            MetricValue("byte_perplexity", math.exp(-total_ll / total_bytes), higher_is_better=False),
        ]
        samples = json.dumps([[i["id"], i["pick"], i["scores"]] for i in items], separators=(",", ":"))
        evidence = {
            **suite.evidence(),
            "method": "log-likelihood of each choice after the question (direct scoring with transformers, "
            "lm-eval's acc/acc_norm semantics); perplexity over disjoint windows primed with BOS/EOS",
            "items": n,
            "documents": len(documents),
            "bytes": total_bytes,
            "samples_digest": hashlib.sha256(samples.encode()).hexdigest(),
            "wrong_items": [i["id"] for i in items if i["pick"] != i["answer"]][:50],
            "examples": items[:5],
        }
        return EvaluatorResult(
            status="passed",
            metrics=metrics,
            badge=BadgeSpec(label, f"{accuracy:.2f} · {bpb:.2f} bpb", level),
            evidence=evidence,
            thresholds=thresholds,
        )
