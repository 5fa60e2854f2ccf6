"""The one gate for reading a repository: private is 404, gated is 403 until access is granted.

Every page and API that reads a repository, its files or its metadata goes through here.
"""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import timezone

from registry.errors import (
    NoWeightsHere,
    PermissionDenied,
    RepositoryGated,
    RepositoryNotFound,
    VersionCompromised,
)
from registry.models import AccessGrant, AuditEvent, Membership, ModelRepository, Version, VersionFile

User = AbstractBaseUser | AnonymousUser | None

WRITE_ROLES = (Membership.Role.OWNER, Membership.Role.MAINTAINER)


def role_of(user: User, repository: ModelRepository) -> str | None:
    if user is None or not user.is_authenticated:
        return None
    if user.is_superuser:
        return Membership.Role.OWNER
    return (
        Membership.objects.filter(publisher_id=repository.namespace_id, user=user)
        .values_list("role", flat=True)
        .first()
    )


def access_repository(*, repository_id: str, user: User, files: bool = False) -> ModelRepository:
    """The repository `namespace/name` if `user` may see it.

    Raises RepositoryNotFound when it does not exist or is private to others (the two are
    indistinguishable on purpose), and RepositoryGated when `files` are asked for on a gated
    repository without an approved grant. Metadata of gated repositories stays readable.
    """
    namespace, _, name = repository_id.partition("/")
    repository = (
        ModelRepository.objects.visible_to(user)
        .select_related("namespace")
        .filter(namespace__slug=namespace, name=name)
        .first()
    )
    if repository is None:
        raise RepositoryNotFound(f"Repository {repository_id} not found, or you do not have access to it.")
    if files:
        require_weights_here(repository)
    if files and repository.is_gated and not has_gated_access(user, repository):
        raise RepositoryGated(
            f"Access to {repository_id} is restricted: you must accept its license terms"
            + (
                " and be approved by the publisher"
                if repository.gating == ModelRepository.Gating.MANUAL
                else ""
            )
            + " before downloading its files. Visit the model page to request access."
        )
    return repository


def require_weights_here(repository: ModelRepository) -> None:
    """Refuse a pull of an external listing (404 EntryNotFound, the message says why): its card,
    terms and recorded evaluations are readable, but its weights live with its provider."""
    if repository.is_external:
        where = f" at {repository.external_url}" if repository.external_url else ""
        provider = repository.external_provider or "its provider"
        raise NoWeightsHere(
            f"{repository.repo_id} is an external listing: no weights here. This registry lists it for "
            f"comparison only (card, terms, compliance answers and recorded evaluations); the model is "
            f"reachable only through {provider}'s API{where}, so there are no files to download."
        )


def require_intact(*, version: Version) -> None:
    """Refuse a pull of a version whose stored bytes failed the integrity scrub (410, named reason).

    Call it wherever a version's files (or presigned URLs to them) are served; its metadata,
    model page and signatures stay readable so that users can see what happened.
    """
    if version.is_compromised:
        raise VersionCompromised(
            f"Revision {version.commit_id} of {version.repository.repo_id} is blocked: a stored file no "
            f"longer matches the digest it was published with ({version.compromise_reason}). Its files "
            "are not served; use another revision. The publisher has been notified."
        )


def has_gated_access(user: User, repository: ModelRepository) -> bool:
    if not repository.is_gated:
        return True
    if user is None or not user.is_authenticated:
        return False
    if role_of(user, repository) is not None:
        return True
    return AccessGrant.objects.filter(
        repository=repository, user=user, status=AccessGrant.Status.APPROVED
    ).exists()


def require_write(*, repository: ModelRepository, user: User) -> None:
    if role_of(user, repository) not in WRITE_ROLES:
        raise PermissionDenied(
            f"You need the owner or maintainer role in {repository.namespace.slug} to change "
            f"{repository.repo_id}."
        )


def terms_digest(repository: ModelRepository) -> str:
    return hashlib.sha256(repository.gating_terms.encode()).hexdigest()


@transaction.atomic
def request_access(
    *, repository: ModelRepository, user: AbstractBaseUser, answers: dict[str, str]
) -> AccessGrant:
    """Accept the current terms. Automatic gating approves at once; manual gating queues the request."""
    if not repository.is_gated:
        raise PermissionDenied(f"{repository.repo_id} is not gated; no access request is needed.")
    automatic = repository.gating == ModelRepository.Gating.AUTOMATIC
    grant, _ = AccessGrant.objects.update_or_create(
        repository=repository,
        user=user,
        defaults={
            "terms_digest": terms_digest(repository),
            "answers": answers,
            "status": AccessGrant.Status.APPROVED if automatic else AccessGrant.Status.PENDING,
            "decided_at": timezone.now() if automatic else None,
            "decided_by": None,
        },
    )
    AuditEvent.record("access.requested", actor=user, repository=repository, status=grant.status)
    return grant


@transaction.atomic
def decide_access(*, grant: AccessGrant, approve: bool, actor: AbstractBaseUser) -> AccessGrant:
    require_write(repository=grant.repository, user=actor)
    grant.status = AccessGrant.Status.APPROVED if approve else AccessGrant.Status.REJECTED
    grant.decided_at, grant.decided_by = timezone.now(), actor
    grant.save(update_fields=["status", "decided_at", "decided_by"])
    AuditEvent.record(
        "access.decided",
        actor=actor,
        repository=grant.repository,
        status=grant.status,
        user=grant.user.get_username(),
    )
    return grant


def may_link_digest(*, sha256: str, repository: ModelRepository, user: User) -> bool:
    """Whether a commit to `repository` may name stored bytes by their sha256 alone.

    Knowing a digest must not hand anyone another tenant's private file: bytes are linked only
    when this repository already holds them or the user may read a published version holding them.
    Anyone else proves possession by uploading the bytes again (registry/services/uploads.py)."""
    holding = VersionFile.objects.filter(sha256=sha256)
    if holding.filter(version__repository=repository).exists():
        return True
    readable = ModelRepository.objects.visible_to(user).filter(
        pk__in=holding.filter(version__status=Version.Status.PUBLISHED).values("version__repository_id")
    )
    return any(has_gated_access(user, candidate) for candidate in readable[:20])
