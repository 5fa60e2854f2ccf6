"""A child process that loads models with transformers through the registry, one request per line.

transformers and huggingface_hub read HF_ENDPOINT once, at import, so the test suite starts this
process with HF_ENDPOINT pointing at the live server and keeps it for the session (importing torch
and transformers costs seconds; each load then costs well under one).

Request (one JSON line on stdin): {"repo", "kind": "causal"|"classifier"|"embedding", "cache_dir",
"reference": local folder of the same model, "text"}. Answer (one line on stdout, after MARKER):
what was loaded, the snapshot folder it came from, and how its outputs compare with the reference.
"""

from __future__ import annotations

import json
import sys
import traceback

MARKER = "@@RESULT@@ "


def _embedding(model, tokenizer, text: str):
    import torch

    inputs = tokenizer([text], return_tensors="pt", padding=True, truncation=True)
    with torch.no_grad():
        hidden = model(**inputs).last_hidden_state
    mask = inputs["attention_mask"].unsqueeze(-1).float()
    pooled = (hidden * mask).sum(1) / mask.sum(1)  # sentence-transformers' mean pooling
    return torch.nn.functional.normalize(pooled, dim=-1)[0]


def handle(request: dict) -> dict:
    import torch
    from transformers import (
        AutoConfig,
        AutoModel,
        AutoModelForCausalLM,
        AutoModelForSequenceClassification,
        AutoTokenizer,
    )

    classes = {
        "causal": AutoModelForCausalLM,
        "classifier": AutoModelForSequenceClassification,
        "embedding": AutoModel,
    }
    auto = classes[request["kind"]]
    repo, cache, text = request["repo"], request["cache_dir"], request["text"]
    config = AutoConfig.from_pretrained(repo, cache_dir=cache)
    tokenizer = AutoTokenizer.from_pretrained(repo, cache_dir=cache)
    model, info = auto.from_pretrained(repo, cache_dir=cache, output_loading_info=True)
    model.eval()
    reference = auto.from_pretrained(request["reference"]).eval()
    reference_tokenizer = AutoTokenizer.from_pretrained(request["reference"])
    problems = {
        k: v for k, v in info.items() if k in ("missing_keys", "unexpected_keys", "mismatched_keys") and v
    }
    result = {
        "model_type": config.model_type,
        "class": type(model).__name__,
        "problems": problems,
        "same_tokens": tokenizer(text).input_ids == reference_tokenizer(text).input_ids,
    }
    from huggingface_hub import snapshot_download

    # Where the files transformers fetched live (cache only: no request is made).
    result["snapshot"] = snapshot_download(repo, cache_dir=cache, local_files_only=True)
    if request["kind"] == "causal":
        inputs = tokenizer(text, return_tensors="pt")
        with torch.no_grad():
            output = model.generate(**inputs, max_new_tokens=5, do_sample=False)
            expected = reference.generate(**inputs, max_new_tokens=5, do_sample=False)
        result["new_tokens"] = int(output.shape[1] - inputs.input_ids.shape[1])
        result["same_output"] = bool(torch.equal(output, expected))
    elif request["kind"] == "classifier":
        inputs = tokenizer(text, return_tensors="pt")
        with torch.no_grad():
            logits = model(**inputs).logits
            expected = reference(**inputs).logits
        result["logits_shape"] = list(logits.shape)
        result["same_output"] = bool(torch.equal(logits, expected))
    else:
        embedding = _embedding(model, tokenizer, text)
        expected = _embedding(reference, reference_tokenizer, text)
        result["embedding_size"] = int(embedding.shape[0])
        result["cosine"] = float(torch.dot(embedding, expected))
        result["same_output"] = bool(torch.allclose(embedding, expected, atol=1e-6))
    return result


def main() -> None:
    import torch

    torch.set_num_threads(1)  # on a busy 2-core machine one thread is faster (evaluation.md)
    print(MARKER + json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        try:
            answer = {"ok": True, **handle(json.loads(line))}
        except Exception:
            answer = {"ok": False, "error": traceback.format_exc()}
        print(MARKER + json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
