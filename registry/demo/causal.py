"""Decoder-only language models: Llama and the families that differ from it in a few details.

Names, shapes and initial values follow what transformers 5 puts in `state_dict()` for
`*ForCausalLM` (checked by instantiating each class). Non-persistent buffers (rotary
`inv_freq`, Gemma's `embed_scale`) are rebuilt by transformers and never written. The config
keeps each family's own defaults (rope theta, activations) so transformers 4.x, which reads
`rope_theta` rather than `rope_parameters`, computes the same model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from registry.demo.layout import Blueprint, Init, Sizes, TensorSpec, linear
from registry.demo.tokenization import TrainedTokenizer


@dataclass(frozen=True)
class _Family:
    class_name: str
    # Tied as the family's small releases ship: Llama 3.2 1B, Qwen 0.5B, Gemma tie; Mistral, Phi-3 don't.
    tied: bool
    extra_config: Callable[[Sizes], dict[str, Any]]
    norm_init: Init = "ones"  # Gemma's RMSNorm scales by (1 + weight), so zeros is its identity
    qkv_bias: bool = False  # Qwen2
    qk_norm: bool = False  # RMSNorm over each head's queries and keys: Qwen3, Gemma 3
    sandwich_norm: bool = False  # Gemma 3 also normalises before and after the MLP
    fused: bool = False  # Phi-3 packs q/k/v into qkv_proj and gate/up into gate_up_proj
    tokenizer_class: str = "PreTrainedTokenizerFast"  # Qwen repos name their own, as real ones do


def _default_rope(theta: float = 10000.0) -> dict[str, Any]:
    return {"rope_type": "default", "rope_theta": theta}


def _full_attention(sizes: Sizes) -> dict[str, Any]:
    """Qwen's switches, set so that every layer uses full attention."""
    return {
        "layer_types": ["full_attention"] * sizes.layers,
        "max_window_layers": sizes.layers,
        "sliding_window": None,
        "use_sliding_window": False,
    }


def _gemma3(sizes: Sizes) -> dict[str, Any]:
    """Gemma 3 alternates local (sliding) and global layers, five to one, the last one global."""
    layer_types = [
        "full_attention" if (i + 1) % 6 == 0 or i == sizes.layers - 1 else "sliding_attention"
        for i in range(sizes.layers)
    ]
    return {
        "attention_bias": False,
        "attn_logit_softcapping": None,
        "final_logit_softcapping": None,
        "head_dim": sizes.head_dim,
        "hidden_activation": "gelu_pytorch_tanh",
        "layer_types": layer_types,
        "query_pre_attn_scalar": sizes.head_dim,
        "rope_parameters": {
            "full_attention": _default_rope(1_000_000.0),
            "sliding_attention": _default_rope(),
        },
        "sliding_window": sizes.max_positions // 2,
    }


_FAMILIES: dict[str, _Family] = {
    "llama": _Family(
        "LlamaForCausalLM",
        tied=True,
        extra_config=lambda s: {
            "attention_bias": False,
            "head_dim": s.head_dim,
            "hidden_act": "silu",
            "mlp_bias": False,
            "pretraining_tp": 1,
        },
    ),
    "qwen2": _Family(
        "Qwen2ForCausalLM",
        tied=True,
        qkv_bias=True,
        tokenizer_class="Qwen2Tokenizer",
        extra_config=lambda s: {"hidden_act": "silu", **_full_attention(s)},
    ),
    "qwen3": _Family(
        "Qwen3ForCausalLM",
        tied=True,
        qk_norm=True,
        tokenizer_class="Qwen2Tokenizer",
        extra_config=lambda s: {
            "attention_bias": False,
            "head_dim": s.head_dim,
            "hidden_act": "silu",
            **_full_attention(s),
        },
    ),
    "gemma": _Family(
        "GemmaForCausalLM",
        tied=True,
        norm_init="zeros",
        extra_config=lambda s: {
            "attention_bias": False,
            "head_dim": s.head_dim,
            "hidden_act": "gelu_pytorch_tanh",
        },
    ),
    "gemma3_text": _Family(
        "Gemma3ForCausalLM",
        tied=True,
        norm_init="zeros",
        qk_norm=True,
        sandwich_norm=True,
        extra_config=_gemma3,
    ),
    "mistral": _Family(
        "MistralForCausalLM",
        tied=False,
        extra_config=lambda s: {"head_dim": s.head_dim, "hidden_act": "silu", "sliding_window": None},
    ),
    "phi3": _Family(
        "Phi3ForCausalLM",
        tied=False,
        fused=True,
        extra_config=lambda s: {
            "embd_pdrop": 0.0,
            "hidden_act": "silu",
            "original_max_position_embeddings": s.max_positions,
            "resid_pdrop": 0.0,
            "rms_norm_eps": 1e-5,
            "rope_parameters": {**_default_rope(), "partial_rotary_factor": 1.0},
            "sliding_window": None,
        },
    ),
}

CAUSAL_ARCHITECTURES = tuple(_FAMILIES)

# Which tokenizer class each architecture's tokenizer_config.json names.
TOKENIZER_CLASSES = {name: family.tokenizer_class for name, family in _FAMILIES.items()}


def causal_blueprint(architecture: str, sizes: Sizes, tokenizer: TrainedTokenizer) -> Blueprint:
    """Config and tensors of a `<Family>ForCausalLM` whose vocabulary is `tokenizer`'s."""
    family = _FAMILIES[architecture]
    config = {
        "architectures": [family.class_name],
        "attention_dropout": 0.0,
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "hidden_size": sizes.hidden,
        "initializer_range": 0.02,
        "intermediate_size": sizes.intermediate,
        "max_position_embeddings": sizes.max_positions,
        "model_type": architecture,
        "num_attention_heads": sizes.heads,
        "num_hidden_layers": sizes.layers,
        "num_key_value_heads": sizes.kv_heads,
        "pad_token_id": tokenizer.pad_token_id,
        "rms_norm_eps": 1e-6,
        "rope_parameters": _default_rope(),
        "tie_word_embeddings": family.tied,
        "use_cache": True,
        "vocab_size": sizes.vocab_size,
        **family.extra_config(sizes),
    }
    return Blueprint(config=config, tensors=tuple(_tensors(family, sizes)))


def _tensors(family: _Family, sizes: Sizes) -> list[TensorSpec]:
    hidden, head_dim = sizes.hidden, sizes.head_dim
    q_dim, kv_dim = sizes.heads * head_dim, sizes.kv_heads * head_dim

    def norm(name: str, dim: int = hidden) -> TensorSpec:
        return TensorSpec(f"{name}.weight", (dim,), family.norm_init)

    tensors = [TensorSpec("model.embed_tokens.weight", (sizes.vocab_size, hidden), "normal")]
    for i in range(sizes.layers):
        attn, mlp = f"model.layers.{i}.self_attn", f"model.layers.{i}.mlp"
        if family.fused:
            tensors += linear(f"{attn}.qkv_proj", q_dim + 2 * kv_dim, hidden, bias=False)
        else:
            tensors += linear(f"{attn}.q_proj", q_dim, hidden, bias=family.qkv_bias)
            tensors += linear(f"{attn}.k_proj", kv_dim, hidden, bias=family.qkv_bias)
            tensors += linear(f"{attn}.v_proj", kv_dim, hidden, bias=family.qkv_bias)
        tensors += linear(f"{attn}.o_proj", hidden, q_dim, bias=False)
        if family.qk_norm:
            tensors += [norm(f"{attn}.q_norm", head_dim), norm(f"{attn}.k_norm", head_dim)]
        if family.fused:
            tensors += linear(f"{mlp}.gate_up_proj", 2 * sizes.intermediate, hidden, bias=False)
        else:
            tensors += linear(f"{mlp}.gate_proj", sizes.intermediate, hidden, bias=False)
            tensors += linear(f"{mlp}.up_proj", sizes.intermediate, hidden, bias=False)
        tensors += linear(f"{mlp}.down_proj", hidden, sizes.intermediate, bias=False)
        layer_norms = ["input_layernorm", "post_attention_layernorm"]
        if family.sandwich_norm:
            layer_norms += ["pre_feedforward_layernorm", "post_feedforward_layernorm"]
        tensors += [norm(f"model.layers.{i}.{name}") for name in layer_norms]
    tensors.append(norm("model.norm"))
    if not family.tied:  # a tied head is the embedding matrix; transformers does not save it twice
        tensors += linear("lm_head", sizes.vocab_size, hidden, bias=False)
    return tensors
