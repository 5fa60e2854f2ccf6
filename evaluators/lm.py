"""Loading and scoring models with plain transformers: only ever imported in the child process.

Direct scoring rather than lm-evaluation-harness: the same log-likelihood semantics (`acc`,
`acc_norm`, bits per byte) in ~100 lines, without 620 MB of dependencies and ~1.2 s of start-up
per run (evaluation.md §4 measured both; they agree to 8 significant digits).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evaluators.plugins.base import ModelFacts

MAX_SCORING_TOKENS = 512  # longer windows cost quadratically and say little more on short items


class LoadRefused(Exception):
    """A model we will not load, or that did not load whole: the reason is the run's result."""


def load_strict(model_dir: Path, facts: ModelFacts, *, base: bool = False) -> Any:
    """The exact class `config.json` names, built into transformers, all weights present.

    `base` loads the bare model under that class's head instead (for embeddings); the head's
    weights are then unused, but every weight of the bare model must still be in the checkpoint.

    transformers would otherwise (a) ignore `auto_map` for a known model type and load another
    model than the publisher's code describes, and (b) load an encoder checkpoint into a causal-LM
    class with a freshly initialised head, logging only a table (evaluation.md §1.8).
    """
    import torch
    import transformers

    if facts.remote_code:
        raise LoadRefused(
            "the model needs custom code (" + "; ".join(facts.remote_code) + "); it is never run"
        )
    if not facts.architecture:
        raise LoadRefused(
            f"config.json must name exactly one architecture, not {list(facts.architectures) or 'none'}"
        )
    cls = getattr(transformers, facts.architecture, None)
    if not (isinstance(cls, type) and issubclass(cls, transformers.PreTrainedModel)):
        raise LoadRefused(f"{facts.architecture} is not a model class built into transformers")
    if base:
        cls = transformers.AutoModel
    model, info = cls.from_pretrained(
        model_dir,
        use_safetensors=True,
        trust_remote_code=False,
        local_files_only=True,
        dtype=torch.float32,
        output_loading_info=True,
    )
    missing, mismatched = info.get("missing_keys") or [], info.get("mismatched_keys") or []
    if missing or mismatched:
        shown = sorted(missing)[:5] + [str(m) for m in mismatched][:5]
        raise LoadRefused(
            f"{facts.architecture} loaded with {len(missing)} missing and {len(mismatched)} mismatched "
            f"weights ({', '.join(shown)}): they would be randomly initialised"
        )
    return model.eval()


def load_tokenizer(model_dir: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(model_dir, trust_remote_code=False, local_files_only=True)


def prefix_token(tokenizer: Any) -> int:
    """The token every scored sequence starts from, so the first real token is predicted too."""
    for token_id in (tokenizer.bos_token_id, tokenizer.eos_token_id):
        if token_id is not None:
            return int(token_id)
    raise LoadRefused("the tokenizer has neither a BOS nor an EOS token to start a sequence from")


def max_length(model: Any) -> int:
    return min(
        int(getattr(model.config, "max_position_embeddings", 0) or MAX_SCORING_TOKENS), MAX_SCORING_TOKENS
    )


def continuation_logprobs(
    model: Any, requests: Sequence[tuple[list[int], list[int]]], *, batch_size: int = 32
) -> list[float]:
    """Sum of log P(continuation | context) for each (context ids, continuation ids) pair.

    Batched with right padding (positions of real tokens are unchanged), longest first; a context
    too long for the model is cut from the left, as lm-eval does.
    """
    import torch

    limit = max_length(model)
    results: list[float] = [0.0] * len(requests)
    order = sorted(range(len(requests)), key=lambda i: -len(requests[i][0]) - len(requests[i][1]))
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        sequences, spans = [], []
        for i in batch:
            context, continuation = requests[i]
            continuation = continuation[: limit - 1]  # at least one context token must predict it
            ids = (context + continuation)[-limit:]
            spans.append((len(ids) - len(continuation), len(ids)))
            sequences.append(ids)
        width = max(len(s) for s in sequences)
        input_ids = torch.zeros((len(batch), width), dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, ids in enumerate(sequences):
            input_ids[row, : len(ids)] = torch.tensor(ids)
            mask[row, : len(ids)] = 1
        with torch.inference_mode():
            logprobs = torch.log_softmax(
                model(input_ids=input_ids, attention_mask=mask).logits.float(), dim=-1
            )
        for row, (i, (begin, end)) in enumerate(zip(batch, spans, strict=True)):
            targets = input_ids[row, begin:end]
            # the token at position p is predicted by the logits at p - 1
            picked = logprobs[row, begin - 1 : end - 1].gather(-1, targets.unsqueeze(-1))
            results[i] = float(picked.sum())
    return results


def multiple_choice(model: Any, tokenizer: Any, items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per item: log-likelihood of each choice after the question, the pick by raw score (`acc`)
    and by score per byte of the choice (`acc_norm`)."""
    start = prefix_token(tokenizer)
    requests, owners = [], []
    for n, item in enumerate(items):
        context = [start, *tokenizer(item["question"], add_special_tokens=False).input_ids]
        for choice in item["choices"]:
            requests.append((context, tokenizer(" " + choice, add_special_tokens=False).input_ids))
            owners.append(n)
    scores = continuation_logprobs(model, requests)
    per_item: list[list[float]] = [[] for _ in items]
    for owner, score in zip(owners, scores, strict=True):
        per_item[owner].append(score)
    results = []
    for item, choice_scores in zip(items, per_item, strict=True):
        lengths = [len((" " + c).encode()) for c in item["choices"]]
        normalised = [s / n for s, n in zip(choice_scores, lengths, strict=True)]
        results.append(
            {
                "id": item["id"],
                "answer": item["answer"],
                "pick": max(range(len(choice_scores)), key=choice_scores.__getitem__),
                "pick_norm": max(range(len(normalised)), key=normalised.__getitem__),
                "scores": [round(s, 4) for s in choice_scores],
            }
        )
    return results


def rolling_loglikelihood(model: Any, tokenizer: Any, texts: Sequence[str]) -> list[float]:
    """Total log-likelihood of each text, in disjoint windows each primed with the prefix token."""
    start, limit = prefix_token(tokenizer), max_length(model)
    requests, owners = [], []
    for n, text in enumerate(texts):
        ids = tokenizer(text, add_special_tokens=False).input_ids
        for begin in range(0, len(ids), limit - 1):
            requests.append(([start], ids[begin : begin + limit - 1]))
            owners.append(n)
    totals = [0.0] * len(texts)
    for owner, score in zip(owners, continuation_logprobs(model, requests), strict=True):
        totals[owner] += score
    return totals


def bits_per_byte(total_loglikelihood: float, total_bytes: int) -> float:
    return -total_loglikelihood / total_bytes / math.log(2)


def embed(model: Any, tokenizer: Any, texts: Sequence[str], *, pooling: str = "mean") -> Any:
    """L2-normalised sentence embeddings (mean of token states, or the CLS state)."""
    import torch

    with torch.inference_mode():
        encoded = tokenizer(list(texts), padding=True, truncation=True, max_length=128, return_tensors="pt")
        states = model(**encoded).last_hidden_state
        if pooling == "cls":
            pooled = states[:, 0]
        else:
            mask = encoded["attention_mask"].unsqueeze(-1).to(states.dtype)
            pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=-1)
