"""Encoder models with a sequence-classification head: DistilBERT and MobileBERT.

Names and shapes follow transformers 5's `DistilBertForSequenceClassification` and
`MobileBertForSequenceClassification`. Their `position_ids` buffers are non-persistent in
transformers 5, so they are not written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from registry.demo.layout import Blueprint, Sizes, TensorSpec, layer_norm, linear
from registry.demo.tokenization import TrainedTokenizer

# Which tokenizer class each architecture's tokenizer_config.json names.
TOKENIZER_CLASSES = {"distilbert": "DistilBertTokenizer", "mobilebert": "BertTokenizer"}

# MobileBERT runs its transformer blocks on a narrow "true hidden" width between bottlenecks
# and stacks several feed-forward networks per layer; the ratios are those of
# google/mobilebert-uncased (hidden 512: embeddings 128, bottleneck 128, intermediate 512, 4 FFNs).
_MOBILEBERT_FFNS = 4


def classifier_blueprint(
    architecture: str, sizes: Sizes, tokenizer: TrainedTokenizer, labels: Sequence[str]
) -> Blueprint:
    """Config and tensors of a `<Family>ForSequenceClassification` over `labels`."""
    config: dict[str, Any] = {
        "id2label": {str(i): label for i, label in enumerate(labels)},
        "initializer_range": 0.02,
        "label2id": {label: i for i, label in enumerate(labels)},
        "max_position_embeddings": sizes.max_positions,
        "model_type": architecture,
        "pad_token_id": tokenizer.pad_token_id,
        "vocab_size": sizes.vocab_size,
    }
    family_config, family_tensors = _FAMILIES[architecture]
    return Blueprint({**config, **family_config(sizes)}, tuple(family_tensors(sizes, len(labels))))


def _distilbert_config(sizes: Sizes) -> dict[str, Any]:
    return {
        "activation": "gelu",
        "architectures": ["DistilBertForSequenceClassification"],
        "attention_dropout": 0.1,
        "dim": sizes.hidden,
        "dropout": 0.1,
        "hidden_dim": sizes.intermediate,
        "n_heads": sizes.heads,
        "n_layers": sizes.layers,
        "qa_dropout": 0.1,
        "seq_classif_dropout": 0.2,
        "sinusoidal_pos_embds": False,
    }


def _distilbert(sizes: Sizes, num_labels: int) -> list[TensorSpec]:
    hidden = sizes.hidden
    tensors = [
        TensorSpec("distilbert.embeddings.word_embeddings.weight", (sizes.vocab_size, hidden), "normal"),
        TensorSpec(
            "distilbert.embeddings.position_embeddings.weight", (sizes.max_positions, hidden), "normal"
        ),
        *layer_norm("distilbert.embeddings.LayerNorm", hidden),
    ]
    for i in range(sizes.layers):
        layer = f"distilbert.transformer.layer.{i}"
        for projection in ("q_lin", "k_lin", "v_lin", "out_lin"):
            tensors += linear(f"{layer}.attention.{projection}", hidden, hidden)
        tensors += layer_norm(f"{layer}.sa_layer_norm", hidden)
        tensors += linear(f"{layer}.ffn.lin1", sizes.intermediate, hidden)
        tensors += linear(f"{layer}.ffn.lin2", hidden, sizes.intermediate)
        tensors += layer_norm(f"{layer}.output_layer_norm", hidden)
    return tensors + linear("pre_classifier", hidden, hidden) + linear("classifier", num_labels, hidden)


def _mobilebert_widths(sizes: Sizes) -> tuple[int, int, int]:
    """(embedding size, bottleneck = true hidden size, intermediate size)."""
    return sizes.hidden // 4, sizes.hidden // 4, sizes.hidden


def _mobilebert_config(sizes: Sizes) -> dict[str, Any]:
    embedding, bottleneck, intermediate = _mobilebert_widths(sizes)
    return {
        "architectures": ["MobileBertForSequenceClassification"],
        "attention_probs_dropout_prob": 0.1,
        "classifier_activation": True,
        "embedding_size": embedding,
        "hidden_act": "relu",
        "hidden_dropout_prob": 0.0,
        "hidden_size": sizes.hidden,
        "intermediate_size": intermediate,
        "intra_bottleneck_size": bottleneck,
        "key_query_shared_bottleneck": True,
        "layer_norm_eps": 1e-12,
        "normalization_type": "no_norm",
        "num_attention_heads": sizes.heads,
        "num_feedforward_networks": _MOBILEBERT_FFNS,
        "num_hidden_layers": sizes.layers,
        "trigram_input": True,
        "true_hidden_size": bottleneck,
        "type_vocab_size": 2,
        "use_bottleneck": True,
        "use_bottleneck_attention": False,
    }


def _mobilebert(sizes: Sizes, num_labels: int) -> list[TensorSpec]:
    hidden = sizes.hidden
    embedding, bottleneck, intermediate = _mobilebert_widths(sizes)
    tensors = [
        TensorSpec("mobilebert.embeddings.word_embeddings.weight", (sizes.vocab_size, embedding), "normal"),
        TensorSpec(
            "mobilebert.embeddings.position_embeddings.weight", (sizes.max_positions, hidden), "normal"
        ),
        TensorSpec("mobilebert.embeddings.token_type_embeddings.weight", (2, hidden), "normal"),
        # trigram input: each position sees the previous, current and next token's embedding
        *linear("mobilebert.embeddings.embedding_transformation", hidden, 3 * embedding),
        *layer_norm("mobilebert.embeddings.LayerNorm", hidden),
    ]
    for i in range(sizes.layers):
        layer = f"mobilebert.encoder.layer.{i}"
        # queries and keys read the shared bottleneck (width `bottleneck`); values read the full input
        tensors += linear(f"{layer}.attention.self.query", bottleneck, bottleneck)
        tensors += linear(f"{layer}.attention.self.key", bottleneck, bottleneck)
        tensors += linear(f"{layer}.attention.self.value", bottleneck, hidden)
        tensors += linear(f"{layer}.attention.output.dense", bottleneck, bottleneck)
        tensors += layer_norm(f"{layer}.attention.output.LayerNorm", bottleneck)
        tensors += linear(f"{layer}.intermediate.dense", intermediate, bottleneck)
        tensors += linear(f"{layer}.output.dense", bottleneck, intermediate)
        tensors += layer_norm(f"{layer}.output.LayerNorm", bottleneck)
        tensors += linear(f"{layer}.output.bottleneck.dense", hidden, bottleneck)
        tensors += layer_norm(f"{layer}.output.bottleneck.LayerNorm", hidden)
        for name in ("input", "attention"):
            tensors += linear(f"{layer}.bottleneck.{name}.dense", bottleneck, hidden)
            tensors += layer_norm(f"{layer}.bottleneck.{name}.LayerNorm", bottleneck)
        for j in range(_MOBILEBERT_FFNS - 1):  # the last FFN is the layer's own intermediate/output
            tensors += linear(f"{layer}.ffn.{j}.intermediate.dense", intermediate, bottleneck)
            tensors += linear(f"{layer}.ffn.{j}.output.dense", bottleneck, intermediate)
            tensors += layer_norm(f"{layer}.ffn.{j}.output.LayerNorm", bottleneck)
    return (
        tensors + linear("mobilebert.pooler.dense", hidden, hidden) + linear("classifier", num_labels, hidden)
    )


_FAMILIES: dict[str, tuple[Callable[[Sizes], dict[str, Any]], Callable[[Sizes, int], list[TensorSpec]]]] = {
    "distilbert": (_distilbert_config, _distilbert),
    "mobilebert": (_mobilebert_config, _mobilebert),
}

CLASSIFIER_ARCHITECTURES = tuple(_FAMILIES)
