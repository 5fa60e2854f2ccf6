"""The file-reading evaluators (format and safety, size, card) on model folders built offline,
including hostile ones: a hidden pickle, remote code, a tokenizer bigger than the model, bad bytes."""

import json
import os
import pickle
import shutil
from pathlib import Path

import pytest

from evaluators.plugins.base import AUTO_MAP_FILES, ModelFacts, remote_code_reasons
from evaluators.plugins.card import CardCompleteness
from evaluators.plugins.format_safety import FormatSafety
from evaluators.plugins.size_class import SizeClass
from registry.demo.builders import build_model, write_card
from registry.errors import InvalidSafetensors
from registry.formats import safetensors as header_rules

COMPLETE_CARD = {
    "license": "apache-2.0",
    "language": ["en"],
    "pipeline_tag": "text-generation",
    "tags": ["retail"],
}
CARD_BODY = (
    "# Retail model\n\n## Intended uses\n\nDrafting.\n\n## Bias, risks, and limitations\n\nToy.\n\n"
    "## Training data\n\nTemplates.\n\n## Evaluation\n\nSee badges.\n"
)


class Payload:
    def __reduce__(self):
        return (os.system, ("echo owned",))


def facts_of(folder: Path, **overrides) -> ModelFacts:
    files = {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}
    configs = {n: json.loads((folder / n).read_text()) for n in AUTO_MAP_FILES if n in files}
    by_dtype: dict[str, int] = {}
    for path in (p for p in files if p.endswith(".safetensors")):
        data = (folder / path).read_bytes()
        try:
            length = header_rules.header_length(data[:8], file_size=len(data))
            summary = header_rules.parse_header(data[8 : 8 + length], file_size=len(data))
        except InvalidSafetensors:
            continue  # damaged on purpose; the registry's rows would still hold the published counts
        for dtype, count in summary.parameters_by_dtype.items():
            by_dtype[dtype] = by_dtype.get(dtype, 0) + count
    values = {
        "repo_id": "acme/m",
        "commit_id": "0" * 40,
        "industry": "retail",
        "task": "text-generation",
        "files": files,
        "config": configs.get("config.json", {}),
        "tokenizer_config": configs.get("tokenizer_config.json", {}),
        "parameters_by_dtype": by_dtype,
        "card_metadata": {},
        "card_body": "",
        "remote_code": remote_code_reasons(files, configs),
    }
    return ModelFacts(**{**values, **overrides})


@pytest.fixture(scope="module")
def llama(tmp_path_factory) -> Path:
    return build_model(tmp_path_factory.mktemp("llama") / "m", architecture="llama", industry="retail")


@pytest.fixture
def copy(llama, tmp_path) -> Path:
    return Path(shutil.copytree(llama, tmp_path / "m"))


def test_a_clean_model_passes_format_and_safety(llama):
    result = FormatSafety().run(llama, facts_of(llama), seed=0)
    assert result.status == "passed", result.reason
    assert result.badge.level == "gold" and result.evidence["checks"]["tokenizer_file"] == "tokenizer.json"
    assert result.evidence["checks"]["pickle_scanned_files"] == len(facts_of(llama).files) - 1


def test_auto_map_fails_the_format_check_as_remote_code(copy):
    config = json.loads((copy / "config.json").read_text())
    config["auto_map"] = {"AutoModelForCausalLM": "modeling_evil.EvilForCausalLM"}
    (copy / "config.json").write_text(json.dumps(config))
    result = FormatSafety().run(copy, facts_of(copy), seed=0)
    assert result.status == "failed" and result.badge.message == "remote code"
    assert "remote code: config.json declares auto_map" in result.reason


def test_a_hidden_pickle_is_named_by_what_it_would_call(copy):
    (copy / "merges.txt").write_bytes(pickle.dumps(Payload()))  # a name ingest accepts
    result = FormatSafety().run(copy, facts_of(copy), seed=0)
    assert result.status == "failed" and result.badge.level == "fail"
    assert "merges.txt holds a pickle that would call posix.system when loaded" in result.reason


def test_a_tokenizer_bigger_than_the_embedding_table_is_inconsistent(copy):
    config = json.loads((copy / "config.json").read_text())
    config["vocab_size"] = 100  # the tokenizer has ~500 tokens; the weights have ~500 rows
    (copy / "config.json").write_text(json.dumps(config))
    result = FormatSafety().run(copy, facts_of(copy), seed=0)
    assert result.status == "failed"
    assert "has 509 tokens but config.json vocab_size is 100" in result.reason
    assert "does not match model.embed_tokens.weight with 509 rows" in result.reason


def test_truncated_weights_and_a_missing_tokenizer_fail(copy):
    weights = copy / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-16])
    (copy / "tokenizer.json").unlink()
    result = FormatSafety().run(copy, facts_of(copy), seed=0)
    assert result.status == "failed" and result.badge.message == "invalid safetensors"
    assert "model.safetensors is not valid safetensors" in result.reason
    assert "no tokenizer: expected one of tokenizer.json" in result.reason


def test_size_counts_float_parameters_and_estimates_memory_per_precision(llama):
    facts = facts_of(llama, parameters_by_dtype={"F32": 155_776, "I64": 512})
    result = SizeClass().run(llama, facts, seed=0)
    metrics = {m.key: m.value for m in result.metrics}
    assert metrics["parameters"] == 155_776 and metrics["non_float_elements"] == 512
    assert metrics["memory_bf16_bytes"] == 155_776 * 2 + 512 * 8
    assert metrics["memory_int4_bytes"] == 155_776 * 0.5 + 512 * 8
    assert result.badge.message == "155.8K params · tiny"
    assert SizeClass().unsupported_reason(facts_of(llama, parameters_by_dtype={})) is not None


def test_card_completeness_counts_metadata_and_sections(copy):
    write_card(copy, metadata=COMPLETE_CARD, body=CARD_BODY)
    full = CardCompleteness().run(
        copy, facts_of(copy, card_metadata=COMPLETE_CARD, card_body=CARD_BODY), seed=0
    )
    assert full.status == "passed" and full.badge.level == "gold" and full.badge.message == "100% complete"
    partial = CardCompleteness().run(
        copy, facts_of(copy, card_metadata={"license": "mit"}, card_body="# M\n\n## Uses\n\nx\n"), seed=0
    )
    assert partial.status == "failed" and partial.badge.message == "25% complete"
    assert "metadata `language`" in partial.reason and "section 'evaluation'" in partial.reason
    (copy / "README.md").unlink()
    missing = CardCompleteness().run(copy, facts_of(copy), seed=0)
    assert missing.status == "failed" and missing.badge.message == "missing"
