"""The compliance report's printable HTML form; the JSON form is `services.compliance.compliance_report`.

The page prints on A4 (the browser's "Save as PDF" makes the PDF): no script, no external asset.
"""

from __future__ import annotations

import json
from typing import Any

from django.template.loader import render_to_string

from .licenses import License
from .schema import FIELDS_BY_KEY

YES_NO = {True: "yes", False: "no", None: "not determined"}
PROPERTY_LABELS = {
    "commercial_use": "Commercial use",
    "redistribution": "Redistribution",
    "derivatives": "Derivative models",
    "attribution": "Attribution required",
    "share_alike": "Share-alike (copyleft)",
    "use_restrictions": "Use restrictions",
}


def render_html(report: dict[str, Any]) -> str:
    return render_to_string("compliance/report.html", _context(report), using="django")


def filename(report: dict[str, Any], extension: str) -> str:
    """`namespace_name_commit12-compliance.ext`: safe in a Content-Disposition header."""
    model = report["model"]["id"].replace("/", "_")
    return f"{model}_{(report['version']['commit_id'] or '')[:12]}-compliance.{extension}"


def _context(report: dict[str, Any]) -> dict[str, Any]:
    entry = (report.get("license") or {}).get("license")
    properties = [
        {"label": label, "value": YES_NO[(entry or {}).get("properties", {}).get(name)]}
        for name, label in PROPERTY_LABELS.items()
    ]
    given = (report.get("compliance") or {}).get("answers", {})
    answers = [  # in questionnaire order: the stored JSON's key order is the database's
        {"key": key, "label": spec.label, "value": _show(given[key])}
        for key, spec in FIELDS_BY_KEY.items()
        if key in given
    ]
    missing = [
        {"key": key, "label": FIELDS_BY_KEY[key].label if key in FIELDS_BY_KEY else key}
        for key in (report.get("compliance") or {}).get("missing", [])
    ]
    return {
        "report": report,
        "license_entry": entry,
        "license_properties": properties if entry else [],
        "answers": answers,
        "missing": missing,
        "card_metadata": json.dumps((report.get("card") or {}).get("metadata", {}), indent=2, sort_keys=True),
        "evaluations": [
            json.dumps(result, indent=2, sort_keys=True) for result in report.get("evaluations", [])
        ],
        "property_names": License.PROPERTY_NAMES,
    }


def _show(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return YES_NO[value]
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    return str(value)
