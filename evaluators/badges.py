"""SVG badges (anybadge), coloured by the level the evaluator's rule chose, linking to the evidence.

The run rows are the source of truth; the SVG is derived from label, message, level and link.
"""

from __future__ import annotations

import hashlib

import anybadge
from django.utils.html import escape

COLOURS = {
    "gold": "#4c1",
    "silver": "#97ca00",
    "bronze": "#dfb317",
    "none": "#9f9f9f",
    "fail": "#e05d44",
    "info": "#007ec6",
}
_SVG_OPEN = '<svg xmlns="http://www.w3.org/2000/svg"'


def render(*, label: str, message: str, level: str, link: str | None = None) -> str:
    """A shields-style badge; with `link`, clicking it (when the SVG is opened or embedded as an
    object) leads to the evidence. READMEs wrap the image in a link themselves."""
    svg = anybadge.Badge(
        label=label, value=message, default_color=COLOURS.get(level, COLOURS["none"])
    ).badge_svg_text
    head, separator, body = svg.partition(">\n")  # the XML declaration
    opening_end = body.index(">") + 1
    title = f"<title>{escape(label)}: {escape(message)}</title>"
    if link is None:
        return f"{head}{separator}{body[:opening_end]}{title}{body[opening_end:]}"
    tag = body[:opening_end].replace(_SVG_OPEN, _SVG_OPEN + ' xmlns:xlink="http://www.w3.org/1999/xlink"', 1)
    inner, _, _ = body[opening_end:].rpartition("</svg>")
    anchor = f'<a xlink:href="{escape(link)}" href="{escape(link)}" target="_top">'
    return f"{head}{separator}{tag}{title}{anchor}{inner}</a></svg>\n"


def etag(*parts: str) -> str:
    return '"' + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32] + '"'


def not_evaluated(label: str) -> tuple[str, str, str]:
    return label, "not evaluated", "none"


def pending(label: str, status: str) -> tuple[str, str, str]:
    return label, status, "none"
