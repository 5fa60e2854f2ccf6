"""The vocabulary shared by the architecture modules: sizes, tensors to create, and a blueprint.

A blueprint is plain data (a config dict and an ordered list of tensor names, shapes and
initialisers), so the weights module can materialise any architecture the same way and a
reader can check the names against transformers without running anything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from registry.demo.tokenization import MODEL_MAX_LENGTH

Init = Literal["normal", "ones", "zeros"]


@dataclass(frozen=True)
class Sizes:
    """The few numbers every demo architecture is scaled from."""

    hidden: int
    layers: int
    vocab_size: int
    heads: int = 4
    kv_heads: int = 2
    max_positions: int = MODEL_MAX_LENGTH

    def __post_init__(self) -> None:
        # hidden / 4 heads must leave an even rotary head_dim, and MobileBERT splits hidden / 4
        # again across its 4 heads: 16 keeps every architecture's shapes whole.
        if self.hidden <= 0 or self.hidden % 16:
            raise ValueError(f"hidden must be a positive multiple of 16, not {self.hidden}")
        if self.layers <= 0:
            raise ValueError(f"layers must be positive, not {self.layers}")

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads

    @property
    def intermediate(self) -> int:
        return 4 * self.hidden


@dataclass(frozen=True)
class TensorSpec:
    """One tensor of the checkpoint: its transformers state-dict name, shape and initialiser."""

    name: str
    shape: tuple[int, ...]
    init: Init


@dataclass(frozen=True)
class Blueprint:
    """Everything needed to write `config.json` and the weights of one model."""

    config: dict[str, Any]
    tensors: tuple[TensorSpec, ...]

    @property
    def parameter_count(self) -> int:
        return sum(math.prod(tensor.shape) for tensor in self.tensors)


def linear(name: str, out_features: int, in_features: int, *, bias: bool = True) -> list[TensorSpec]:
    """A `torch.nn.Linear`: weight is (out, in); its bias starts at zero, as transformers initialises it."""
    tensors = [TensorSpec(f"{name}.weight", (out_features, in_features), "normal")]
    if bias:
        tensors.append(TensorSpec(f"{name}.bias", (out_features,), "zeros"))
    return tensors


def layer_norm(name: str, dim: int) -> list[TensorSpec]:
    """A LayerNorm (or MobileBERT's NoNorm) with weight and bias: the identity at initialisation."""
    return [TensorSpec(f"{name}.weight", (dim,), "ones"), TensorSpec(f"{name}.bias", (dim,), "zeros")]
