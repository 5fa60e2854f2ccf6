"""Download counters: per file, and per version and repository.

Every download of a file counts for that file. A version (and its repository) counts one download
per *pull*, not per file: a pull is recognised by its primary file, `config.json` when the version
has one (what every transformers load fetches, and what the Hugging Face Hub counts), else the
first weights file, else the first file.

Counters are bumped with single-row `UPDATE ... SET n = n + 1` statements: no read-modify-write
race, and published versions stay untouched apart from their counters.
"""

from __future__ import annotations

from django.db.models import F

from registry.models import ModelRepository, Version, VersionFile

PRIMARY_FILE = "config.json"


def is_primary_file(*, version_id: int, path: str) -> bool:
    if path == PRIMARY_FILE:
        return True
    paths = list(
        VersionFile.objects.filter(version_id=version_id).order_by("path").values_list("path", flat=True)
    )
    if PRIMARY_FILE in paths:
        return False
    weights = [p for p in paths if p.endswith(".safetensors")]
    return path == (weights[0] if weights else paths[0] if paths else None)


def record_download(*, file_id: int, version_id: int, repository_id: int, path: str) -> None:
    VersionFile.objects.filter(pk=file_id).update(downloads=F("downloads") + 1)
    if is_primary_file(version_id=version_id, path=path):
        Version.objects.filter(pk=version_id).update(downloads=F("downloads") + 1)
        ModelRepository.objects.filter(pk=repository_id).update(downloads=F("downloads") + 1)
