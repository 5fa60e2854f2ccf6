"""Versions (revisions) of a model: the list, one version, its files, card, compliance and
evaluation results. `{revision}` is a branch, a tag or a 40-hex commit id; refs whose name holds a
'/' are reached by their commit id."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from registry import selectors
from registry.hub_api import revisions  # branch, tag or commit; control characters refused
from registry.models import ComplianceRecord, Version
from registry.services import access

from .. import rows, serializers
from .base import ERRORS, RegistryAPIView, repository_for


def version_detail(version: Version) -> dict[str, Any]:
    """`VersionDetailSerializer`."""
    return {
        "commit_id": version.commit_id,
        "parent_commit_id": version.parent.commit_id if version.parent_id else None,
        "message": version.message,
        "author": version.author.get_username() if version.author_id else None,
        "target_branch": version.target_branch,
        "published_at": version.published_at,
        "total_size": version.total_size,
        "parameter_count": version.parameter_count,
        "license": version.license,
        "is_yanked": version.is_yanked,
        "downloads": version.downloads,
        "parameters_by_dtype": version.parameters_by_dtype,
        "memory_footprint": version.memory_footprint,
        "refs": selectors.refs_of_version(version),
        "file_count": version.files.count(),
    }


def compliance_payload(version: Version) -> dict[str, Any]:
    """`ComplianceSerializer`: what the publisher declared, and what the rules found."""
    record = ComplianceRecord.objects.filter(version=version).first()
    declared = None
    if record is not None:
        declared = {
            "frameworks": record.frameworks,
            "eu_ai_act_risk": record.eu_ai_act_risk,
            "contains_phi": record.contains_phi,
            "contains_pii": record.contains_pii,
            "intended_uses": record.intended_uses,
            "out_of_scope_uses": record.out_of_scope_uses,
            "answers": record.answers,
        }
    return {
        "commit_id": version.commit_id,
        "declared": declared,
        "findings": selectors.compliance_findings(version),
    }


def version_for(request: Request, namespace: str, name: str, revision: str) -> Version:
    version = revisions.resolve(repository_for(request, namespace, name), revision)
    return Version.objects.select_related("repository__namespace", "parent", "author").get(pk=version.pk)


class VersionListView(RegistryAPIView):
    @extend_schema(
        operation_id="list_versions",
        responses={200: serializers.VersionSummarySerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, namespace: str, name: str) -> Response:
        """Published versions, newest first (at most 100)."""
        repository = repository_for(request, namespace, name)
        return Response([rows.version_summary(row) for row in selectors.list_versions(repository)])


class VersionDetailView(RegistryAPIView):
    @extend_schema(operation_id="get_version", responses={200: serializers.VersionDetailSerializer, **ERRORS})
    def get(self, request: Request, namespace: str, name: str, revision: str) -> Response:
        return Response(version_detail(version_for(request, namespace, name, revision)))


class VersionFilesView(RegistryAPIView):
    @extend_schema(
        operation_id="list_version_files", responses={200: serializers.FileListSerializer, **ERRORS}
    )
    def get(self, request: Request, namespace: str, name: str, revision: str) -> Response:
        """Files with digests and safetensors summaries. Listing is allowed on gated models; the
        download URLs answer 403 until access is granted."""
        version = version_for(request, namespace, name, revision)
        access.require_weights_here(version.repository)  # an external listing has nothing to pull
        files = selectors.version_files(version.pk)
        tensors = selectors.safetensors_by_file(f["pk"] for f in files)
        base = request.build_absolute_uri(f"/{namespace}/{name}/resolve/{version.commit_id}/")
        return Response(
            {
                "commit_id": version.commit_id,
                "files": [
                    {
                        "path": f["path"],
                        "size": f["size"],
                        "sha256": f["sha256"],
                        "git_oid": f["git_oid"],
                        "is_lfs": f["is_lfs"],
                        "downloads": f["downloads"],
                        "download_url": base + quote(f["path"]),
                        "safetensors": _tensor_summary(tensors.get(f["pk"])),
                    }
                    for f in files
                ],
            }
        )


def _tensor_summary(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {k: row[k] for k in ("tensor_count", "parameter_count", "parameters_by_dtype", "metadata")}


class VersionCardView(RegistryAPIView):
    @extend_schema(operation_id="get_version_card", responses={200: serializers.CardSerializer, **ERRORS})
    def get(self, request: Request, namespace: str, name: str, revision: str) -> Response:
        """The model card: README metadata (parsed YAML) and markdown body."""
        version = version_for(request, namespace, name, revision)
        card = selectors.card_of(version.pk) or {"metadata": {}, "body": ""}
        return Response({"commit_id": version.commit_id, **card})


class VersionComplianceView(RegistryAPIView):
    @extend_schema(
        operation_id="get_version_compliance", responses={200: serializers.ComplianceSerializer, **ERRORS}
    )
    def get(self, request: Request, namespace: str, name: str, revision: str) -> Response:
        return Response(compliance_payload(version_for(request, namespace, name, revision)))


class VersionEvaluationsView(RegistryAPIView):
    @extend_schema(
        operation_id="get_version_evaluations", responses={200: serializers.EvaluationsSerializer, **ERRORS}
    )
    def get(self, request: Request, namespace: str, name: str, revision: str) -> Response:
        """Evaluation results (model-index shape); empty until evaluations have run."""
        version = version_for(request, namespace, name, revision)
        return Response({"commit_id": version.commit_id, "results": selectors.evaluation_results(version)})
