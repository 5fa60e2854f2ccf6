"""Model card (README.md) parsing: YAML metadata checked field by field, markdown body kept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from registry.errors import InvalidModelCard

from . import relations

MAX_CARD_SIZE = 1 << 20  # 1 MiB of README is already a book

_STRING_OR_LIST = ("base_model", "language", "datasets", "metrics")
_STRINGS = ("license", "license_name", "license_link", "pipeline_tag", "library_name", "base_model_relation")
COMPLIANCE_KEYS = {
    "frameworks": list,
    "eu_ai_act_risk": str,
    "contains_phi": bool,
    "contains_pii": bool,
    "intended_uses": str,
    "out_of_scope_uses": str,
}


@dataclass(frozen=True)
class ParsedCard:
    metadata: dict[str, Any]
    body: str

    @property
    def license(self) -> str:
        return str(self.metadata.get("license") or "")

    @property
    def tags(self) -> list[str]:
        return [str(t) for t in self.metadata.get("tags") or []]

    @property
    def compliance(self) -> dict[str, Any]:
        return dict(self.metadata.get("compliance") or {})


def parse_card(raw: bytes) -> ParsedCard:
    if len(raw) > MAX_CARD_SIZE:
        raise InvalidModelCard(
            f"model card is {len(raw)} bytes; the limit is {MAX_CARD_SIZE}", path="README.md"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidModelCard(f"model card is not UTF-8 (byte {exc.start})", path="README.md") from exc
    _check_yaml_block(text)
    from huggingface_hub import ModelCard  # imported here: it costs ~0.1 s at every command's start-up

    try:
        card = ModelCard(text, ignore_metadata_errors=False)
    except Exception as exc:  # the library raises ValueError and friends for bad metadata
        raise InvalidModelCard(f"metadata is invalid: {exc}", path="README.md") from exc
    metadata = card.data.to_dict()
    _check_types(metadata)
    return ParsedCard(metadata=metadata, body=card.text)


def _check_yaml_block(text: str) -> None:
    """Give YAML errors with their line number before the library's vaguer message."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return
    try:
        end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---")
    except StopIteration:
        raise InvalidModelCard("metadata block opened with '---' is never closed", path="README.md") from None
    try:
        loaded = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        raise InvalidModelCard(f"metadata is not valid YAML{where}: {exc}", path="README.md") from exc
    if loaded is not None and not isinstance(loaded, dict):
        raise InvalidModelCard("metadata must be a YAML mapping (key: value lines)", path="README.md")
    if loaded:
        # Field types before the library sees them: it fails on some with messages that name no
        # field ("'int' object is not iterable" for `tags: 42`).
        _check_types(loaded)


def _check_types(metadata: dict[str, Any]) -> None:
    for key in _STRINGS:
        if key in metadata and metadata[key] is not None and not isinstance(metadata[key], str):
            raise InvalidModelCard(f"metadata field {key!r} must be a string", path="README.md")
    for key in _STRING_OR_LIST:
        value = metadata.get(key)
        if value is not None and not isinstance(value, str | list):
            raise InvalidModelCard(f"metadata field {key!r} must be a string or a list", path="README.md")
    try:
        relations.normalize_relation(metadata.get("base_model_relation"))
    except ValueError as exc:
        raise InvalidModelCard(str(exc), path="README.md") from None
    tags = metadata.get("tags")
    if tags is not None and (
        not isinstance(tags, list) or not all(isinstance(t, str | int | float) for t in tags)
    ):
        raise InvalidModelCard("metadata field 'tags' must be a list of strings", path="README.md")
    compliance = metadata.get("compliance")
    if compliance is None:
        return
    if not isinstance(compliance, dict):
        raise InvalidModelCard("metadata field 'compliance' must be a mapping", path="README.md")
    for key, kind in COMPLIANCE_KEYS.items():
        if key in compliance and compliance[key] is not None and not isinstance(compliance[key], kind):
            raise InvalidModelCard(
                f"compliance field {key!r} must be a {kind.__name__}, got {type(compliance[key]).__name__}",
                path="README.md",
            )
