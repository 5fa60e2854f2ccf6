"""Registry data, one module per aggregate."""

from .access import AccessGrant, ApiToken
from .audit import AuditEvent
from .blobs import Blob
from .compliance import ComplianceRecord, ModelCard, SafetensorsInfo
from .compliance_checks import ComplianceCheck
from .publishers import Membership, Publisher
from .repositories import ModelRepository
from .signing import PublisherKey, SigningKey, VersionSignature
from .uploads import EmailVerification, Invitation, UploadSession
from .versions import Ref, Version, VersionFile

__all__ = [
    "AccessGrant",
    "ApiToken",
    "AuditEvent",
    "Blob",
    "ComplianceCheck",
    "ComplianceRecord",
    "EmailVerification",
    "Invitation",
    "Membership",
    "ModelCard",
    "ModelRepository",
    "Publisher",
    "PublisherKey",
    "Ref",
    "SafetensorsInfo",
    "SigningKey",
    "UploadSession",
    "Version",
    "VersionFile",
    "VersionSignature",
]
