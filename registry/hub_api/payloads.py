"""Registry rows turned into the JSON shapes of the Hub API (hf-hub-protocol.md §3). Pure functions:
no queries here, so what a view costs is visible in the view."""

from __future__ import annotations

import hashlib
from typing import Any

from registry.hashing import lfs_pointer
from registry.models import ModelRepository

from .responses import hub_time

# Properties a client may ask for with `expand=` (those of huggingface_hub's ExpandModelProperty_T,
# plus two the Hub also accepts). Asking for one we have no data for returns nothing for it.
EXPANDABLE = frozenset(
    {
        "author",
        "baseModels",
        "cardData",
        "childrenModelCount",
        "config",
        "createdAt",
        "disabled",
        "downloads",
        "downloadsAllTime",
        "evalResults",
        "gated",
        "gguf",
        "inference",
        "inferenceProviderMapping",
        "lastModified",
        "library_name",
        "likes",
        "mask_token",
        "model-index",
        "pipeline_tag",
        "private",
        "resourceGroup",
        "safetensors",
        "sha",
        "siblings",
        "spaces",
        "tags",
        "transformersInfo",
        "trendingScore",
        "usedStorage",
        "widgetData",
        "xetEnabled",
        "securityRepoStatus",
    }
)


def gated_value(gating: str) -> str | bool:
    return False if gating == ModelRepository.Gating.NONE else gating


def hub_tags(row: dict[str, Any]) -> list[str]:
    """The repository's own tags plus the derived ones `filter=` understands, as on the Hub."""
    derived = [
        row["task"],
        f"license:{row['license']}" if row["license"] else "",
        f"industry:{row['industry']}",
        "safetensors" if row.get("parameter_count") is not None else "",
    ]
    return list(dict.fromkeys(str(t) for t in [*(row["tags"] or []), *derived] if t))


def summary(row: dict[str, Any]) -> dict[str, Any]:
    """A listing entry; `row` is a `selectors.list_models` row."""
    repo_id = f"{row['namespace_slug']}/{row['name']}"
    entry = {
        "_id": str(row["pk"]),
        "id": repo_id,
        "modelId": repo_id,
        "author": row["namespace_slug"],
        "sha": row["sha"],
        "lastModified": hub_time(row["last_modified"]),
        "createdAt": hub_time(row["created_at"]),
        "private": row["visibility"] == ModelRepository.Visibility.PRIVATE,
        "gated": gated_value(row["gating"]),
        "disabled": False,
        "downloads": row["downloads"],
        "downloadsAllTime": row["downloads"],
        "likes": 0,
        "trendingScore": 0,
        "tags": hub_tags(row),
        "pipeline_tag": row["task"] or None,
        "industry": row["industry"],
        "usedStorage": row["total_size"],
        "xetEnabled": False,
    }
    if "card_metadata" in row:
        card = row["card_metadata"] or {}
        entry["cardData"] = card
        entry["library_name"] = card.get("library_name")
    if "parameters_by_dtype" in row and row["parameter_count"] is not None:
        entry["safetensors"] = {"parameters": row["parameters_by_dtype"], "total": row["parameter_count"]}
    return entry


def only_expanded(entry: dict[str, Any], expand: set[str]) -> dict[str, Any]:
    """With `expand=`, the client expects the id and exactly the properties it asked for."""
    return {k: v for k, v in entry.items() if k in {"_id", "id"} or k in expand}


def pointer_size(sha256: str, size: int) -> int:
    return len(lfs_pointer(sha256, size).encode())


def sibling(file: dict[str, Any], *, blobs: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"rfilename": file["path"]}
    if blobs:
        entry["size"] = file["size"]
        entry["blobId"] = file["git_oid"]
        if file["is_lfs"]:
            entry["lfs"] = {
                "sha256": file["sha256"],
                "size": file["size"],
                "pointerSize": pointer_size(file["sha256"], file["size"]),
            }
    return entry


def card_data(card: dict[str, Any] | None, evaluations: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """The README metadata, with the registry's own evaluation results added to `model-index`, where
    `huggingface_hub` reads them (`ModelInfo.card_data.eval_results`)."""
    data = dict(card["metadata"]) if card else {}
    if evaluations:
        index = [dict(entry) for entry in data.get("model-index") or []]
        if index:
            index[0]["results"] = [*(index[0].get("results") or []), *evaluations]
        else:
            index = [{"name": name, "results": evaluations}]
        data["model-index"] = index
    return data


def model_info(
    *,
    repository: ModelRepository,
    version,
    files: list[dict[str, Any]],
    card: dict[str, Any] | None,
    evaluations: list[dict[str, Any]],
    blobs: bool,
) -> dict[str, Any]:
    """`GET /api/models/{repo}[/revision/{rev}]`: the repository as seen at `version`."""
    row = {
        "pk": repository.pk,
        "namespace_slug": repository.namespace.slug,
        "name": repository.name,
        "industry": repository.industry,
        "task": repository.task,
        "tags": repository.tags,
        "license": version.license or repository.license,
        "visibility": repository.visibility,
        "gating": repository.gating,
        "downloads": repository.downloads,
        "created_at": repository.created_at,
        "sha": version.commit_id,
        "last_modified": version.published_at,
        "parameter_count": version.parameter_count,
        "total_size": version.total_size,
    }
    info = summary(row)
    data = card_data(card, evaluations, repository.name)
    paths = {f["path"] for f in files}
    info.update(
        cardData=data,
        library_name=data.get("library_name") or ("transformers" if "config.json" in paths else None),
        siblings=[sibling(f, blobs=blobs) for f in files],
        spaces=[],
    )
    if "model-index" in data:
        info["model-index"] = data["model-index"]
    if version.parameter_count is not None:
        info["safetensors"] = {"parameters": version.parameters_by_dtype, "total": version.parameter_count}
    return info


def security_status() -> dict[str, Any]:
    """Every published file passed the registry's checks: no pickle, no executables, valid
    safetensors headers. There is no antivirus scan."""
    return {"scansDone": True, "filesWithIssues": []}


# --- the file tree -------------------------------------------------------------------------------


def file_entry(file: dict[str, Any]) -> dict[str, Any]:
    """A tree entry; note the LFS keys differ from a sibling's (`oid` here, `sha256` there)."""
    entry: dict[str, Any] = {
        "type": "file",
        "oid": file["git_oid"],
        "size": file["size"],
        "path": file["path"],
    }
    if file["is_lfs"]:
        entry["lfs"] = {
            "oid": file["sha256"],
            "size": file["size"],
            "pointerSize": pointer_size(file["sha256"], file["size"]),
        }
    return entry


def folder_entry(path: str, contents: list[str]) -> dict[str, Any]:
    """A folder's id is derived from what it holds, like a git tree id: same files, same id."""
    oid = hashlib.sha1("\n".join(sorted(contents)).encode(), usedforsecurity=False).hexdigest()
    return {"type": "directory", "oid": oid, "size": 0, "path": path}


def tree(files: list[dict[str, Any]], *, folder: str, recursive: bool) -> list[dict[str, Any]] | None:
    """The entries under `folder` ("" for the root), sorted by path; None when no such folder."""
    prefix = f"{folder}/" if folder else ""
    folders: dict[str, list[str]] = {}
    entries = []
    for file in files:
        if not file["path"].startswith(prefix):
            continue
        relative = file["path"][len(prefix) :]
        parts = relative.split("/")
        for depth in range(1, len(parts)):
            path = prefix + "/".join(parts[:depth])
            folders.setdefault(path, []).append(f"{file['path']} {file['git_oid']}")
            if not recursive:
                break
        if recursive or len(parts) == 1:
            entries.append(file_entry(file))
    if folder and not entries and not folders:
        return None
    entries.extend(folder_entry(path, contents) for path, contents in folders.items())
    return sorted(entries, key=lambda e: e["path"])


def expanded_file(entry: dict[str, Any], last_commit: dict[str, Any] | None) -> dict[str, Any]:
    """`expand=true`: the last commit that changed the entry, and its security status."""
    if last_commit is not None:
        entry["lastCommit"] = {
            "id": last_commit["commit_id"],
            "title": (last_commit["message"] or "").splitlines()[0] if last_commit["message"] else "",
            "date": hub_time(last_commit["published_at"]),
        }
    if entry["type"] == "file":
        entry["securityFileStatus"] = {"status": "safe", "avScan": None, "pickleImportScan": None}
    return entry


def commit(row: dict[str, Any]) -> dict[str, Any]:
    """A `list_repo_commits` entry from a `selectors.commit_history` row."""
    message = row["message"] or ""
    title = message.splitlines()[0] if message else ""
    return {
        "id": row["commit_id"],
        "title": title,
        "message": message,
        "date": hub_time(row["published_at"]),
        "authors": [{"user": row["author_name"]}] if row["author_name"] else [],
    }


def ref(row: dict[str, Any]) -> dict[str, Any]:
    prefix = "refs/heads/" if row["kind"] == "branch" else "refs/tags/"
    return {"name": row["name"], "ref": prefix + row["name"], "targetCommit": row["commit_id"]}
