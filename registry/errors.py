"""Domain errors: each has an HTTP status, a stable code and a message that names the problem."""

from __future__ import annotations


class RegistryError(Exception):
    status = 400
    code = "BadRequest"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(RegistryError):
    status = 404
    code = "NotFound"


class RepositoryNotFound(NotFound):
    code = "RepoNotFound"


class RevisionNotFound(NotFound):
    code = "RevisionNotFound"


class EntryNotFound(NotFound):
    code = "EntryNotFound"


class NoWeightsHere(EntryNotFound):
    """A pull of an external listing: the model is only reachable through its provider's API.
    Answered as EntryNotFound (404), which the Hub client raises as is, with this message."""


class RepositoryGated(RegistryError):
    status = 403
    code = "GatedRepo"


class Unauthorized(RegistryError):
    status = 401
    code = "Unauthorized"


class PermissionDenied(RegistryError):
    status = 403
    code = "Forbidden"


class Conflict(RegistryError):
    status = 409
    code = "Conflict"


class ImmutableVersion(Conflict):
    code = "ImmutableVersion"


class InvalidInput(RegistryError):
    code = "InvalidInput"


class IngestError(RegistryError):
    """A file or card refused by the ingest pipeline; the version stays an unpublished draft."""

    status = 422
    code = "IngestRefused"

    def __init__(self, message: str, *, path: str | None = None):
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path


class RefusedFileType(IngestError):
    code = "RefusedFileType"


class InvalidSafetensors(IngestError):
    code = "InvalidSafetensors"


class InvalidModelCard(IngestError):
    code = "InvalidModelCard"


class DigestMismatch(IngestError):
    code = "DigestMismatch"


class LicenseRefused(IngestError):
    """A public version whose card declares no license, or one the registry does not know."""

    code = "LicenseRefused"


class StorageUnavailable(RegistryError):
    """The object store did not answer; retryable."""

    status = 503
    code = "StorageUnavailable"


class InvalidPublisherSignature(IngestError):
    """An uploaded `model.sig` that does not verify against the publisher's registered keys."""

    code = "InvalidPublisherSignature"


class SigningUnavailable(IngestError):
    """The registry could not sign (no usable key): the draft waits, unpublished; not the client's fault."""

    status = 503
    code = "SigningUnavailable"


class VersionCompromised(RegistryError):
    """A stored file no longer matches the digest it was published with; its pulls are blocked."""

    status = 410
    code = "VersionCompromised"
