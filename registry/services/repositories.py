"""Publishers, repositories and refs."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from registry.errors import Conflict, InvalidInput, RepositoryNotFound, RevisionNotFound
from registry.models import AuditEvent, Membership, ModelRepository, Publisher, Ref, Version
from registry.models.publishers import name_validator

# First path segments of the site's own routes (and of the Hub's datasets and spaces): a namespace
# named like one would have its model pages and its downloads (/{namespace}/{name}/resolve/...)
# answered by that route instead. tests/unit/test_reserved_namespaces.py keeps this list complete.
RESERVED_NAMESPACES = frozenset(
    {
        "accounts", "admin", "api", "compare", "datasets", "evaluations", "healthz", "leaderboards",
        "metrics", "models", "portal", "readyz", "signing-keys", "spaces", "static", "v1", "xet-cas",
    }
)  # fmt: skip


def valid_name(value: str, what: str) -> str:
    try:
        name_validator(value)
    except ValidationError as exc:
        raise InvalidInput(f"{what} {value!r} is not valid: {exc.messages[0]}") from exc
    return value


def is_reserved(slug: str) -> bool:
    return slug.lower() in RESERVED_NAMESPACES


def new_namespace(slug: str) -> str:
    """A valid name for a namespace about to be created (a user's or an organisation's)."""
    valid_name(slug, "namespace")
    if is_reserved(slug):
        raise InvalidInput(
            f"the name {slug!r} is reserved: /{slug.lower()}/ is a path of this site, so its models could "
            "not be served; choose another name"
        )
    return slug


def split_repo_id(repo_id: str) -> tuple[str, str]:
    namespace, _, name = repo_id.partition("/")
    if not name or "/" in name:
        raise InvalidInput(f"repository id {repo_id!r} must be NAMESPACE/NAME")
    return valid_name(namespace, "namespace"), valid_name(name, "repository name")


@transaction.atomic
def ensure_publisher(
    *, slug: str, display_name: str = "", owner: AbstractBaseUser | None = None
) -> Publisher:
    """The organisation `slug`, created if missing, with `owner` as an owner member."""
    if not Publisher.objects.filter(slug=valid_name(slug, "namespace")).exists():
        new_namespace(slug)  # only a new one is checked: an existing namespace stays reachable
    publisher, created = Publisher.objects.get_or_create(
        slug=slug, defaults={"display_name": display_name or slug}
    )
    if owner is not None:
        Membership.objects.get_or_create(
            publisher=publisher, user=owner, defaults={"role": Membership.Role.OWNER}
        )
    if created:
        AuditEvent.record("publisher.created", actor=owner, slug=slug)
    return publisher


@transaction.atomic
def create_repository(
    *,
    namespace: Publisher,
    name: str,
    actor: AbstractBaseUser | None,
    industry: str = ModelRepository._meta.get_field("industry").default,
    task: str = "",
    visibility: str = ModelRepository.Visibility.PUBLIC,
    gating: str = ModelRepository.Gating.NONE,
    description: str = "",
) -> ModelRepository:
    repository = ModelRepository(
        namespace=namespace,
        name=valid_name(name, "repository name"),
        industry=industry,
        task=task,
        visibility=visibility,
        gating=gating,
        description=description,
    )
    try:
        repository.full_clean(validate_unique=False)
    except ValidationError as exc:
        raise InvalidInput("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
    try:
        with transaction.atomic():
            repository.save()
    except IntegrityError as exc:
        raise Conflict(f"repository {namespace.slug}/{name} already exists") from exc
    AuditEvent.record(
        "repository.created", actor=actor, repository=repository, visibility=visibility, gating=gating
    )
    return repository


def get_repository(repo_id: str) -> ModelRepository:
    namespace, name = split_repo_id(repo_id)
    try:
        return ModelRepository.objects.select_related("namespace").get(namespace__slug=namespace, name=name)
    except ModelRepository.DoesNotExist:
        raise RepositoryNotFound(f"repository {repo_id} does not exist") from None


def resolve_revision(*, repository: ModelRepository, revision: str) -> Version:
    """A branch, a tag or a full 40-hex commit id, to its published version."""
    ref = Ref.objects.select_related("version").filter(repository=repository, name=revision).first()
    if ref is not None:
        return ref.version
    version = Version.objects.published().filter(repository=repository, commit_id=revision.lower()).first()
    if version is None:
        raise RevisionNotFound(f"revision {revision!r} not found in {repository.repo_id}")
    return version


@transaction.atomic
def create_tag(
    *, repository: ModelRepository, name: str, version: Version, actor: AbstractBaseUser | None
) -> Ref:
    if not version.is_published or version.repository_id != repository.pk:
        raise InvalidInput(f"tag {name!r} must point at a published version of {repository.repo_id}")
    if not name or len(name) > 200 or name.startswith(("/", "refs/")) or ".." in name or " " in name:
        raise InvalidInput(f"tag name {name!r} is not valid")
    if Ref.objects.filter(repository=repository, name=name).exists():
        raise Conflict(f"a branch or tag named {name!r} already exists in {repository.repo_id}")
    ref = Ref.objects.create(repository=repository, name=name, kind=Ref.Kind.TAG, version=version)
    AuditEvent.record("tag.created", actor=actor, version=version, tag=name)
    return ref


@transaction.atomic
def update_repository(
    *,
    repository: ModelRepository,
    actor: AbstractBaseUser | None,
    industry: str | None = None,
    task: str | None = None,
    visibility: str | None = None,
    gating: str | None = None,
) -> ModelRepository:
    """Change the given settings (None leaves one as it is); audited when anything changed."""
    for field, value, allowed in (
        ("visibility", visibility, ModelRepository.Visibility),
        ("gating", gating, ModelRepository.Gating),
    ):
        if value is not None and value not in allowed.values:
            raise InvalidInput(f"unknown {field} {str(value)[:20]!r}: use {', '.join(allowed.values)}")
    changes = {
        field: value
        for field, value in {
            "industry": industry,
            "task": task,
            "visibility": visibility,
            "gating": gating,
        }.items()
        if value is not None and getattr(repository, field) != value
    }
    if changes:
        for field, value in changes.items():
            setattr(repository, field, value)
        if changes.get("visibility") == ModelRepository.Visibility.PUBLIC:
            from registry.services import compliance  # it reads repositories: imported when needed

            compliance.require_publishable(repository=repository)
        repository.save()
        AuditEvent.record("repository.updated", actor=actor, repository=repository, **changes)
    return repository


@transaction.atomic
def yank_version(*, version: Version, reason: str, actor: AbstractBaseUser | None) -> Version:
    """Mark a published version as withdrawn (it stays downloadable for reproducibility); audited."""
    version.is_yanked, version.yank_reason = True, reason.strip()[:500]
    version.save(update_fields=["is_yanked", "yank_reason"])
    AuditEvent.record("version.yanked", actor=actor, version=version, reason=version.yank_reason)
    return version
