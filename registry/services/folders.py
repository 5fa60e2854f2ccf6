"""Publishing a local Hugging Face-layout folder through the same pipeline as an upload."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth.models import AbstractBaseUser

from registry.errors import InvalidInput, RegistryError
from registry.formats import files
from registry.models import ModelRepository, Version
from registry.services import ingest
from registry.storage import get_store

# Folders a local checkout or a Hub download carries that are not part of the model.
IGNORED_DIRS = frozenset({".git", ".cache", ".huggingface", "__pycache__"})

# (description, total bytes) -> a context manager yielding a progress callback
ProgressFactory = Callable[[str, int], AbstractContextManager[Callable[[int], None]]]


def _no_progress(description: str, total: int) -> AbstractContextManager[Callable[[int], None]]:
    return nullcontext(lambda n: None)


@dataclass(frozen=True)
class FolderFile:
    path: str
    local_path: Path
    size: int


def list_folder(folder: Path) -> list[FolderFile]:
    """The files to publish, each path and type checked before a byte is uploaded."""
    if not folder.is_dir():
        raise InvalidInput(f"{folder} is not a folder")
    found = []
    for local in sorted(folder.rglob("*")):
        relative = local.relative_to(folder)
        if any(part in IGNORED_DIRS for part in relative.parts) or not local.is_file():
            continue
        path = relative.as_posix()
        files.check_path(path)
        files.check_file_type(path)
        found.append(FolderFile(path=path, local_path=local, size=local.stat().st_size))
    if not found:
        raise InvalidInput(f"{folder} holds no files to publish")
    return found


def publish_folder(
    *,
    folder: Path,
    repository: ModelRepository,
    actor: AbstractBaseUser | None,
    message: str = "",
    branch: str = "main",
    progress: ProgressFactory = _no_progress,
) -> Version:
    """Stage every file (deduplicated by sha256), verify from storage, publish. On a refusal the
    draft stays unpublished with its reason, and the error is raised."""
    listing = list_folder(folder)
    draft = ingest.start_draft(
        repository=repository, actor=actor, message=message or f"Publish {folder.name}", branch=branch
    )
    get_store()  # the S3 client before the background imports: the first upload needs it at once
    ingest.load_pipeline_in_background()
    total = sum(f.size for f in listing)
    try:
        with progress(f"upload {len(listing)} files", total) as overall:
            for item in listing:
                with progress(item.path, item.size) as step:

                    def both(n: int, step=step) -> None:
                        step(n)
                        overall(n)

                    ingest.stage_local_file(
                        draft=draft, path=item.path, local_path=item.local_path, progress=both
                    )
        with progress("verify from storage", total) as verifying:
            return ingest.ingest(version=draft, actor=actor, progress=verifying)
    except RegistryError as exc:
        if draft.status != Version.Status.FAILED:
            ingest.mark_failed(draft, exc.message)
        raise
