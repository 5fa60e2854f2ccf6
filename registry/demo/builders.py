"""Build a complete, loadable Hugging Face model folder without torch or transformers.

`build_model` trains a tokenizer on the industry's corpus, sizes the model's vocabulary to it,
and writes config, generation config, tokenizer files and random weights: what
`save_pretrained` would have written for a freshly initialised model. The demo catalog then
publishes these folders through the ordinary pipeline, exactly as a user's upload.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from registry.demo.causal import CAUSAL_ARCHITECTURES, causal_blueprint
from registry.demo.causal import TOKENIZER_CLASSES as CAUSAL_TOKENIZER_CLASSES
from registry.demo.classifiers import CLASSIFIER_ARCHITECTURES, classifier_blueprint
from registry.demo.classifiers import TOKENIZER_CLASSES as CLASSIFIER_TOKENIZER_CLASSES
from registry.demo.corpus import CLASSIFIER_LABELS, domain_lines
from registry.demo.jsonfile import write_json
from registry.demo.layout import Sizes
from registry.demo.tokenization import write_byte_level_bpe, write_wordpiece
from registry.demo.weights import DTYPES, materialise, write_checkpoint

__all__ = ["CAUSAL_ARCHITECTURES", "CLASSIFIER_ARCHITECTURES", "build_model", "write_card"]


def build_model(
    out_dir: Path,
    *,
    architecture: str,
    industry: str,
    seed: int = 0,
    hidden: int = 64,
    layers: int = 2,
    vocab: int = 512,
    dtype: str = "float32",
    shards: int = 1,
) -> Path:
    """Write a tiny randomly initialised `architecture` model for `industry` into `out_dir`.

    `vocab` is the tokenizer's target size; the model's `vocab_size` is the size reached, less
    when the small corpus runs out of merges or words, more only if the alphabet alone is
    larger (every byte, or every character seen, is always kept). The same arguments give
    byte-identical files. `out_dir` must be
    empty or absent, so that files from an earlier build (another shard count) cannot linger.
    """
    if architecture not in CAUSAL_ARCHITECTURES + CLASSIFIER_ARCHITECTURES:
        raise ValueError(
            f"unknown architecture {architecture!r}; expected one of "
            f"{CAUSAL_ARCHITECTURES + CLASSIFIER_ARCHITECTURES}"
        )
    if shards < 1:
        raise ValueError(f"shards must be at least 1, not {shards}")
    if dtype not in DTYPES:
        raise ValueError(f"unsupported dtype {dtype!r}; expected one of {DTYPES}")
    # Both check their arguments (sizes, industry) before anything is written.
    requested = Sizes(hidden=hidden, layers=layers, vocab_size=vocab)
    lines = domain_lines(industry, seed=seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    if any(out_dir.iterdir()):
        raise FileExistsError(f"{out_dir} is not empty")

    if architecture in CAUSAL_ARCHITECTURES:
        tokenizer = write_byte_level_bpe(
            out_dir, lines, vocab=vocab, tokenizer_class=CAUSAL_TOKENIZER_CLASSES[architecture]
        )
        sizes = replace(requested, vocab_size=tokenizer.vocab_size)
        blueprint = causal_blueprint(architecture, sizes, tokenizer)
        generation = {key: blueprint.config[key] for key in ("bos_token_id", "eos_token_id", "pad_token_id")}
        write_json(out_dir / "generation_config.json", generation)
    else:
        tokenizer = write_wordpiece(
            out_dir, lines, vocab=vocab, tokenizer_class=CLASSIFIER_TOKENIZER_CLASSES[architecture]
        )
        sizes = replace(requested, vocab_size=tokenizer.vocab_size)
        blueprint = classifier_blueprint(architecture, sizes, tokenizer, CLASSIFIER_LABELS[industry])

    write_json(out_dir / "config.json", {**blueprint.config, "dtype": dtype})
    write_checkpoint(out_dir, materialise(blueprint.tensors, seed=seed, dtype=dtype), shards=shards)
    return out_dir


def write_card(out_dir: Path, *, metadata: dict[str, Any], body: str) -> None:
    """Write README.md: the YAML front matter the Hub (and our card parser) reads, then `body`."""
    front_matter = yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True)
    (out_dir / "README.md").write_text(f"---\n{front_matter}---\n{body}", encoding="utf-8")
