"""Evaluation through a real Celery worker on Redis: publish → evaluate_version → one run_evaluation
task per evaluator → child processes for the ones that load the model. Models are tiny and built
offline; one is trained for a few seconds on healthcare text so that it must beat its untrained twin.
"""

import json
import random
import shutil
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from huggingface_hub import ModelCardData

from evaluators import services
from evaluators.models import EvaluationRun
from evaluators.selectors import model_index
from evaluators.suites import load_suite
from evaluators.suites.text import domain_text
from registry.demo.builders import build_model, write_card
from registry.models import Version
from registry.storage import get_store
from tests.integration.helpers import publish

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
CARD = {
    "license": "apache-2.0",
    "language": ["en"],
    "pipeline_tag": "text-generation",
    "tags": ["healthcare"],
    "compliance": {"frameworks": ["HIPAA"], "contains_phi": False, "intended_uses": "Note drafting."},
}
BODY = (
    "# Clinical mini\n\n## Intended uses\n\nDrafting notes.\n\n## Limitations\n\nA toy.\n\n"
    "## Training data\n\nTemplated sentences.\n\n## Evaluation\n\nSee the badges.\n"
)
TRAIN_STEPS = 60  # ~2-4 s on one thread: enough to separate clearly from chance on the suite


def train(folder: Path, *, steps: int, seed: int = 0) -> None:
    """Teach the model healthcare sentences (another seed than the suite's items) and save it back."""
    import torch
    import transformers

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    model = transformers.LlamaForCausalLM.from_pretrained(folder, dtype=torch.float32)
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    lines, rng = domain_text("healthcare", count=1000, seed=1000), random.Random(seed)
    optimiser = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(steps):
        batch = [
            [
                tokenizer.bos_token_id,
                *tokenizer(line, add_special_tokens=False).input_ids,
                tokenizer.eos_token_id,
            ]
            for line in rng.sample(lines, 32)
        ]
        width = max(map(len, batch))
        ids = torch.tensor([row + [tokenizer.pad_token_id] * (width - len(row)) for row in batch])
        mask = torch.tensor([[1] * len(row) + [0] * (width - len(row)) for row in batch])
        model(input_ids=ids, attention_mask=mask, labels=ids.masked_fill(mask == 0, -100)).loss.backward()
        optimiser.step()
        optimiser.zero_grad()
    model.eval().save_pretrained(folder)


@pytest.fixture(scope="session")
def healthcare_models(tmp_path_factory) -> dict[str, Path]:
    """The same tiny Llama twice: untrained, and trained on healthcare text. Same tokenizer, same size."""
    root = tmp_path_factory.mktemp("eval-models")
    untrained = build_model(root / "untrained", architecture="llama", industry="healthcare", seed=7)
    write_card(untrained, metadata=CARD, body=BODY)
    trained = Path(shutil.copytree(untrained, root / "trained"))
    train(trained, steps=TRAIN_STEPS)
    remote = Path(shutil.copytree(untrained, root / "remote-code"))
    config = json.loads((remote / "config.json").read_text())
    config["auto_map"] = {"AutoModelForCausalLM": "modeling_clinical.ClinicalForCausalLM"}
    (remote / "config.json").write_text(json.dumps(config))
    corrupt = build_model(root / "corrupt", architecture="llama", industry="healthcare", seed=8)
    write_card(corrupt, metadata=CARD, body=BODY)
    return {"untrained": untrained, "trained": trained, "remote": remote, "corrupt": corrupt}


def wait_for_runs(version: Version, expected: int, timeout: float = 300) -> dict[str, EvaluationRun]:
    """The version's runs by evaluator, once `expected` of them have finished."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = list(version.evaluation_runs.all())
        if len(runs) >= expected and all(run.is_finished for run in runs):
            return {run.evaluator: run for run in runs}
        time.sleep(0.5)
    states = [(r.evaluator, r.status, r.stage) for r in version.evaluation_runs.all()]
    raise AssertionError(f"runs did not finish in {timeout} s: {states}")


def metrics(run: EvaluationRun) -> dict[str, float]:
    return {m.key: m.value for m in run.metrics.all()}


def test_published_versions_are_evaluated_by_the_worker_and_training_shows(
    celery_worker_process, healthcare_models, client, settings
):
    # Published with the post-publish hook: the worker plans and runs every evaluator.
    settings.REGISTRY_POST_PUBLISH_TASKS = ["evaluators.tasks.evaluate_version"]
    trained = publish(
        healthcare_models["trained"],
        "meridian-health/clinical-trained",
        industry="healthcare",
        task="text-generation",
    )
    # Its untrained twin: only the benchmark, queued by hand (keeps the suite's CPU bill small).
    settings.REGISTRY_POST_PUBLISH_TASKS = []
    untrained = publish(
        healthcare_models["untrained"],
        "meridian-health/clinical-untrained",
        industry="healthcare",
        task="text-generation",
    )
    services.plan_evaluations(version=untrained, evaluators=["domain-benchmark"])

    runs = wait_for_runs(trained, expected=6)
    assert {name: run.status for name, run in runs.items()} == {
        "format": "passed",
        "size": "passed",
        "card": "passed",
        "domain-benchmark": "passed",
        "cpu-speed": "passed",
        "retrieval": "skipped",
    }, {name: run.reason for name, run in runs.items()}
    assert "scores embedding models" in runs["retrieval"].reason

    benchmark = runs["domain-benchmark"]
    twin = wait_for_runs(untrained, expected=1)["domain-benchmark"]
    trained_score, untrained_score = metrics(benchmark), metrics(twin)
    assert trained_score["mc_accuracy"] >= 0.7, trained_score
    assert untrained_score["mc_accuracy_ci_low"] < 0.25 < untrained_score["mc_accuracy_ci_high"]  # chance
    assert trained_score["mc_accuracy_ci_low"] > untrained_score["mc_accuracy_ci_high"]
    assert trained_score["bits_per_byte"] < untrained_score["bits_per_byte"] / 2
    assert benchmark.headline_score == trained_score["mc_accuracy"] and twin.badge_level == "none"

    # Reproducibility: the exact data, seed, machine, libraries; a child process did the work.
    suite = load_suite("healthcare")
    assert benchmark.suite == "healthcare-v1" and benchmark.dataset_digest == suite.digest
    assert benchmark.seed == 0 and benchmark.hardware["threads"] == 1 and benchmark.hardware["cpu"]
    assert benchmark.library_versions["torch"].startswith("2.13.0")
    assert benchmark.evidence["child"]["pid"] not in (None, celery_worker_process.pid)
    assert benchmark.duration_s > 0 and benchmark.attempts == 1

    speed = metrics(runs["cpu-speed"])
    assert speed["decode_tokens_per_s"] > 0 and speed["forward_ms"] > 0 and speed["peak_memory_mb"] >= 0
    assert 0 < speed["forward_ratio_to_reference"] < 100  # same architecture and size as the reference
    assert (
        runs["cpu-speed"].evidence["threads"] == 1
        and len(runs["cpu-speed"].evidence["timings_s"]["forward"]) == 20
    )
    assert metrics(runs["size"])["parameters"] == trained.parameter_count

    # What users see: the badge and its evidence, and the served card's model-index.
    answer = client.get("/api/v1/models/meridian-health/clinical-trained/badges/domain-benchmark.svg")
    title = ET.fromstring(answer.content).find("{http://www.w3.org/2000/svg}title").text  # noqa: S314 - our own SVG
    assert (
        title
        == f"healthcare MC: {trained_score['mc_accuracy']:.2f} · {trained_score['bits_per_byte']:.2f} bpb"
    )
    twin_badge = client.get("/api/v1/models/meridian-health/clinical-untrained/badges/domain-benchmark.svg")
    assert twin_badge.content != answer.content
    card = ModelCardData(**{"model-index": model_index(trained)})
    accuracy = next(r for r in card.eval_results if r.metric_name == "MC accuracy")
    assert accuracy.metric_value == round(trained_score["mc_accuracy"], 4)
    assert accuracy.dataset_revision == suite.digest


def test_remote_code_is_flagged_and_never_loaded(celery_worker_process, healthcare_models, settings):
    settings.REGISTRY_POST_PUBLISH_TASKS = []
    version = publish(
        healthcare_models["remote"], "acme/remote-code", industry="healthcare", task="text-generation"
    )
    services.plan_evaluations(version=version, evaluators=["format", "domain-benchmark"])
    runs = wait_for_runs(version, expected=2)
    assert runs["format"].status == "failed" and runs["format"].badge_message == "remote code"
    assert "config.json declares auto_map (custom model code)" in runs["format"].reason
    assert runs["domain-benchmark"].status == "skipped"
    assert "custom code, which is never run" in runs["domain-benchmark"].reason


def test_weights_changed_in_storage_after_publication_fail_the_format_badge(
    celery_worker_process, healthcare_models, client, settings
):
    settings.REGISTRY_POST_PUBLISH_TASKS = []
    version = publish(
        healthcare_models["corrupt"], "acme/bit-rot", industry="healthcare", task="text-generation"
    )
    weights = version.files.select_related("blob").get(path="model.safetensors")
    store, key = get_store(), weights.blob.storage_key
    original = b"".join(store.iter_chunks(key))
    damaged = bytearray(original)
    damaged[-100] ^= 0xFF  # one flipped byte inside a tensor: the header still parses
    store.put_bytes(key, bytes(damaged))
    try:
        services.plan_evaluations(version=version, evaluators=["format", "domain-benchmark"])
        runs = wait_for_runs(version, expected=2)
    finally:
        store.put_bytes(key, original)
    for run in runs.values():
        assert run.status == "failed" and run.badge_level == "fail"
        assert "model.safetensors: stored bytes hash to sha256" in run.reason and weights.sha256 in run.reason
    answer = client.get("/api/v1/models/acme/bit-rot/badges/format.svg")
    assert b"format: failed" in answer.content
    version.refresh_from_db()
    assert version.status == Version.Status.PUBLISHED  # an evaluation never un-publishes
