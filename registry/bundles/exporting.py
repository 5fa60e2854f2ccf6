"""Export: chosen published versions → one signed, streamable bundle (see archive.py for the layout).

The manifest is built from the database (digests the server computed at ingest), signed with the
registry's active key, and written first; then each version's compliance report, then the blobs,
read from object storage chunk by chunk. Memory stays flat whatever the bundle's size.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils import timezone

from registry.errors import InvalidInput, PermissionDenied
from registry.hub_api import params
from registry.models import AuditEvent, Version, VersionSignature
from registry.services import access, compliance, repositories, signing
from registry.signing.base import SignedManifest
from registry.storage import get_store

from . import archive

Progress = Callable[[int], None]


@dataclass
class ExportPlan:
    """Everything the archive will hold; blobs as (sha256, size, storage key), read when written."""

    manifest: bytes
    signature: bytes
    reports: list[tuple[str, bytes]]
    blobs: list[tuple[str, int, str]]
    versions: list[Version] = field(default_factory=list)

    @property
    def blob_bytes(self) -> int:
        return sum(size for _, size, _ in self.blobs)


def parse_spec(spec: str) -> tuple[str, str]:
    """`NAMESPACE/NAME[@REVISION]` → (repo id, revision; default main)."""
    repo_id, _, revision = spec.partition("@")
    repositories.split_repo_id(repo_id)  # refuses a malformed id, naming it
    if params.has_control_characters(revision) or len(revision) > 200:
        raise InvalidInput(f"revision {revision[:200]!r} is not a branch, tag or commit id")
    return repo_id, revision or "main"


def resolve_versions(
    specs: list[str], *, user: AbstractBaseUser | AnonymousUser | None = None
) -> list[Version]:
    """The published versions named by `specs`; with `user`, only what they may export (a member of
    the publisher, or staff). Without one (the command line, run by the operator) anything."""
    if not specs:
        raise InvalidInput("name at least one version to export: NAMESPACE/NAME[@REVISION]")
    versions: list[Version] = []
    for spec in specs:
        repo_id, revision = parse_spec(spec)
        if user is None:
            repository = repositories.get_repository(repo_id)
        else:
            repository = access.access_repository(repository_id=repo_id, user=user)
            if not (getattr(user, "is_staff", False) or access.role_of(user, repository)):
                raise PermissionDenied(
                    f"Only members of {repository.namespace.slug} (or an administrator) may export {repo_id}."
                )
        version = repositories.resolve_revision(repository=repository, revision=revision)
        access.require_intact(version=version)
        if version.pk not in {v.pk for v in versions}:
            versions.append(version)
    return versions


def _key_entry(key: Any) -> dict[str, str]:
    return {"hint": key.hint, "algorithm": key.algorithm, "public_key_pem": key.public_key_pem}


def _version_entry(version: Version, report_name: str, keys: dict[str, dict[str, str]]) -> dict[str, Any]:
    repository = version.repository
    registry_signature = signing.current_signature(version)
    if registry_signature is None:
        raise InvalidInput(f"{repository.repo_id}@{version.commit_id} has no registry signature to export")
    keys[registry_signature.key_hint] = _key_entry(registry_signature.registry_key)
    publisher_signature = signing.current_signature(version, VersionSignature.Kind.PUBLISHER)
    return {
        "repository": {
            "id": repository.repo_id,
            "publisher_display_name": repository.namespace.display_name,
            "industry": repository.industry,
            "task": repository.task,
            "visibility": repository.visibility,
            "gating": repository.gating,
            "description": repository.description,
        },
        "commit_id": version.commit_id,
        "parent_commit_id": version.parent.commit_id if version.parent_id else None,
        "message": version.message,
        "target_branch": version.target_branch,
        "published_at": version.published_at.isoformat() if version.published_at else None,
        "files": [
            {"path": f.path, "size": f.size, "sha256": f.sha256} for f in version.files.order_by("path")
        ],
        "signature": {"key_hint": registry_signature.key_hint, "bundle": registry_signature.bundle},
        "publisher_signature": None
        if publisher_signature is None
        else {
            "key_hint": publisher_signature.key_hint,
            "key_name": publisher_signature.publisher_key.name,
            "bundle": publisher_signature.bundle,
            **_key_entry(publisher_signature.publisher_key),
        },
        "compliance_report": report_name,
    }


def plan_export(versions: list[Version]) -> ExportPlan:
    """Build and sign the manifest; nothing is read from object storage yet."""
    signer, active = signing.active_signer()
    keys: dict[str, dict[str, str]] = {active.hint: _key_entry(active)}
    entries, reports, members = [], [], {}
    blobs: dict[str, tuple[str, int, str]] = {}
    for version in sorted(versions, key=lambda v: (v.published_at, v.pk)):  # parents before children
        name = archive.report_name(version.repository.repo_id, version.commit_id)
        report = json.dumps(compliance.compliance_report(version=version), indent=2, default=str).encode()
        reports.append((name, report))
        members[name] = {"sha256": hashlib.sha256(report).hexdigest(), "size": len(report)}
        entries.append(_version_entry(version, name, keys))
        for file in version.files.select_related("blob"):
            blobs.setdefault(file.sha256, (file.sha256, file.size, file.blob.storage_key))
    manifest = {
        "format": archive.FORMAT,
        "bundle_id": uuid.uuid4().hex,
        "created_at": timezone.now().isoformat(),
        "signed_by": active.hint,
        "keys": list(keys.values()),
        "versions": entries,
        "members": members,
        "blobs": [{"sha256": sha, "size": size} for sha, size, _ in blobs.values()],
    }
    manifest_bytes = json.dumps(manifest, indent=1).encode()
    signed = SignedManifest(
        name=f"bundle {manifest['bundle_id']}",
        sha256_by_path={archive.MANIFEST: hashlib.sha256(manifest_bytes).hexdigest()},
    )
    signature = signer.sign(signed)  # the importer verifies it before reading anything else
    return ExportPlan(manifest_bytes, signature, reports, list(blobs.values()), list(versions))


def iter_bundle(plan: ExportPlan, *, progress: Progress | None = None) -> Iterator[bytes]:
    """The archive's bytes, in order; blob bytes are counted to `progress` as they go out."""
    writer, store = archive.TarWriter(time.time()), get_store()
    yield from writer.member(archive.MANIFEST, len(plan.manifest), [plan.manifest])
    yield from writer.member(archive.MANIFEST_SIGNATURE, len(plan.signature), [plan.signature])
    for name, report in plan.reports:
        yield from writer.member(name, len(report), [report])
    for sha256, size, key in plan.blobs:
        yield from writer.member(archive.blob_name(sha256), size, _counted(store.iter_chunks(key), progress))
    yield writer.end()


def _counted(chunks: Iterator[bytes], progress: Progress | None) -> Iterator[bytes]:
    for chunk in chunks:
        if progress is not None:
            progress(len(chunk))
        yield chunk


def write_bundle(plan: ExportPlan, out: BinaryIO, *, progress: Progress | None = None) -> int:
    """Write the archive to an open file; returns its size in bytes."""
    written = 0
    for chunk in iter_bundle(plan, progress=progress):
        out.write(chunk)
        written += len(chunk)
    return written


def record_export(plan: ExportPlan, *, actor: AbstractBaseUser | AnonymousUser | None, via: str) -> None:
    for version in plan.versions:
        AuditEvent.record("version.exported", actor=actor, version=version, via=via)
