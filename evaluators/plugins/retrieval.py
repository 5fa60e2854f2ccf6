"""Embeddings: retrieval accuracy (recall@k, MRR) on the retail product-search set, for encoder
models published for sentence similarity or feature extraction. Runs in a child process."""

from __future__ import annotations

import json
from pathlib import Path

from evaluators.scoring import level_for
from evaluators.suites import SuiteError, available, load_suite

from .base import BadgeSpec, EvaluatorResult, MetricValue, ModelFacts

RECALL_AT = (1, 5)


class Retrieval:
    name = "retrieval"
    version = "1"
    title = "Embedding retrieval"
    isolated = True
    needs_weights = True
    timeout_s = 1200
    headline_metric = "mrr"

    def unsupported_reason(self, facts: ModelFacts) -> str | None:
        if not facts.is_encoder:
            return (
                "scores embedding models (a bare encoder, or task sentence-similarity / feature-extraction); "
                f"this model is {facts.architecture or 'of no single declared architecture'}"
                + (f" for {facts.task}" if facts.task else "")
            )
        if facts.industry not in available() or not load_suite(facts.industry).has("retrieval"):
            with_sets = [i for i in available() if load_suite(i).has("retrieval")]
            return f"no retrieval set for industry {facts.industry!r} (sets exist for {', '.join(with_sets)})"
        if facts.remote_code:
            return "the model needs custom code, which is never run: " + "; ".join(facts.remote_code)
        return None

    def run(self, model_dir: Path, facts: ModelFacts, *, seed: int) -> EvaluatorResult:
        from evaluators import lm

        try:
            suite = load_suite(facts.industry)
        except SuiteError as exc:
            return EvaluatorResult(status="error", reason=str(exc))
        label = f"{facts.industry} search"
        items = suite.items("retrieval")
        pooling = _pooling(model_dir)
        try:
            model = lm.load_strict(model_dir, facts, base=not facts.architecture.endswith("Model"))
            tokenizer = lm.load_tokenizer(model_dir)
        except lm.LoadRefused as exc:
            return EvaluatorResult(status="failed", reason=str(exc), badge=BadgeSpec(label, "failed", "fail"))
        documents = lm.embed(model, tokenizer, [item["document"] for item in items], pooling=pooling)
        queries = lm.embed(model, tokenizer, [item["query"] for item in items], pooling=pooling)
        similarity = queries @ documents.T
        # rank of the right document (query i belongs to document i), 1-based; ties count against us
        right = similarity.diagonal().unsqueeze(1)
        ranks = (similarity >= right).sum(dim=1).tolist()
        n = len(items)
        mrr = sum(1 / r for r in ranks) / n
        recalls = {k: sum(r <= k for r in ranks) / n for k in RECALL_AT}
        thresholds = suite.thresholds["mrr"]
        metrics = [
            MetricValue("mrr", mrr, details={"queries": n, "documents": n}),
            *(MetricValue(f"recall_at_{k}", value, details={"k": k}) for k, value in recalls.items()),
            MetricValue(
                "mrr_chance", sum(1 / r for r in range(1, n + 1)) / n, details={"random ranking": True}
            ),
        ]
        return EvaluatorResult(
            status="passed",
            metrics=metrics,
            badge=BadgeSpec(label, f"MRR {mrr:.2f} · R@1 {recalls[1]:.2f}", level_for(mrr, thresholds)),
            evidence={
                **suite.evidence(),
                "pooling": pooling,
                "similarity": "cosine of L2-normalised embeddings",
                "ranks": dict(zip([item["id"] for item in items], ranks, strict=True)),
            },
            thresholds=thresholds,
        )


def _pooling(model_dir: Path) -> str:
    """sentence-transformers' pooling choice when the folder has one (mean otherwise)."""
    config = model_dir / "1_Pooling" / "config.json"
    if config.is_file():
        try:
            if json.loads(config.read_text()).get("pooling_mode_cls_token"):
                return "cls"
        except ValueError:
            pass
    return "mean"
