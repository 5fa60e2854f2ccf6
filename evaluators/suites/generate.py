"""Write the suites' JSONL files and manifests: `python -m evaluators.suites.generate`.

Deterministic: running it again gives byte-identical files (a unit test checks the committed
files against it). Changing an item means a new suite version: bump SUITE_VERSION.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

from evaluators.suites import MANIFEST, SUITES_DIR
from evaluators.suites.product_search import PRODUCTS
from evaluators.suites.text import INDUSTRIES, domain_text, split_sentences

SUITE_VERSION = "1"
SUITE_SEED = 0  # test models train on other seeds (tests use 1000+)
MC_ITEMS = 200  # ~±0.06 on an accuracy near 0.8 (95 % Wilson); 50 would be ±0.14
PPL_DOCUMENTS = 50
SENTENCES_PER_DOCUMENT = 3

# Badge levels. Accuracy is judged on the Wilson lower bound, so a lucky small sample earns nothing;
# chance is 0.25 with four choices.
MC_THRESHOLDS = {"metric": "mc_accuracy_ci_low", "gold": 0.8, "silver": 0.6, "bronze": 0.4, "version": 1}
RETRIEVAL_THRESHOLDS = {"metric": "mrr", "gold": 0.8, "silver": 0.6, "bronze": 0.4, "version": 1}


def _jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in rows).encode()


def mc_items(industry: str) -> list[dict]:
    """Four-way questions: the sentence's own ending, and one ending of each of three other templates
    of the same industry. Same vocabulary, so only knowing which ending fits the question helps; and
    templates are drawn uniformly for right and wrong answers alike, so preferring short (or long)
    answers gains an untrained model nothing."""
    rng = random.Random(f"mc:{industry}:{SUITE_SEED}")  # noqa: S311 - reproducible data
    sentences = split_sentences(industry, count=MC_ITEMS, seed=SUITE_SEED)
    endings: dict[int, list[str]] = {}
    for template, _, ending in sentences:
        endings.setdefault(template, [])
        if ending not in endings[template]:
            endings[template].append(ending)
    items = []
    for n, (template, question, ending) in enumerate(sentences):
        others = rng.sample(sorted(t for t in endings if t != template), 3)
        wrong = [rng.choice(endings[t]) for t in others]
        answer = rng.randrange(4)
        choices = [*wrong[:answer], ending, *wrong[answer:]]
        items.append({"id": f"{industry}-mc-{n}", "question": question, "choices": choices, "answer": answer})
    return items


def ppl_documents(industry: str) -> list[dict]:
    sentences = domain_text(industry, count=PPL_DOCUMENTS * SENTENCES_PER_DOCUMENT, seed=SUITE_SEED + 1)
    return [
        {
            "id": f"{industry}-ppl-{n}",
            "text": " ".join(sentences[n * SENTENCES_PER_DOCUMENT : (n + 1) * SENTENCES_PER_DOCUMENT]),
        }
        for n in range(PPL_DOCUMENTS)
    ]


def retrieval_items() -> list[dict]:
    return [{"id": doc_id, "document": document, "query": query} for doc_id, document, query in PRODUCTS]


def suite_files(industry: str) -> dict[str, bytes]:
    files = {"mc.jsonl": _jsonl(mc_items(industry)), "ppl.jsonl": _jsonl(ppl_documents(industry))}
    if industry == "retail":
        files["retrieval.jsonl"] = _jsonl(retrieval_items())
    return files


def manifest(industry: str, files: dict[str, bytes]) -> dict:
    thresholds = {"mc_accuracy": MC_THRESHOLDS}
    if "retrieval.jsonl" in files:
        thresholds["mrr"] = RETRIEVAL_THRESHOLDS
    return {
        "industry": industry,
        "version": SUITE_VERSION,
        "description": (
            f"Synthetic {industry} suite written for this registry: {MC_ITEMS} four-way multiple-choice "
            f"sentence endings and {PPL_DOCUMENTS} short documents for perplexity"
            + (f", and {len(PRODUCTS)} product-search queries" if "retrieval.jsonl" in files else "")
            + ". Template-generated: it shows the pipeline and separates trained from random models; "
            "it is not a measure of real-world quality."
        ),
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
        "thresholds": thresholds,
    }


def write_all(root: Path = SUITES_DIR) -> None:
    for industry in INDUSTRIES:
        folder = root / industry
        folder.mkdir(parents=True, exist_ok=True)
        files = suite_files(industry)
        for name, data in files.items():
            (folder / name).write_bytes(data)
        (folder / MANIFEST).write_text(json.dumps(manifest(industry, files), indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    write_all()
