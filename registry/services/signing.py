"""Registry signatures: every version is signed, from the digests the server computed, before it is published.

The pipeline (`ingest.ingest`) is verify → `sign_version` → publish. Signing:

1. looks at an uploaded root `model.sig`: a publisher's signature must verify against that
   publisher's registered keys (else the version is refused, naming the files that differ); a
   copy of one of our own signatures (a parent commit's, or a re-uploaded snapshot's) is replaced;
2. builds the model-signing manifest from `VersionFile.sha256` (recomputed by the server from the
   stored bytes at verification; no byte is read again), names it `namespace/name@commit` and
   signs it with the active registry key;
3. stores the bundle as the version's `model.sig` file, a blob like any other, so every API and
   `snapshot_download` serve it, and as a `VersionSignature` row, with the publisher's beside it.

Keys: the private key is a file (settings.REGISTRY_SIGNING_KEY_PATH) or PEM text in the environment
(REGISTRY_SIGNING_KEY_PEM), read again at each signature, never stored in the database.
The key found there *is* the active key: a key not seen before becomes active and the previous
one retires (a rotation); a retired or revoked key refuses to sign. Public keys stay published.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from registry.errors import (
    Conflict,
    IngestError,
    InvalidInput,
    InvalidPublisherSignature,
    NotFound,
    PermissionDenied,
    SigningUnavailable,
)
from registry.hashing import git_blob_sha1
from registry.models import (
    AuditEvent,
    Blob,
    Membership,
    Publisher,
    PublisherKey,
    Ref,
    SigningKey,
    Version,
    VersionFile,
    VersionSignature,
)
from registry.signing import keys
from registry.signing.base import (
    GIT_PATHS,
    MAX_BUNDLE_SIZE,
    SIGNATURE_PATH,
    SIGNED_IGNORES,
    BundleError,
    BundleInfo,
    SignatureMismatch,
    SignedManifest,
    parse_bundle,
)
from registry.storage import blob_key, get_store
from registry.webhooks import events as webhook_events

if TYPE_CHECKING:
    from registry.signing.base import Signer

logger = logging.getLogger(__name__)

Kind = VersionSignature.Kind


# --- the registry's keys -----------------------------------------------------------------------


def _password() -> bytes | None:
    password = settings.REGISTRY_SIGNING_KEY_PASSWORD
    return password.encode() if password else None


def load_signer(path: Path | None = None) -> Signer:
    """The signer for the configured key (PEM text from the environment, else the key file);
    creates the key file first where settings allow it."""
    from registry.signing.ossf import ModelSigningSigner  # imports model-signing: only when signing

    if path is None and settings.REGISTRY_SIGNING_KEY_PEM:
        try:
            return ModelSigningSigner(None, _password(), pem=settings.REGISTRY_SIGNING_KEY_PEM.encode())
        except keys.KeyFileError as exc:
            raise SigningUnavailable(f"the registry signing key cannot be used: {exc}") from exc
    path = Path(path or settings.REGISTRY_SIGNING_KEY_PATH)
    if not path.exists():
        if not settings.REGISTRY_SIGNING_KEY_AUTOCREATE:
            raise SigningUnavailable(
                f"the registry signing key {path} does not exist: create it with "
                "`manage.py create_signing_key`, point REGISTRY_SIGNING_KEY_PATH at the key file, "
                "or give the key in REGISTRY_SIGNING_KEY_PEM"
            )
        try:
            keys.write_private_key(path, keys.generate_private_key_pem())
            logger.warning("created a new registry signing key at %s", path)
        except FileExistsError:
            pass  # another process created it a moment ago: use theirs
    try:
        return ModelSigningSigner(path, _password())
    except keys.KeyFileError as exc:
        raise SigningUnavailable(f"the registry signing key cannot be used: {exc}") from exc


def active_signer() -> tuple[Signer, SigningKey]:
    """The configured key's signer and its published record, registering (activating) a new key."""
    signer = load_signer()
    record = SigningKey.objects.filter(hint=signer.key_hint).first()
    if record is not None and record.status == SigningKey.Status.ACTIVE:
        return signer, record
    if record is not None and record.status in (SigningKey.Status.RETIRED, SigningKey.Status.REVOKED):
        when = record.revoked_at or record.not_after
        raise SigningUnavailable(
            f"the configured signing key {signer.key_hint[:16]}… is {record.status}"
            + (f" since {when:%Y-%m-%d %H:%M} UTC" if when else "")
            + ": configure the current key, or create a new one with `manage.py create_signing_key --rotate`"
        )
    return signer, activate_key(signer.key_hint, signer.public_key_pem, signer.algorithm)


def publish_key(hint: str, public_key_pem: bytes, algorithm: str) -> SigningKey:
    """Publish a public key before it signs anything (status pending), so clients can pin it early."""
    record, created = SigningKey.objects.get_or_create(
        hint=hint, defaults={"public_key_pem": public_key_pem.decode(), "algorithm": algorithm}
    )
    if created:
        AuditEvent.record("signing_key.published", key=hint)
    return record


def activate_key(hint: str, public_key_pem: bytes, algorithm: str, *, actor=None) -> SigningKey:
    """Make `hint` the key that signs new versions; the previous active key retires. Idempotent."""
    for _ in range(3):  # two workers meeting a new key at once: one inserts, the other re-reads
        try:
            with transaction.atomic():
                now = timezone.now()
                previous = list(
                    SigningKey.objects.select_for_update().filter(status=SigningKey.Status.ACTIVE)
                )
                record = publish_key(hint, public_key_pem, algorithm)
                record = SigningKey.objects.select_for_update().get(pk=record.pk)
                if record.status == SigningKey.Status.ACTIVE:
                    return record
                if record.status != SigningKey.Status.PENDING:
                    raise SigningUnavailable(
                        f"signing key {hint[:16]}… is {record.status} and cannot sign again"
                    )
                for old in previous:
                    old.status, old.not_after = SigningKey.Status.RETIRED, now
                    old.save(update_fields=["status", "not_after"])
                record.status, record.not_before = SigningKey.Status.ACTIVE, now
                record.save(update_fields=["status", "not_before"])
                AuditEvent.record(
                    "signing_key.activated", actor=actor, key=hint, retired=[old.hint for old in previous]
                )
                return record
        except IntegrityError:
            continue
    raise SigningUnavailable(f"could not activate signing key {hint[:16]}…: concurrent changes")


def create_registry_key(*, path: Path | None = None, rotate: bool = False, actor=None) -> SigningKey:
    """Write a new P-256 key to `path` (default: the configured one) and publish it.

    With `rotate` the file is replaced and the new key signs from now on (the old one retires; old
    signatures stay valid). Without it an existing file is an error; the new key is active when
    none is, else pending until the signer is configured with it.
    """
    path = Path(path or settings.REGISTRY_SIGNING_KEY_PATH)
    if path.exists() and not rotate:
        raise Conflict(f"{path} already exists; use --rotate to replace it with a new key")
    info = keys.write_private_key(path, keys.generate_private_key_pem(), replace=rotate)
    if rotate or not SigningKey.objects.filter(status=SigningKey.Status.ACTIVE).exists():
        return activate_key(info.hint, info.pem, info.algorithm, actor=actor)
    return publish_key(info.hint, info.pem, info.algorithm)


def find_key(hint_prefix: str) -> SigningKey:
    prefix = hint_prefix.strip().lower()
    if len(prefix) < 8:
        raise InvalidInput("give at least 8 hex characters of the key hint")
    matches = list(SigningKey.objects.filter(hint__startswith=prefix)[:2])
    if not matches:
        raise NotFound(f"no registry signing key has a hint starting with {prefix}")
    if len(matches) > 1:
        raise InvalidInput(f"{prefix} matches several keys; give more of the hint")
    return matches[0]


def versions_signed_with(key: SigningKey) -> QuerySet[Version]:
    """Versions whose current registry signature was made with `key`."""
    return Version.objects.filter(
        signatures__kind=Kind.REGISTRY, signatures__is_current=True, signatures__registry_key=key
    ).select_related("repository__namespace")


@transaction.atomic
def revoke_registry_key(*, key: SigningKey, reason: str, actor=None) -> list[Version]:
    """Mark a (compromised) key revoked: clients must refuse it. Returns the versions it signed,
    each marked by an audit event; `reissue_signature` gives them a new signature."""
    if not reason.strip():
        raise InvalidInput("say why the key is revoked (clients are shown the reason)")
    key = SigningKey.objects.select_for_update().get(pk=key.pk)
    now = timezone.now()
    if key.status != SigningKey.Status.REVOKED:
        key.status, key.revoked_at, key.revocation_reason = SigningKey.Status.REVOKED, now, reason.strip()
        key.not_after = key.not_after or now
        key.save(update_fields=["status", "revoked_at", "revocation_reason", "not_after"])
        AuditEvent.record("signing_key.revoked", actor=actor, key=key.hint, reason=key.revocation_reason)
    affected = list(versions_signed_with(key))
    for version in affected:
        AuditEvent.record("signature.key_revoked", actor=actor, version=version, key=key.hint)
    return affected


# --- publishers' keys --------------------------------------------------------------------------


def _require_publisher_admin(publisher: Publisher, actor: AbstractBaseUser | None, moderator: bool) -> None:
    if actor is None or moderator or actor.is_superuser:
        return
    role = Membership.objects.filter(publisher=publisher, user=actor).values_list("role", flat=True).first()
    if role not in (Membership.Role.OWNER, Membership.Role.MAINTAINER):
        raise PermissionDenied(
            f"You need the owner or maintainer role in {publisher.slug} to manage its keys."
        )


def register_publisher_key(
    *,
    publisher: Publisher,
    public_key_pem: str | bytes,
    actor: AbstractBaseUser | None,
    name: str = "",
    moderator: bool = False,
) -> PublisherKey:
    """Register a public key whose signatures on uploads to `publisher` are verified and shown.

    The actor needs the owner or maintainer role in the publisher, unless acting as a moderator
    (the admin site, whose own permissions apply)."""
    _require_publisher_admin(publisher, actor, moderator)
    try:
        info = keys.public_key_info(public_key_pem)
    except keys.KeyFileError as exc:
        raise InvalidInput(f"publisher key: {exc}") from exc
    key, created = PublisherKey.objects.get_or_create(
        publisher=publisher,
        hint=info.hint,
        defaults={
            "name": name[:100],
            "algorithm": info.algorithm,
            "public_key_pem": info.pem.decode(),
            "created_by": actor if actor is not None and actor.is_authenticated else None,
        },
    )
    if not created and key.is_revoked:
        raise Conflict(f"key {info.hint[:16]}… was revoked for {publisher.slug}; generate a new key pair")
    if created:
        AuditEvent.record("publisher_key.registered", actor=actor, publisher=publisher.slug, key=info.hint)
    return key


def revoke_publisher_key(
    *, key: PublisherKey, actor: AbstractBaseUser | None, moderator: bool = False
) -> PublisherKey:
    """Stop accepting a publisher key for new uploads; versions it signed keep their record."""
    _require_publisher_admin(key.publisher, actor, moderator)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        AuditEvent.record("publisher_key.revoked", actor=actor, publisher=key.publisher.slug, key=key.hint)
    return key


# --- signing a version -------------------------------------------------------------------------


def current_signature(version: Version, kind: str = Kind.REGISTRY) -> VersionSignature | None:
    return current_signatures(version).get(kind)


def current_signatures(version: Version) -> dict[str, VersionSignature]:
    """The version's current signature of each kind (registry, publisher), in one query."""
    return {
        signature.kind: signature
        for signature in VersionSignature.objects.select_related("registry_key", "publisher_key").filter(
            version=version, is_current=True
        )
    }


def require_signature(version: Version) -> None:
    """Publication's precondition: the version carries a current registry signature as model.sig."""
    signature = current_signature(version)
    served = version.files.filter(path=SIGNATURE_PATH).values_list("sha256", flat=True).first()
    if signature is None or served != signature.bundle_sha256:
        raise IngestError(
            f"version {version.pk} is not signed yet; it is published once the registry signs it"
        )


def enqueue_signing(version: Version) -> None:
    """Queue sign-then-publish once the current transaction commits (asynchronous flows)."""
    from registry.tasks import sign_version_task

    transaction.on_commit(lambda: sign_version_task.delay(version.pk))


def sign_version(*, version: Version) -> VersionSignature:
    """Sign a verified draft (see the module docstring). Idempotent; a refusal marks the draft failed."""
    from registry.services import ingest

    version = Version.objects.select_related("repository__namespace").get(pk=version.pk)
    if version.is_published:
        signature = current_signature(version)
        if signature is None:
            raise IngestError(f"{version} is published without a signature")
        return signature
    if version.status != Version.Status.VERIFYING:
        raise IngestError(f"version {version.pk} is {version.status}; only a verified version is signed")
    try:
        return _sign(version)
    except IngestError as exc:
        ingest.mark_failed(version, exc.message)
        raise


def _stored_bytes(file: VersionFile) -> bytes:
    if file.size > MAX_BUNDLE_SIZE:
        raise InvalidPublisherSignature(
            f"{file.size} bytes is far too large for a signature bundle", path=SIGNATURE_PATH
        )
    return b"".join(get_store().iter_chunks(file.blob.storage_key))


def _digests(files: list[VersionFile]) -> dict[str, str]:
    return {f.path: f.sha256 for f in files if f.path != SIGNATURE_PATH}


def _sign(version: Version) -> VersionSignature:
    files = list(version.files.select_related("blob"))
    digests = _digests(files)
    uploaded = next((f for f in files if f.path == SIGNATURE_PATH), None)
    signer, key = active_signer()
    existing = current_signature(version)
    if (
        existing is not None
        and uploaded is not None
        and uploaded.sha256 == existing.bundle_sha256
        and existing.registry_key_id == key.pk
        and existing.root_digest == SignedManifest(existing.subject_name, digests).root_digest()
    ):
        return existing  # signed already, by this key, over these files

    # The publisher's bundle: a newly uploaded model.sig, or the one recorded when this draft was
    # signed before (its files may have changed since): checked against the files as they are now.
    if uploaded is not None and (existing is None or uploaded.sha256 != existing.bundle_sha256):
        publisher_bundle = _stored_bytes(uploaded)
    else:
        previous = current_signature(version, Kind.PUBLISHER)
        publisher_bundle = previous.bundle.encode() if previous else None
    publisher_signature = (
        _check_uploaded_signature(version, publisher_bundle, digests) if publisher_bundle else None
    )

    commit = version.commit_id or _new_commit_id(version)
    manifest = SignedManifest(name=f"{version.repository.repo_id}@{commit}", sha256_by_path=digests)
    bundle, info = _make_bundle(signer, manifest)
    blob = _store_bundle(bundle)

    with transaction.atomic():
        locked = Version.objects.select_for_update().get(pk=version.pk)
        if locked.status != Version.Status.VERIFYING:
            raise IngestError(f"version {version.pk} became {locked.status} while it was being signed")
        now = timezone.now()
        VersionSignature.objects.filter(version=version, is_current=True).update(
            is_current=False, superseded_at=now, superseded_reason="the draft was signed again"
        )
        VersionFile.objects.update_or_create(
            version=version,
            path=SIGNATURE_PATH,
            defaults={
                "size": blob.size,
                "sha256": blob.sha256,
                "blob": blob,
                "is_lfs": False,
                "git_oid": blob.git_sha1,
            },
        )
        publisher_key = None
        if publisher_signature is not None:
            publisher_key, publisher_bundle, publisher_info = publisher_signature
            _record(
                version, Kind.PUBLISHER, publisher_bundle, publisher_info, now, publisher_key=publisher_key
            )
        locked.commit_id, locked.publisher_key = commit, publisher_key
        locked.save(update_fields=["commit_id", "publisher_key"])
        signature = _record(version, Kind.REGISTRY, bundle, info, now, registry_key=key)
        AuditEvent.record(
            "version.signed",
            version=locked,
            key=key.hint,
            root_digest=info.root_digest,
            publisher_key=publisher_key.hint if publisher_key else None,
        )
    return signature


def _new_commit_id(version: Version) -> str:
    """The commit id, chosen now because the signature names it (publication keeps it)."""
    from registry.services import ingest

    head = Ref.objects.filter(repository_id=version.repository_id, name=version.target_branch).first()
    return ingest._commit_id(version, head.version if head else None)


def _make_bundle(signer: Signer, manifest: SignedManifest) -> tuple[bytes, BundleInfo]:
    from registry.signing import ossf

    bundle = signer.sign(manifest)
    try:  # what we serve must verify with the key we publish: a cheap check (~1 ms)
        info = ossf.verify_bundle(bundle, manifest, signer.public_key_pem)
    except SignatureMismatch as exc:
        raise SigningUnavailable(
            f"the new signature does not verify ({exc}); the key changed while signing?"
        ) from exc
    return bundle, info


def _store_bundle(bundle: bytes) -> Blob:
    """Store the signature as a content-addressed blob, checked back from storage like any file."""
    sha256 = hashlib.sha256(bundle).hexdigest()
    key, store = blob_key(sha256), get_store()
    existing = Blob.objects.filter(sha256=sha256, verified_at__isnull=False).first()
    if existing is not None:
        return existing
    store.put_bytes(key, bundle, content_type="application/json")
    if hashlib.sha256(b"".join(store.iter_chunks(key))).hexdigest() != sha256:
        raise SigningUnavailable("the stored signature does not read back intact; storage is misbehaving")
    blob, _ = Blob.objects.update_or_create(
        sha256=sha256,
        defaults={
            "size": len(bundle),
            "storage_key": key,
            "verified_at": timezone.now(),
            "git_sha1": git_blob_sha1(bundle),
        },
    )
    return blob


def _record(
    version: Version,
    kind: str,
    bundle: bytes,
    info: BundleInfo,
    at: datetime,
    *,
    registry_key: SigningKey | None = None,
    publisher_key: PublisherKey | None = None,
) -> VersionSignature:
    return VersionSignature.objects.create(
        version=version,
        kind=kind,
        registry_key=registry_key,
        publisher_key=publisher_key,
        key_hint=info.key_hint,
        bundle=bundle.decode(),
        bundle_sha256=hashlib.sha256(bundle).hexdigest(),
        root_digest=info.root_digest,
        subject_name=info.subject_name[:300],
        file_count=len(info.sha256_by_path),
        signed_at=at,
    )


def _check_uploaded_signature(
    version: Version, data: bytes, digests: dict[str, str]
) -> tuple[PublisherKey, bytes, BundleInfo] | None:
    """An uploaded model.sig: None for a copy of ours (replaced), else the verified publisher signature."""
    from registry.signing import ossf

    publisher = version.repository.namespace
    try:
        claimed = parse_bundle(data)
    except BundleError as exc:
        raise InvalidPublisherSignature(
            f"{exc}. The registry signs every version itself; an uploaded model.sig must be the "
            "publisher's model-signing bundle (`model_signing sign key DIR --signature DIR/model.sig "
            "--private_key KEY`)",
            path=SIGNATURE_PATH,
        ) from exc
    if SigningKey.objects.filter(hint=claimed.key_hint).exists():
        return None  # our own signature of another version: it is replaced by this version's
    key = PublisherKey.objects.filter(publisher=publisher, hint=claimed.key_hint).first()
    if key is None:
        raise InvalidPublisherSignature(
            f"signed with key {claimed.key_hint[:16] or '(none)'}…, which is not registered for publisher "
            f"{publisher.slug}: register its public key first, or leave model.sig out",
            path=SIGNATURE_PATH,
        )
    if key.is_revoked:
        raise InvalidPublisherSignature(
            f"signed with key {key.name or key.hint[:16]}, revoked for {publisher.slug} on "
            f"{key.revoked_at:%Y-%m-%d}; sign with a current key",
            path=SIGNATURE_PATH,
        )
    if (claimed.method, claimed.hash_type) != ("files", "sha256"):
        raise InvalidPublisherSignature(
            f"uses {claimed.method}/{claimed.hash_type} serialization; only files/sha256 can be checked "
            "against the digests the registry computes (the model_signing CLI default)",
            path=SIGNATURE_PATH,
        )
    hidden = sorted(set(claimed.ignore_paths) - set(SIGNED_IGNORES))
    if hidden:
        raise InvalidPublisherSignature(
            f"leaves files out of the signature ({', '.join(hidden)}); "
            f"only {', '.join(SIGNED_IGNORES)} may be left out",
            path=SIGNATURE_PATH,
        )
    # What the stock verifier would see on disk: every uploaded file but the bundle's ignored paths.
    actual = SignedManifest(
        name="upload", sha256_by_path=digests, ignores=(*claimed.ignore_paths, *GIT_PATHS, SIGNATURE_PATH)
    )
    try:
        info = ossf.verify_bundle(data, actual, key.public_key_pem.encode())
    except SignatureMismatch as exc:
        raise InvalidPublisherSignature(
            f"the publisher signature (key {key.name or key.hint[:16]}) does not match "
            f"the uploaded files: {exc}",
            path=SIGNATURE_PATH,
        ) from exc
    return key, data, info


# --- re-issuing after a key compromise ---------------------------------------------------------


def reissue_signature(*, version: Version, reason: str, actor=None) -> VersionSignature:
    """Sign a published version again with the active key, keeping the old bundle on record.

    The one audited exception to immutability: the version's files and digests stay as they
    are, only its `model.sig` is replaced (after the key that signed it was revoked).
    """
    if not version.is_published:
        raise InvalidInput(f"{version} is not published; drafts are signed by the ingest pipeline")
    old = current_signature(version)
    signer, key = active_signer()
    if old is not None and old.registry_key_id == key.pk:
        return old
    files = list(version.files.select_related("blob"))
    name = old.subject_name if old else f"{version.repository.repo_id}@{version.commit_id}"
    bundle, info = _make_bundle(signer, SignedManifest(name=name, sha256_by_path=_digests(files)))
    blob = _store_bundle(bundle)
    with transaction.atomic():
        now = timezone.now()
        if old is not None:
            VersionSignature.objects.filter(pk=old.pk).update(
                is_current=False, superseded_at=now, superseded_reason=reason[:1000]
            )
        # Queryset update: VersionFile.save refuses any change to a published version, on purpose.
        VersionFile.objects.filter(version=version, path=SIGNATURE_PATH).update(
            size=blob.size, sha256=blob.sha256, blob=blob, git_oid=blob.git_sha1
        )
        signature = _record(version, Kind.REGISTRY, bundle, info, now, registry_key=key)
        AuditEvent.record(
            "signature.reissued",
            actor=actor,
            version=version,
            reason=reason,
            key=key.hint,
            previous_key=old.key_hint if old else None,
            previous_bundle_sha256=old.bundle_sha256 if old else None,
        )
        webhook_events.emit_for_version("signature.reissued", version, reason=reason, key=key.hint)
    return signature


# --- reading -----------------------------------------------------------------------------------


def describe(signature: VersionSignature) -> dict:
    """A signature as the APIs and pages show it."""
    key = signature.registry_key or signature.publisher_key
    if signature.kind == Kind.REGISTRY:
        key_status = key.status
    else:
        key_status = "revoked" if key.is_revoked else "registered"
    return {
        "id": signature.pk,
        "kind": signature.kind,
        "key_hint": signature.key_hint,
        "key_status": key_status,
        "key_name": getattr(key, "name", "") or "",
        "subject": signature.subject_name,
        "root_digest": signature.root_digest,
        "file_count": signature.file_count,
        "signed_at": signature.signed_at,
        "bundle_sha256": signature.bundle_sha256,
        "is_current": signature.is_current,
        "superseded_at": signature.superseded_at,
        "superseded_reason": signature.superseded_reason,
    }


def verification_context(version: Version | None, request) -> dict:
    """Context for the `registry/verify_snippet.html` include: how to verify this version."""
    context = {"registry_url": request.build_absolute_uri("/").rstrip("/")}
    if version is not None and version.is_published:
        signatures = current_signatures(version)
        signature = signatures.get(Kind.REGISTRY)
        context.update(
            repo_id=version.repository.repo_id,
            commit=version.commit_id,
            key_hint=signature.key_hint if signature else "",
            signed_by_registry=signature,
            signed_by_publisher=signatures.get(Kind.PUBLISHER),
        )
    return context
