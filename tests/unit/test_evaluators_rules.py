"""Pure evaluation rules: intervals, levels, timing summaries, badges, suites, the plugin registry."""

import json
import shutil
import xml.etree.ElementTree as ET

import pytest

from evaluators import badges
from evaluators.plugins import BUILT_IN, UnknownEvaluator, all_plugins, get_plugin
from evaluators.plugins.base import EvaluatorResult, ModelFacts, remote_code_reasons
from evaluators.scoring import human_count, level_for, size_class, timing_summary, wilson_interval
from evaluators.suites import SUITES_DIR, SuiteError, available, load_suite
from evaluators.suites.generate import suite_files
from evaluators.suites.text import INDUSTRIES, split_sentences

SVG = "{http://www.w3.org/2000/svg}"


def test_wilson_interval_matches_known_values_and_is_honest_about_small_samples():
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and high == pytest.approx(0.2775, abs=1e-4)
    low, high = wilson_interval(200, 200)
    assert low == pytest.approx(0.9812, abs=1e-4) and high == 1.0
    small, large = wilson_interval(8, 10), wilson_interval(160, 200)
    assert small[0] < large[0] < 0.8 < large[1] < small[1]  # same rate, more items: tighter
    assert wilson_interval(0, 0) == (0.0, 0.0)


def test_levels_follow_thresholds_in_both_directions():
    thresholds = {"gold": 0.8, "silver": 0.6, "bronze": 0.4}
    assert [level_for(v, thresholds) for v in (0.95, 0.8, 0.7, 0.45, 0.39)] == [
        "gold",
        "gold",
        "silver",
        "bronze",
        "none",
    ]
    latency = {"gold": 10, "silver": 50, "bronze": 200}
    assert level_for(5, latency, higher_is_better=False) == "gold"
    assert level_for(120, latency, higher_is_better=False) == "bronze"
    assert level_for(500, latency, higher_is_better=False) == "none"


def test_timing_summary_uses_the_median_and_reports_the_spread():
    summary = timing_summary([1.0, 1.1, 0.9, 1.0, 9.0])  # one descheduled outlier
    assert summary["median"] == 1.0
    assert summary["p90"] > summary["median"] > summary["p10"]
    assert summary["spread"] == pytest.approx((summary["p90"] - summary["p10"]) / 1.0)


def test_size_classes_and_counts_read_like_model_cards():
    assert [size_class(n) for n in (184_000, 99_999_999, 100_000_000, 1_500_000_000, 8_000_000_000)] == [
        "tiny",
        "tiny",
        "small",
        "medium",
        "large",
    ]
    assert (
        human_count(22_713_216) == "22.7M" and human_count(155_776) == "155.8K" and human_count(7e9) == "7B"
    )


def test_badges_are_valid_svg_coloured_by_level_escaped_and_linked():
    gold = badges.render(label="healthcare MC", message="0.91", level="gold", link="https://x.test/e?a=1&b=2")
    fail = badges.render(label="healthcare MC", message="failed", level="fail", link="https://x.test/e")
    root = ET.fromstring(gold.encode())  # noqa: S314 - our own SVG
    assert root.tag == f"{SVG}svg"
    assert root.find(f"{SVG}title").text == "healthcare MC: 0.91"
    anchor = root.find(f"{SVG}a")
    assert anchor.get("{http://www.w3.org/1999/xlink}href") == "https://x.test/e?a=1&b=2"
    assert badges.COLOURS["gold"] in gold and badges.COLOURS["fail"] in fail and gold != fail
    hostile = badges.render(label="<script>alert(1)</script>", message='"><x', level="none")
    ET.fromstring(hostile.encode())  # still well-formed  # noqa: S314 - our own SVG
    assert "<script>" not in hostile


def test_committed_suites_are_what_the_generator_writes():
    for industry in INDUSTRIES:
        suite = load_suite(industry)
        for name, data in suite_files(industry).items():
            assert (SUITES_DIR / industry / name).read_bytes() == data, f"{industry}/{name} is stale"
        assert (
            len(suite.items("mc")) == 200
            and suite.thresholds["mc_accuracy"]["metric"] == "mc_accuracy_ci_low"
        )
    assert load_suite("retail").has("retrieval") and not load_suite("finance").has("retrieval")


def test_multiple_choice_items_are_four_distinct_in_domain_endings():
    items = load_suite("healthcare").items("mc")
    healthcare_endings = {ending for _, _, ending in split_sentences("healthcare", count=200, seed=0)}
    for item in items:
        assert len(set(item["choices"])) == 4 and 0 <= item["answer"] < 4
        assert set(item["choices"]) <= healthcare_endings  # no vocabulary gives the answer away
    answers = [item["answer"] for item in items]
    assert all(answers.count(k) > 25 for k in range(4))  # the right answer is not always in one place


def test_a_suite_file_changed_without_its_manifest_is_refused(tmp_path):
    shutil.copytree(SUITES_DIR / "finance", tmp_path / "finance")
    path = tmp_path / "finance" / "mc.jsonl"
    rows = path.read_text().splitlines()
    first = json.loads(rows[0])
    first["answer"] = (first["answer"] + 1) % 4
    path.write_text("\n".join([json.dumps(first), *rows[1:]]) + "\n")
    with pytest.raises(SuiteError, match=r"finance/mc.jsonl has sha256 .* the manifest records"):
        load_suite("finance", root=tmp_path)
    with pytest.raises(SuiteError, match="no evaluation suite for industry 'general'"):
        load_suite("general")
    assert available() == ["finance", "healthcare", "retail"]


def test_remote_code_is_recognised_in_every_place_transformers_looks():
    files = {"config.json": 10, "tokenizer_config.json": 10, "modeling_x.py": 5, "model.safetensors": 9}
    reasons = remote_code_reasons(
        files,
        {
            "config.json": {"auto_map": {"AutoModel": "modeling_x.X"}, "custom_pipelines": {"x": {}}},
            "tokenizer_config.json": {"auto_map": {"AutoTokenizer": ["t.T", None]}},
        },
    )
    assert reasons == (
        "config.json declares auto_map (custom model code)",
        "tokenizer_config.json declares auto_map (custom model code)",
        "config.json declares custom_pipelines",
        "modeling_x.py is code",
    )
    assert remote_code_reasons({"config.json": 1}, {"config.json": {"model_type": "llama"}}) == ()


def test_facts_and_results_survive_the_trip_to_the_child_process_as_json():
    facts = ModelFacts(
        repo_id="a/b",
        commit_id="0" * 40,
        industry="retail",
        task="text-generation",
        files={"model.safetensors": 100, "config.json": 5},
        config={"architectures": ["LlamaForCausalLM"]},
        tokenizer_config={},
        parameters_by_dtype={"F32": 10, "I64": 3},
        card_metadata={},
        card_body="",
        remote_code=("x",),
    )
    again = ModelFacts.from_json(json.loads(json.dumps(facts.to_json())))
    assert again == facts and again.is_causal_lm and not again.is_encoder and again.float_parameters == 10
    with pytest.raises(ValueError, match="status must be one of"):
        EvaluatorResult(status="great")


def test_the_plugin_registry_lists_the_built_in_evaluators_and_honours_settings(settings):
    assert list(all_plugins()) == ["format", "size", "card", "domain-benchmark", "cpu-speed", "retrieval"]
    assert {p.isolated for p in all_plugins().values()} == {True, False}
    with pytest.raises(UnknownEvaluator, match="no evaluator named 'speed'; evaluators: format, size"):
        get_plugin("speed")
    settings.EVALUATOR_PLUGINS = [p for p in BUILT_IN if "size" in p]
    assert list(all_plugins()) == ["size"]
