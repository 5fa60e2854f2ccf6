"""Registry data, one module per aggregate."""

from .access import AccessGrant, ApiToken
from .audit import AuditEvent
from .blobs import Blob
from .compliance import ComplianceRecord, ModelCard, SafetensorsInfo
from .publishers import Membership, Publisher
from .repositories import ModelRepository
from .versions import Ref, Version, VersionFile

__all__ = [
    "AccessGrant",
    "ApiToken",
    "AuditEvent",
    "Blob",
    "ComplianceRecord",
    "Membership",
    "ModelCard",
    "ModelRepository",
    "Publisher",
    "Ref",
    "SafetensorsInfo",
    "Version",
    "VersionFile",
]
