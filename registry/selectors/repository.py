"""Reads of one repository: its files, card, refs, history and versions; and publishers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import F

from registry.models import ModelCard, ModelRepository, Publisher, Ref, SafetensorsInfo, Version, VersionFile


def version_files(version_id: int) -> list[dict[str, Any]]:
    """Every file of a version, in path order, with what Hub clients and the API show."""
    return list(
        VersionFile.objects.filter(version_id=version_id)
        .order_by("path")
        .values("pk", "path", "size", "sha256", "git_oid", "is_lfs", "downloads")
    )


def files_by_version(version_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """The files of many versions in one query (a listing's `full` siblings)."""
    grouped: dict[int, list[dict[str, Any]]] = {}
    for row in (
        VersionFile.objects.filter(version_id__in=list(version_ids))
        .order_by("version_id", "path")
        .values("version_id", "path", "size", "sha256", "git_oid", "is_lfs")
    ):
        grouped.setdefault(row["version_id"], []).append(row)
    return grouped


def safetensors_by_file(file_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    return {
        row["file_id"]: row
        for row in SafetensorsInfo.objects.filter(file_id__in=list(file_ids)).values(
            "file_id", "tensor_count", "parameter_count", "parameters_by_dtype", "metadata"
        )
    }


def card_of(version_id: int) -> dict[str, Any] | None:
    return ModelCard.objects.filter(version_id=version_id).values("metadata", "body").first()


def repository_refs(repository: ModelRepository) -> list[dict[str, Any]]:
    """Branches and tags with the commit each points at, branches first."""
    return list(
        Ref.objects.filter(repository=repository)
        .order_by("kind", "name")
        .values("name", "kind", "updated_at", commit_id=F("version__commit_id"))
    )


def refs_of_version(version: Version) -> list[str]:
    return list(Ref.objects.filter(version=version).order_by("name").values_list("name", flat=True))


def commit_history(version: Version, *, limit: int = 1000) -> list[dict[str, Any]]:
    """`version` and its ancestors, newest first (one query: a repository has few versions)."""
    published = {
        row["pk"]: row
        for row in Version.objects.published()
        .filter(repository_id=version.repository_id)
        .values(
            "pk",
            "parent_id",
            "commit_id",
            "message",
            "published_at",
            "total_size",
            author_name=F("author__username"),
        )
    }
    history, current = [], published.get(version.pk)
    while current is not None and len(history) < limit:
        history.append(current)
        current = published.get(current["parent_id"])
    return history


def last_commits(version: Version, paths: Iterable[str]) -> dict[str, dict[str, Any]]:
    """For each path, the oldest version in `version`'s ancestry since which its content is unchanged:
    the commit that last touched it."""
    history = commit_history(version)
    contents: dict[tuple[int, str], str] = {
        (row["version_id"], row["path"]): row["sha256"]
        for row in VersionFile.objects.filter(
            version_id__in=[h["pk"] for h in history], path__in=list(paths)
        ).values("version_id", "path", "sha256")
    }
    result = {}
    for path in paths:
        current = contents.get((version.pk, path))
        last = history[0] if history else None
        for commit in history[1:]:
            if contents.get((commit["pk"], path)) != current:
                break
            last = commit
        if last is not None:
            result[path] = last
    return result


def list_publishers(*, after: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    rows = Publisher.objects.order_by("slug")
    if after:
        rows = rows.filter(slug__gt=after)
    return list(rows.values("slug", "display_name", "kind", "description", "website", "created_at")[:limit])


def repository_storage(publisher: Publisher) -> list[dict[str, Any]]:
    """Each repository of a namespace with the bytes its versions reference (a blob shared by two
    versions counts once) and its share of the namespace's distinct bytes. Two queries."""
    repositories = list(
        ModelRepository.objects.filter(namespace=publisher).values("pk", "name", "visibility", "updated_at")
    )
    used: dict[int, int] = {}
    blobs: dict[int, int] = {}
    for repository_id, blob_id, size in (
        VersionFile.objects.filter(version__repository__namespace=publisher)
        .values_list("version__repository_id", "blob_id", "blob__size")
        .distinct()
    ):
        used[repository_id] = used.get(repository_id, 0) + size
        blobs[blob_id] = size
    total = sum(blobs.values())
    return [
        {
            **row,
            "id": f"{publisher.slug}/{row['name']}",
            "storage": used.get(row["pk"], 0),
            "storage_percent": 100 * used.get(row["pk"], 0) / total if total else 0.0,
        }
        for row in repositories
    ]


def list_versions(repository: ModelRepository, *, limit: int = 100) -> list[dict[str, Any]]:
    """Published versions, newest first."""
    return list(
        Version.objects.published()
        .filter(repository=repository)
        .order_by("-published_at", "-pk")
        .values(
            "commit_id",
            "message",
            "published_at",
            "total_size",
            "parameter_count",
            "license",
            "is_yanked",
            "downloads",
            "target_branch",
            parent_commit_id=F("parent__commit_id"),
            author_name=F("author__username"),
        )[:limit]
    )
