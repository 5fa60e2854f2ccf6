"""SVG badges for a version's compliance: completeness, findings and license (anybadge renders them)."""

from __future__ import annotations

import anybadge

# anybadge picks the colour of the first threshold the value is below.
COMPLETENESS_COLOURS = {50: "red", 80: "orange", 100: "yellowgreen", 101: "green"}
BADGE_KINDS = ("compliance", "findings", "license")


def completeness_badge(score: int) -> str:
    return anybadge.Badge(
        label="compliance", value=score, value_suffix="%", thresholds=COMPLETENESS_COLOURS
    ).badge_svg_text


def findings_badge(*, errors: int, warnings: int) -> str:
    if errors:
        value, colour = f"{errors} error{'s' * (errors != 1)}", "red"
    elif warnings:
        value, colour = f"{warnings} warning{'s' * (warnings != 1)}", "orange"
    else:
        value, colour = "none", "green"
    return anybadge.Badge(label="findings", value=value, default_color=colour).badge_svg_text


def license_badge(*, license_id: str, lineage_conflict: bool) -> str:
    if not license_id:
        value, colour = "unknown", "red"
    elif lineage_conflict:
        value, colour = f"{license_id} (lineage conflict)", "orange"
    else:
        value, colour = license_id, "blue"
    return anybadge.Badge(label="license", value=value, default_color=colour).badge_svg_text


def unchecked_badge(kind: str) -> str:
    """For a version published before the checks existed."""
    return anybadge.Badge(label=kind, value="not checked", default_color="lightgrey").badge_svg_text
