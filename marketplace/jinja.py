"""The Jinja2 environment of the marketplace pages.

Jinja2 rather than Django templates for the pages: the catalog renders dozens of rows per request
and Django's engine cost about four times as much CPU for the same page (performance.md).
Autoescaping is on (Django's Jinja2 backend default); only the sanitised card HTML is marked safe.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from django.templatetags.static import static
from django.urls import reverse
from django.utils.timezone import now
from jinja2 import Environment

from registry.models.repositories import Industry

from .charts import compact_count


def filesize(value: int | None) -> str:
    if value is None:
        return "—"
    size = float(value)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"


def parameters(value: int | None) -> str:
    return "—" if value is None else compact_count(int(value))


def isodate(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def ago(value: datetime | None) -> str:
    """ "3 hours ago" for the last month, else the date. Plain arithmetic: Django's naturaltime
    costs ~20x more (translation lookups) and the catalog calls this once a row."""
    if value is None:
        return ""
    seconds = int((now() - value).total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            if unit == "day" and seconds >= 30 * 86400:
                return value.strftime("%Y-%m-%d")
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"


def thousands(value: int | None) -> str:
    """12,345: Django's intcomma goes through the locale machinery, ~10x slower."""
    return "—" if value is None else f"{value:,}"


def yesno(value) -> str:
    """Booleans as words; anything else as it is (questionnaire answers mix both)."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return "not stated" if value is None else str(value)


def with_query(base: str, params: dict) -> str:
    """`base` with the non-empty `params` as its query string."""
    kept = {k: v for k, v in params.items() if v not in (None, "", False)}
    return f"{base}?{urlencode(kept, doseq=True)}" if kept else base


def environment(**options) -> Environment:
    env = Environment(autoescape=options.pop("autoescape", True), **options)
    env.globals.update(
        static=static, url=reverse, with_query=with_query, industry_labels=dict(Industry.choices)
    )
    env.filters.update(
        intcomma=thousands,
        filesize=filesize,
        parameters=parameters,
        isodate=isodate,
        ago=ago,
        yesno=yesno,
    )
    return env
