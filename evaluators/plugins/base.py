"""The evaluator plugin interface: what a plugin is told about a model, and what it answers.

Plugins are plain Python (no Django): the heavy ones run inside a child process
(`evaluators.runner`), which gets the facts and returns the result as JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

STATUSES = ("passed", "failed", "skipped", "error")
CODE_SUFFIXES = (".py", ".pyc", ".so", ".sh", ".ipynb", ".dll", ".dylib", ".exe")
# JSON files in which transformers honours `auto_map` (custom classes it would import).
AUTO_MAP_FILES = ("config.json", "tokenizer_config.json", "processor_config.json", "preprocessor_config.json")


@dataclass(frozen=True)
class MetricValue:
    key: str  # stable, e.g. "mc_accuracy", "decode_tokens_per_s"
    value: float
    unit: str = ""
    higher_is_better: bool = True
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BadgeSpec:
    label: str  # left text
    message: str  # right text
    level: str  # gold | silver | bronze | none | fail | info -> colour


@dataclass(frozen=True)
class EvaluatorResult:
    status: str  # passed | failed | skipped | error
    metrics: list[MetricValue] = field(default_factory=list)
    badge: BadgeSpec | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    reason: str = ""  # why it failed or was skipped, in words a publisher acts on
    thresholds: dict[str, Any] = field(default_factory=dict)  # what awarded the badge level

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {self.status!r}")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EvaluatorResult:
        badge = data.get("badge")
        return cls(
            status=data["status"],
            metrics=[MetricValue(**m) for m in data.get("metrics") or []],
            badge=BadgeSpec(**badge) if badge else None,
            evidence=dict(data.get("evidence") or {}),
            reason=str(data.get("reason") or ""),
            thresholds=dict(data.get("thresholds") or {}),
        )


@dataclass(frozen=True)
class ModelFacts:
    """What the registry knows about a version before any model code runs: its repository, its
    files and the JSON configs (all checked against their published digests), its safetensors
    headers as verified at ingest, and its card."""

    repo_id: str
    commit_id: str
    industry: str
    task: str
    files: dict[str, int]  # path -> size
    config: dict[str, Any]
    tokenizer_config: dict[str, Any]
    parameters_by_dtype: dict[str, int]
    card_metadata: dict[str, Any]
    card_body: str
    remote_code: tuple[str, ...] = ()  # why the version would need custom code, if it would

    FLOAT_DTYPES: ClassVar[frozenset[str]] = frozenset(
        {"F64", "F32", "F16", "BF16", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4"}
    )

    @property
    def architectures(self) -> tuple[str, ...]:
        value = self.config.get("architectures") or ()
        return tuple(str(a) for a in value) if isinstance(value, list) else ()

    @property
    def architecture(self) -> str:
        return self.architectures[0] if len(self.architectures) == 1 else ""

    @property
    def float_parameters(self) -> int:
        """Parameters as model cards count them: float tensors only (not integer buffers)."""
        return sum(n for dtype, n in self.parameters_by_dtype.items() if dtype in self.FLOAT_DTYPES)

    @property
    def weight_files(self) -> list[str]:
        return sorted(path for path in self.files if path.endswith(".safetensors"))

    @property
    def weight_bytes(self) -> int:
        return sum(self.files[path] for path in self.weight_files)

    @property
    def is_causal_lm(self) -> bool:
        return self.architecture.endswith("ForCausalLM")

    @property
    def is_encoder(self) -> bool:
        """A bare encoder (`BertModel`) or one published for embeddings."""
        bare = self.architecture.endswith("Model") and not self.is_causal_lm
        return bare or self.task in ("sentence-similarity", "feature-extraction")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelFacts:
        return cls(**{**data, "remote_code": tuple(data.get("remote_code") or ())})


def remote_code_reasons(files: dict[str, int], configs: dict[str, dict[str, Any]]) -> tuple[str, ...]:
    """Why loading this folder would involve code the publisher ships: `auto_map` (which transformers
    silently ignores for a known model_type, so we would evaluate another model than described),
    `custom_pipelines`, or code files."""
    reasons = []
    for name in AUTO_MAP_FILES:
        if isinstance(configs.get(name), dict) and configs[name].get("auto_map"):
            reasons.append(f"{name} declares auto_map (custom model code)")
    if isinstance(configs.get("config.json"), dict) and configs["config.json"].get("custom_pipelines"):
        reasons.append("config.json declares custom_pipelines")
    reasons += [f"{path} is code" for path in sorted(files) if path.lower().endswith(CODE_SUFFIXES)]
    return tuple(reasons)


@runtime_checkable
class Evaluator(Protocol):
    name: str  # stable id, part of badge URLs: "domain-benchmark"
    version: str  # bump when the method changes: old runs stay, marked stale, and are re-run
    title: str  # what a buyer reads: "Domain benchmark"
    isolated: bool  # loads the model: runs in a child process with one thread and a memory cap
    needs_weights: bool  # fetch the safetensors files (otherwise configs, tokenizer and card only)
    timeout_s: int
    headline_metric: str | None  # a metric in [0, 1], higher is better, that ranks leaderboards
    # Optional: `uses_torch = False` spares an isolated plugin the torch import and thread pinning.

    def unsupported_reason(self, facts: ModelFacts) -> str | None:
        """None when the evaluator applies to this model, else why not (shown to the publisher)."""

    def run(self, model_dir: Path, facts: ModelFacts, *, seed: int) -> EvaluatorResult: ...


def failed(reason: str, *, label: str, evidence: dict[str, Any] | None = None) -> EvaluatorResult:
    """A failed run with its fail badge: the reason is what the badge and evidence page show."""
    return EvaluatorResult(
        status="failed",
        badge=BadgeSpec(label=label, message="failed", level="fail"),
        reason=reason,
        evidence=evidence or {},
    )
