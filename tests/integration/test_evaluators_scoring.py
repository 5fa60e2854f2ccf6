"""The direct scorer's semantics, pinned against a plain, unbatched computation with the same
model: batching, right padding and windowing must not change a single log-likelihood."""

import json
import math

import pytest

from evaluators import lm
from evaluators.plugins.base import ModelFacts
from registry.demo.builders import build_model

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def model_and_tokenizer(tmp_path_factory):
    torch.set_num_threads(1)
    folder = build_model(
        tmp_path_factory.mktemp("scorer") / "m", architecture="qwen2", industry="finance", seed=5
    )
    config = json.loads((folder / "config.json").read_text())
    facts = ModelFacts(
        repo_id="a/b",
        commit_id="",
        industry="finance",
        task="text-generation",
        files={},
        config=config,
        tokenizer_config={},
        parameters_by_dtype={},
        card_metadata={},
        card_body="",
    )
    return lm.load_strict(folder, facts), lm.load_tokenizer(folder)


def reference_logprob(model, ids: list[int], begin: int) -> float:
    """log P(ids[begin:] | ids[:begin]), one sequence, no padding."""
    with torch.inference_mode():
        logits = model(input_ids=torch.tensor([ids])).logits[0].float()
    logprobs = torch.log_softmax(logits, dim=-1)
    return sum(float(logprobs[p - 1, ids[p]]) for p in range(begin, len(ids)))


def test_batched_scores_equal_one_sequence_at_a_time(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    start = lm.prefix_token(tokenizer)
    texts = [
        ("The fund moved 40 million euros from", " bonds into gold."),
        ("Quarterly revenue at Nordbank", " fell by 3 percent."),
        ("The", " auditor flagged the credit cards ledger for review in Q2, again, and again."),
    ]
    requests = [
        (
            [start, *tokenizer(c, add_special_tokens=False).input_ids],
            tokenizer(x, add_special_tokens=False).input_ids,
        )
        for c, x in texts
    ]
    batched = lm.continuation_logprobs(model, requests, batch_size=8)
    single = [reference_logprob(model, context + cont, len(context)) for context, cont in requests]
    assert batched == pytest.approx(single, abs=1e-4)
    assert all(score < 0 for score in batched)


def test_rolling_windows_cover_every_token_once(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    text = " ".join(["The central bank kept its policy rate at 2.25 percent for another quarter."] * 30)
    ids = tokenizer(text, add_special_tokens=False).input_ids
    limit = lm.max_length(model)
    assert len(ids) > limit  # several windows
    start = lm.prefix_token(tokenizer)
    expected = sum(
        reference_logprob(model, [start, *ids[b : b + limit - 1]], 1) for b in range(0, len(ids), limit - 1)
    )
    (total,) = lm.rolling_loglikelihood(model, tokenizer, [text])
    assert total == pytest.approx(expected, rel=1e-5)
    assert lm.bits_per_byte(total, len(text.encode())) == pytest.approx(
        -total / len(text.encode()) / math.log(2)
    )
