"""Format and safety: safetensors that the reference library accepts, no pickle, no remote code,
a tokenizer and a config that agree with each other and with the weights.

Reads files only, never runs model code: it runs inside the worker, not a child process. The
bytes it reads were re-hashed against the published digests when they were fetched.
"""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import Any

from registry.formats import files as file_policy
from registry.formats import safetensors as header_rules

from .base import BadgeSpec, EvaluatorResult, MetricValue, ModelFacts

LABEL = "format"
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "tokenizer.model", "vocab.json")
EMBEDDING_SUFFIXES = ("embed_tokens.weight", "word_embeddings.weight", "wte.weight", "embed.weight")


class FormatSafety:
    name = "format"
    version = "1"
    title = "Format and safety"
    isolated = False
    needs_weights = True
    timeout_s = 600
    headline_metric = None

    def unsupported_reason(self, facts: ModelFacts) -> str | None:
        return None  # every version has files to check

    def run(self, model_dir: Path, facts: ModelFacts, *, seed: int) -> EvaluatorResult:
        problems: list[str] = []
        notes: dict[str, Any] = {}
        headers = _check_weights(model_dir, facts, problems, notes)
        _check_pickles(model_dir, facts, problems, notes)
        problems += [f"remote code: {reason}" for reason in facts.remote_code]
        _check_config_and_tokenizer(model_dir, facts, headers, problems, notes)
        evidence = {"checks": notes, "problems": problems, "files": sorted(facts.files)}
        metrics = [
            MetricValue("problems", float(len(problems)), higher_is_better=False),
            MetricValue("files_checked", float(len(facts.files))),
        ]
        if problems:
            short = "remote code" if facts.remote_code else _short(problems[0])
            return EvaluatorResult(
                status="failed",
                metrics=metrics,
                badge=BadgeSpec(LABEL, short, "fail"),
                evidence=evidence,
                reason="; ".join(problems),
            )
        return EvaluatorResult(
            status="passed",
            metrics=metrics,
            badge=BadgeSpec(LABEL, "safetensors ✓ no remote code", "gold"),
            evidence=evidence,
        )


def _short(problem: str) -> str:
    for keyword, text in (
        ("pickle", "pickle found"),
        ("safetensors", "invalid safetensors"),
        ("tokenizer", "tokenizer problem"),
        ("config", "config problem"),
    ):
        if keyword in problem:
            return text
    return "failed"


def _check_weights(model_dir: Path, facts: ModelFacts, problems: list[str], notes: dict) -> dict[str, dict]:
    """Our header rules (which also refuse duplicate tensor names) and the reference library's."""
    from safetensors import safe_open

    headers: dict[str, dict] = {}
    if not facts.weight_files:
        problems.append("no safetensors weights in this version")
    for path in facts.weight_files:
        local = model_dir / path
        try:
            with local.open("rb") as handle:
                prefix = handle.read(header_rules.HEADER_PREFIX_SIZE)
                size = local.stat().st_size
                length = header_rules.header_length(prefix, file_size=size)
                raw = handle.read(length)
            header_rules.parse_header(raw, file_size=size)
            with safe_open(local, framework="numpy") as reader:
                headers[path] = {"keys": list(reader.keys())}
            headers[path]["shapes"] = {
                k: v["shape"] for k, v in json.loads(raw).items() if k != "__metadata__"
            }
        except Exception as exc:  # both validators raise their own types; each names the problem
            problems.append(f"{path} is not valid safetensors: {getattr(exc, 'message', exc)}")
    notes["safetensors_files"] = len(headers)
    return headers


def _check_pickles(model_dir: Path, facts: ModelFacts, problems: list[str], notes: dict) -> None:
    """picklescan on everything that is not safetensors: ingest refuses pickles by name and magic
    bytes; this names what a hidden one would call (evaluation.md §6: modelscan missed payloads)."""
    from picklescan.scanner import SafetyLevel, scan_bytes

    logging.getLogger("picklescan").setLevel(logging.ERROR)  # it warns about every non-pickle file

    scanned = 0
    for path in sorted(facts.files):
        if path.endswith(".safetensors"):
            continue
        try:
            file_policy.check_file_type(path)
        except Exception as exc:
            problems.append(getattr(exc, "message", str(exc)))
        data = (model_dir / path).read_bytes()
        result = scan_bytes(io.BytesIO(data), path, Path(path).suffix or None)
        scanned += 1
        dangerous = sorted(
            {f"{g.module}.{g.name}" for g in result.globals if g.safety == SafetyLevel.Dangerous}
        )
        if dangerous:
            problems.append(f"{path} holds a pickle that would call {', '.join(dangerous)} when loaded")
        elif result.globals:
            problems.append(
                f"{path} holds a pickle (imports {result.globals[0].module}); pickles are refused"
            )
    notes["pickle_scanned_files"] = scanned


def _check_config_and_tokenizer(
    model_dir: Path, facts: ModelFacts, headers: dict[str, dict], problems: list[str], notes: dict
) -> None:
    config = facts.config
    if "config.json" not in facts.files:
        problems.append("config.json is missing")
        return
    if not config.get("model_type"):
        problems.append("config.json has no model_type")
    tokenizer_file = next((name for name in TOKENIZER_FILES if name in facts.files), None)
    if tokenizer_file is None:
        problems.append(f"no tokenizer: expected one of {', '.join(TOKENIZER_FILES)}")
        return
    vocab_size = config.get("vocab_size")
    try:
        tokens = _tokenizer_size(model_dir / tokenizer_file)
    except (ValueError, UnicodeDecodeError, AttributeError, TypeError, KeyError) as exc:
        problems.append(f"{tokenizer_file} is not a readable tokenizer: {exc}")
        return
    notes.update(tokenizer_file=tokenizer_file, tokenizer_tokens=tokens, config_vocab_size=vocab_size)
    if not isinstance(vocab_size, int):
        problems.append("config.json has no integer vocab_size")
        return
    if tokens is not None and tokens > vocab_size:
        problems.append(
            f"the tokenizer ({tokenizer_file}) has {tokens} tokens but config.json vocab_size is "
            f"{vocab_size}: ids past the embedding table would crash or read garbage"
        )
    for key in ("bos_token_id", "eos_token_id", "pad_token_id"):
        value = config.get(key)
        ids = value if isinstance(value, list) else [value]
        if any(isinstance(i, int) and not 0 <= i < vocab_size for i in ids):
            problems.append(f"config.json {key} {value} is outside the vocabulary (size {vocab_size})")
    shapes = {name: shape for header in headers.values() for name, shape in header["shapes"].items()}
    embedding = next((n for n in sorted(shapes) if n.endswith(EMBEDDING_SUFFIXES)), None)
    if embedding is not None:
        shape = shapes[embedding]
        notes["embedding"] = {"tensor": embedding, "shape": shape}
        if len(shape) == 2 and shape[0] != vocab_size:
            problems.append(
                f"config.json vocab_size {vocab_size} does not match {embedding} with {shape[0]} rows"
            )
        hidden = config.get("hidden_size") or config.get("embedding_size")
        if (
            len(shape) == 2
            and isinstance(hidden, int)
            and shape[1] != hidden
            and "embedding_size" not in config
        ):
            problems.append(f"config.json hidden_size {hidden} does not match {embedding} width {shape[1]}")


def _tokenizer_size(path: Path) -> int | None:
    """How many ids the tokenizer can produce, where the file says so plainly (None: it does not)."""
    if path.name == "tokenizer.json":
        data = json.loads(path.read_text(encoding="utf-8"))
        vocab = (data.get("model") or {}).get("vocab")
        ids = set(vocab.values()) if isinstance(vocab, dict) else set(range(len(vocab or [])))
        ids |= {t["id"] for t in data.get("added_tokens") or [] if isinstance(t.get("id"), int)}
        return max(ids) + 1 if ids else None
    if path.name == "vocab.txt":
        return sum(1 for _ in path.open(encoding="utf-8"))
    if path.name == "vocab.json":
        return len(json.loads(path.read_text(encoding="utf-8")))
    return None
