"""transformers loads every demo model folder the way a buyer would, with nothing missing.

`registry.demo` writes configs, tokenizers and safetensors by hand, without torch, so loading
them with the real transformers classes is the only proof that names, shapes and config fields
are right. torch and transformers are required test dependencies: no import skips.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import huggingface_hub.constants
import numpy as np
import pytest
import torch
from safetensors import safe_open
from tokenizers import Tokenizer
from transformers import (
    AutoConfig,
    AutoModelForCausalLM,
    AutoModelForSequenceClassification,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from registry.demo.builders import CAUSAL_ARCHITECTURES, CLASSIFIER_ARCHITECTURES, build_model
from registry.demo.corpus import CLASSIFIER_LABELS, INDUSTRIES, domain_lines

ARCHITECTURES = CAUSAL_ARCHITECTURES + CLASSIFIER_ARCHITECTURES
# Spread the industries over the architectures so every corpus and label set is exercised.
INDUSTRY = {architecture: INDUSTRIES[i % len(INDUSTRIES)] for i, architecture in enumerate(ARCHITECTURES)}
PROMPTS = {
    "retail": "The customer returned the",
    "finance": "The bank raised the interest rate on",
    "healthcare": "The patient was prescribed",
}
NON_ASCII = "Größe 38,5 °C, café crème — 日本語 🙂\tand  two spaces"


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to reach the Hub fails instead of silently downloading."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # huggingface_hub reads the variable once, at import; the constant is what it checks.
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)


def _load(folder: Path, auto_class: type) -> PreTrainedModel:
    model, info = auto_class.from_pretrained(folder, output_loading_info=True)
    problems = {
        kind: info[kind] for kind in ("missing_keys", "unexpected_keys", "mismatched_keys") if info[kind]
    }
    assert not problems, f"{folder.name}: {problems}"
    return model.eval()


def _stored_tensors(folder: Path) -> dict[str, np.ndarray]:
    """Every tensor in the folder's safetensors files, read without transformers."""
    tensors = {}
    for path in sorted(folder.glob("*.safetensors")):
        with safe_open(path, framework="np") as checkpoint:
            tensors.update({name: checkpoint.get_tensor(name) for name in checkpoint.keys()})  # noqa: SIM118
    return tensors


def _check_tokenizer(folder: Path, industry: str) -> PreTrainedTokenizerBase:
    """The tokenizer transformers picks encodes exactly as our tokenizer.json, specials included."""
    tokenizer = AutoTokenizer.from_pretrained(folder)
    raw = Tokenizer.from_file(str(folder / "tokenizer.json"))
    for line in [*domain_lines(industry, count=50, seed=99), NON_ASCII]:
        assert tokenizer(line).input_ids == raw.encode(line).ids, line
    return tokenizer


@pytest.mark.parametrize("architecture", CAUSAL_ARCHITECTURES)
def test_causal_lm_loads_and_generates(tmp_path: Path, architecture: str) -> None:
    industry = INDUSTRY[architecture]
    folder = build_model(tmp_path / architecture, architecture=architecture, industry=industry)

    config = AutoConfig.from_pretrained(folder)
    tokenizer = _check_tokenizer(folder, industry)
    model = _load(folder, AutoModelForCausalLM)

    assert config.model_type == architecture
    assert type(model).__name__ == config.architectures[0]
    assert config.vocab_size == len(tokenizer)
    assert (config.eos_token_id, config.pad_token_id) == (tokenizer.eos_token_id, tokenizer.pad_token_id)
    assert model.num_parameters() == sum(t.size for t in _stored_tensors(folder).values())  # tied: once
    inputs = tokenizer(PROMPTS[industry], return_tensors="pt")
    with torch.no_grad():
        output = model.generate(**inputs, max_new_tokens=5, do_sample=False)
    assert output.shape[1] > inputs.input_ids.shape[1]


@pytest.mark.parametrize("architecture", CLASSIFIER_ARCHITECTURES)
def test_classifier_loads_and_classifies(tmp_path: Path, architecture: str) -> None:
    industry = INDUSTRY[architecture]
    folder = build_model(tmp_path / architecture, architecture=architecture, industry=industry)

    config = AutoConfig.from_pretrained(folder)
    tokenizer = _check_tokenizer(folder, industry)
    model = _load(folder, AutoModelForSequenceClassification)

    assert type(model).__name__ == config.architectures[0]
    assert [config.id2label[i] for i in range(3)] == list(CLASSIFIER_LABELS[industry])
    assert config.vocab_size == len(tokenizer)
    assert model.num_parameters() == sum(t.size for t in _stored_tensors(folder).values())
    inputs = tokenizer(domain_lines(industry, count=1, seed=5)[0], return_tensors="pt")
    tokens = tokenizer.convert_ids_to_tokens(inputs.input_ids[0])
    assert (tokens[0], tokens[-1]) == ("[CLS]", "[SEP]")
    with torch.no_grad():
        assert model(**inputs).logits.shape == (1, 3)


def test_sharded_checkpoint_loads_the_same_weights(tmp_path: Path) -> None:
    single = build_model(tmp_path / "single", architecture="llama", industry="retail", seed=3)
    sharded = build_model(tmp_path / "sharded", architecture="llama", industry="retail", seed=3, shards=2)

    index = json.loads((sharded / "model.safetensors.index.json").read_text())
    shard_names = sorted(path.name for path in sharded.glob("*.safetensors"))
    assert shard_names == ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    assert sorted(set(index["weight_map"].values())) == shard_names
    tensors = _stored_tensors(single)
    assert index["weight_map"].keys() == tensors.keys()
    assert index["metadata"]["total_size"] == sum(t.nbytes for t in tensors.values())
    for name, array in _stored_tensors(sharded).items():
        assert np.array_equal(array, tensors[name]), name
    inputs = torch.tensor([[5, 17, 42, 7]])
    with torch.no_grad():
        expected = _load(single, AutoModelForCausalLM)(inputs).logits
        actual = _load(sharded, AutoModelForCausalLM)(inputs).logits
    assert torch.equal(actual, expected)


def test_float16_build_loads_in_float16(tmp_path: Path) -> None:
    folder = build_model(tmp_path / "fp16", architecture="mistral", industry="finance", dtype="float16")
    model = _load(folder, AutoModelForCausalLM)
    assert model.dtype == torch.float16


_BUILD_IN_CHILD = """
import sys
from pathlib import Path
from registry.demo.builders import build_model
for architecture, industry in zip(sys.argv[2::2], sys.argv[3::2]):
    build_model(Path(sys.argv[1]) / architecture, architecture=architecture, industry=industry, seed=7)
"""


def _digests(folder: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.iterdir())}


def test_same_seed_gives_identical_files_across_processes(tmp_path: Path) -> None:
    """Another process matters: Rust hash maps in `tokenizers` are seeded per process."""
    pairs = [value for architecture in ARCHITECTURES for value in (architecture, INDUSTRY[architecture])]
    project_root = Path(__file__).resolve().parents[2]
    subprocess.run(
        [sys.executable, "-c", _BUILD_IN_CHILD, str(tmp_path / "child"), *pairs], check=True, cwd=project_root
    )
    for architecture in ARCHITECTURES:
        here = build_model(
            tmp_path / "here" / architecture,
            architecture=architecture,
            industry=INDUSTRY[architecture],
            seed=7,
        )
        assert _digests(here) == _digests(tmp_path / "child" / architecture), architecture
        other_seed = build_model(
            tmp_path / "seed8" / architecture,
            architecture=architecture,
            industry=INDUSTRY[architecture],
            seed=8,
        )
        assert _digests(other_seed)["model.safetensors"] != _digests(here)["model.safetensors"]


@pytest.mark.parametrize("architecture", ["llama", "qwen2"])  # GPT-2 and Qwen pre-tokenization
def test_byte_level_bpe_round_trips_non_ascii(tmp_path: Path, architecture: str) -> None:
    folder = build_model(tmp_path / architecture, architecture=architecture, industry="healthcare")
    tokenizer = AutoTokenizer.from_pretrained(folder)
    ids = tokenizer(NON_ASCII).input_ids
    assert tokenizer.unk_token_id not in ids  # bytes, not unknowns
    assert tokenizer.decode(ids) == NON_ASCII


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"architecture": "gpt2"}, "unknown architecture"),
        ({"industry": "mining"}, "unknown industry"),
        ({"hidden": 40}, "hidden must be"),
        ({"dtype": "bfloat16"}, "unsupported dtype"),
        ({"shards": 0}, "shards must be"),
    ],
)
def test_rejects_bad_arguments_before_writing(tmp_path: Path, overrides: dict, message: str) -> None:
    arguments = {"architecture": "llama", "industry": "retail", **overrides}
    with pytest.raises(ValueError, match=message):
        build_model(tmp_path / "model", **arguments)
    assert not (tmp_path / "model").exists()
