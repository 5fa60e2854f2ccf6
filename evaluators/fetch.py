"""Fetch a version's files from storage by digest into a local folder, re-verifying every byte.

Weights are loaded from what this module wrote, and only after each file's sha256 matched the
digest the version was published with: an object changed in storage after publication fails the
evaluation instead of being evaluated.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from registry.formats.files import check_path
from registry.models import Version, VersionFile
from registry.storage import get_store


class StoredBytesMismatch(Exception):
    """A stored file whose bytes no longer hash to its published digest."""


def fetch_files(*, version: Version, dest: Path, weights: bool) -> list[str]:
    """Write the version's files under `dest` (weights only when asked); returns the paths written."""
    written = []
    rows = version.files.select_related("blob").order_by("path")
    for file in rows:
        if file.path.endswith(".safetensors") and not weights:
            continue
        if (dest / file.path).is_file():
            continue  # fetched and verified earlier in this run
        _fetch_one(file, dest)
        written.append(file.path)
    return written


def _fetch_one(file: VersionFile, dest: Path) -> None:
    target = (dest / check_path(file.path)).resolve()
    if not target.is_relative_to(dest.resolve()):
        raise StoredBytesMismatch(f"{file.path}: path leaves the model folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    digest, size = hashlib.sha256(), 0
    try:
        with partial.open("wb") as out:
            for chunk in get_store().iter_chunks(file.blob.storage_key):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
    except FileNotFoundError:
        partial.unlink(missing_ok=True)
        raise StoredBytesMismatch(f"{file.path}: its stored object is missing") from None
    if digest.hexdigest() != file.sha256 or size != file.size:
        partial.unlink(missing_ok=True)
        raise StoredBytesMismatch(
            f"{file.path}: stored bytes hash to sha256 {digest.hexdigest()} ({size} bytes), "
            f"not the published {file.sha256} ({file.size} bytes); it was not loaded"
        )
    partial.rename(target)
