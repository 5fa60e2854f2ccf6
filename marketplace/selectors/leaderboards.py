"""Industry leaderboards: the headline evaluation score against parameter count.

A board is one industry and one task: the headline score is a different metric per task (accuracy
on the domain benchmark, MRR for retrieval), so models of different tasks are never ranked together.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F

from .catalog import SIZE_LABELS, as_rows, catalog_rows

LEADERBOARD_SIZE = 50


def tasks_of(*, user, industry: str) -> list[dict[str, Any]]:
    """The tasks of the industry's listed models, the most common first."""
    rows = (
        catalog_rows(user)
        .filter(industry=industry)
        .exclude(task="")
        .order_by()
        .values("task")
        .annotate(count=Count("pk"))
    )
    return sorted(rows, key=lambda r: (-r["count"], r["task"]))


def leaderboard(*, user, industry: str, task: str) -> list[dict[str, Any]]:
    """The board's listed models, best score first (unscored ones last, smallest first)."""
    rows = as_rows(
        catalog_rows(user)
        .filter(industry=industry, task=task)
        .values(
            "pk",
            "name",
            "task",
            "license",
            "downloads",
            "parameter_count",
            "size_class",
            "is_signed",
            "score",
            "namespace_slug",
        )
        .order_by(F("score").desc(nulls_last=True), F("parameter_count").asc(nulls_last=True), "pk")[
            :LEADERBOARD_SIZE
        ]
    )
    for position, row in enumerate(rows, start=1):
        row["position"] = position if row["score"] is not None else None
        row["size_label"] = SIZE_LABELS.get(row["size_class"], row["size_class"])
    return rows
