"""Model card completeness: the metadata and the sections a regulated buyer looks for."""

from __future__ import annotations

import re
from pathlib import Path

from evaluators.scoring import level_for

from .base import BadgeSpec, EvaluatorResult, MetricValue, ModelFacts

REQUIRED_METADATA = ("license", "language", "pipeline_tag", "tags")
# Section -> headings that count for it (lower case, words only); Hugging Face's card template first.
REQUIRED_SECTIONS: dict[str, tuple[str, ...]] = {
    "intended uses": ("uses", "intended uses", "intended use", "direct use", "intended uses limitations"),
    "limitations": ("limitations", "bias risks and limitations", "risks and limitations", "out of scope use"),
    "training data": ("training data", "training details", "training", "training procedure"),
    "evaluation": ("evaluation", "evaluation results", "results", "performance"),
}
THRESHOLDS = {"gold": 1.0, "silver": 0.75, "bronze": 0.5, "version": 1}
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z]+", text.lower()))


class CardCompleteness:
    name = "card"
    version = "1"
    title = "Model card completeness"
    isolated = False
    needs_weights = False
    timeout_s = 60
    headline_metric = None

    def unsupported_reason(self, facts: ModelFacts) -> str | None:
        return None  # a missing card is a result (0 %), not a reason to skip

    def run(self, model_dir: Path, facts: ModelFacts, *, seed: int) -> EvaluatorResult:
        if "README.md" not in facts.files:
            return EvaluatorResult(
                status="failed",
                metrics=[MetricValue("completeness", 0.0)],
                badge=BadgeSpec("model card", "missing", "fail"),
                reason="the version has no README.md model card",
                thresholds=THRESHOLDS,
            )
        metadata = facts.card_metadata
        present_metadata = [key for key in REQUIRED_METADATA if metadata.get(key)]
        # The registry's compliance block answers "intended uses" too.
        compliance = metadata.get("compliance") or {}
        headings = {_words(h) for h in _HEADING.findall(facts.card_body)}
        present_sections = [
            section
            for section, names in REQUIRED_SECTIONS.items()
            if headings & set(names) or (section == "intended uses" and compliance.get("intended_uses"))
        ]
        total = len(REQUIRED_METADATA) + len(REQUIRED_SECTIONS)
        score = (len(present_metadata) + len(present_sections)) / total
        missing = [f"metadata `{k}`" for k in REQUIRED_METADATA if k not in present_metadata] + [
            f"section '{s}'" for s in REQUIRED_SECTIONS if s not in present_sections
        ]
        level = level_for(score, THRESHOLDS)
        return EvaluatorResult(
            status="passed" if level != "none" else "failed",
            metrics=[
                MetricValue(
                    "completeness",
                    score,
                    details={"present": len(present_metadata) + len(present_sections), "required": total},
                ),
            ],
            badge=BadgeSpec(
                "model card", f"{round(score * 100)}% complete", level if level != "none" else "fail"
            ),
            evidence={"missing": missing, "headings": sorted(headings), "metadata_present": present_metadata},
            reason=("missing: " + ", ".join(missing)) if missing else "",
            thresholds=THRESHOLDS,
        )
