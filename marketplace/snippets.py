"""Code a visitor copies from the model page: pulling with the Hugging Face clients pointed at this
server, and verifying the signature of what was pulled."""

from __future__ import annotations

from dataclasses import dataclass

# pipeline tag -> the transformers class that loads it
AUTO_CLASSES = {
    "text-generation": "AutoModelForCausalLM",
    "text2text-generation": "AutoModelForSeq2SeqLM",
    "text-classification": "AutoModelForSequenceClassification",
    "token-classification": "AutoModelForTokenClassification",
    "fill-mask": "AutoModelForMaskedLM",
    "question-answering": "AutoModelForQuestionAnswering",
    "feature-extraction": "AutoModel",
    "sentence-similarity": "AutoModel",
}


@dataclass(frozen=True)
class Snippet:
    title: str
    language: str
    code: str


def usage_snippets(*, endpoint: str, repo_id: str, task: str, revision: str, gated: bool) -> list[Snippet]:
    """`endpoint` is the server's absolute URL without a trailing slash."""
    auto_class = AUTO_CLASSES.get(task, "AutoModel")
    token_note = "  # gated or private: also pass token=... (or export HF_TOKEN)\n" if gated else ""
    revision_arg = "" if revision == "main" else f', revision="{revision}"'
    hub = (
        "import os\n"
        f'os.environ["HF_ENDPOINT"] = "{endpoint}"  # set it before importing the clients\n\n'
        "from huggingface_hub import snapshot_download\n\n"
        f'path = snapshot_download("{repo_id}"{revision_arg})\n'
        f"{token_note}"
    )
    transformers = (
        "import os\n"
        f'os.environ["HF_ENDPOINT"] = "{endpoint}"\n\n'
        f"from transformers import AutoTokenizer, {auto_class}\n\n"
        f'tokenizer = AutoTokenizer.from_pretrained("{repo_id}"{revision_arg})\n'
        f'model = {auto_class}.from_pretrained("{repo_id}"{revision_arg}, use_safetensors=True)\n'
    )
    revision_flag = "" if revision == "main" else f" --revision {revision}"
    shell = (
        f"export HF_ENDPOINT={endpoint}\n"
        + ("export HF_TOKEN=...  # a read token of yours: this model is gated\n" if gated else "")
        + f"hf download {repo_id}{revision_flag} --local-dir ./{repo_id.replace('/', '--')}\n"
    )
    return [
        Snippet("huggingface_hub", "python", hub),
        Snippet("transformers", "python", transformers),
        Snippet("Command line", "shell", shell),
    ]


def verify_snippet(*, endpoint: str, repo_id: str, commit_id: str) -> str:
    folder = "./" + repo_id.replace("/", "--")
    return (
        f"export HF_ENDPOINT={endpoint}\n"
        f"hf download {repo_id} --revision {commit_id} --local-dir {folder}\n\n"
        "# with this registry's verifier (fetches and pins the registry's public keys)\n"
        f"python -m registry.verify {folder} --registry {endpoint}\n\n"
        "# or with the upstream OpenSSF model-signing tool and the registry's public key\n"
        f"curl -fsSL {endpoint}/api/v1/signing-keys/current.pem -o registry.pub\n"
        f"model_signing verify key {folder} --signature {folder}/model.sig --public_key registry.pub\n"
    )
