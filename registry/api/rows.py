"""Listing rows (`selectors` `.values()` dicts) to API v1 JSON, without serializer overhead.

Each function returns exactly the fields of the serializer named in its docstring; a test checks it.
"""

from __future__ import annotations

from typing import Any

from registry.models import ModelRepository


def model_summary(row: dict[str, Any], models_url: str) -> dict[str, Any]:
    """`ModelSummarySerializer`; `models_url` is the absolute `/api/v1/models/` URL."""
    repo_id = f"{row['namespace_slug']}/{row['name']}"
    return {
        "id": repo_id,
        "namespace": row["namespace_slug"],
        "name": row["name"],
        "industry": row["industry"],
        "task": row["task"],
        "license": row["license"],
        "tags": row["tags"] or [],
        "description": row["description"],
        "private": row["visibility"] == ModelRepository.Visibility.PRIVATE,
        "gating": row["gating"],
        "downloads": row["downloads"],
        "sha": row["sha"],
        "last_modified": row["last_modified"],
        "created_at": row["created_at"],
        "parameter_count": row["parameter_count"],
        "total_size": row["total_size"],
        "url": models_url + repo_id,
    }


def version_summary(row: dict[str, Any]) -> dict[str, Any]:
    """`VersionSummarySerializer`, from a `selectors.list_versions` row."""
    return {
        "commit_id": row["commit_id"],
        "parent_commit_id": row["parent_commit_id"],
        "message": row["message"],
        "author": row["author_name"],
        "target_branch": row["target_branch"],
        "published_at": row["published_at"],
        "total_size": row["total_size"],
        "parameter_count": row["parameter_count"],
        "license": row["license"],
        "is_yanked": row["is_yanked"],
        "downloads": row["downloads"],
    }
