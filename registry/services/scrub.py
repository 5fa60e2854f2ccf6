"""Tamper detection: re-hash stored blobs and block the versions whose bytes changed.

A periodic task (Celery beat, settings.REGISTRY_SCRUB_*) streams the least recently checked
blobs of published versions from S3, at a bounded rate and up to a byte budget per run, and
compares each sha256 and size with what was recorded when it was first verified. A mismatch or a
missing object marks every published version holding the blob compromised (pulls answer 410, see
`access.require_intact`), writes audit events and emails the publisher's owners and maintainers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from registry.errors import StorageUnavailable
from registry.hashing import digest_chunks
from registry.models import AuditEvent, Blob, Membership, Version
from registry.storage import get_store
from registry.webhooks import events as webhook_events

logger = logging.getLogger(__name__)

BATCH = 50
MAX_CONSECUTIVE_ERRORS = 3  # storage unreachable: stop the run, the next one resumes


@dataclass
class ScrubReport:
    checked: int = 0
    bytes_read: int = 0
    corrupted: list[str] = field(default_factory=list)  # sha256 of blobs that failed
    compromised_versions: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # blobs left for the next run (storage errors)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


class Throttle:
    """Sleeps just enough to keep a byte stream under `bytes_per_second` (0 or None: no limit)."""

    def __init__(
        self,
        bytes_per_second: int | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.rate, self.clock, self.sleep = bytes_per_second or 0, clock, sleep
        self.started, self.total = clock(), 0

    def __call__(self, n: int) -> None:
        self.total += n
        if self.rate > 0:
            ahead = self.total / self.rate - (self.clock() - self.started)
            if ahead > 0:
                self.sleep(ahead)


def scrub_blobs(
    *,
    max_bytes: int | None = None,
    bytes_per_second: int | None = None,
    throttle: Throttle | None = None,
) -> ScrubReport:
    """Check blobs of published versions, least recently verified first, within the byte budget."""
    budget = settings.REGISTRY_SCRUB_MAX_BYTES_PER_RUN if max_bytes is None else max_bytes
    rate = settings.REGISTRY_SCRUB_BYTES_PER_SECOND if bytes_per_second is None else bytes_per_second
    throttle = throttle or Throttle(rate)
    report, started, errors_in_a_row = ScrubReport(), timezone.now(), 0
    clock = time.monotonic()
    due = (
        Blob.objects.filter(verified_at__lt=started, files__version__status=Version.Status.PUBLISHED)
        .distinct()
        .order_by("verified_at", "sha256")
    )
    skipped: set[str] = set()
    while budget <= 0 or report.bytes_read < budget:
        batch = list(due.exclude(sha256__in=skipped)[:BATCH])
        if not batch:
            break
        for blob in batch:
            if budget > 0 and report.bytes_read >= budget:
                break
            try:
                problem, read = check_blob(blob, throttle)
            except StorageUnavailable as exc:
                skipped.add(blob.sha256)
                report.errors.append(f"{blob.sha256}: {exc.message}")
                errors_in_a_row += 1
                if errors_in_a_row >= MAX_CONSECUTIVE_ERRORS:
                    logger.warning("scrub stopped: storage keeps failing (%s)", exc.message)
                    report.seconds = time.monotonic() - clock
                    return report
                continue
            errors_in_a_row = 0
            report.checked += 1
            report.bytes_read += read
            if problem is None:
                Blob.objects.filter(pk=blob.pk).update(verified_at=timezone.now())
            else:
                skipped.add(blob.sha256)
                report.corrupted.append(blob.sha256)
                report.compromised_versions += [v.pk for v in mark_compromised(blob, problem)]
    report.seconds = time.monotonic() - clock
    logger.info(
        "scrub: %d blobs, %d bytes, %d corrupted in %.1fs",
        report.checked,
        report.bytes_read,
        len(report.corrupted),
        report.seconds,
    )
    return report


def check_blob(blob: Blob, throttle: Throttle | None = None) -> tuple[str | None, int]:
    """(what is wrong with the stored object or None, bytes read). Streams; memory stays flat."""
    store = get_store()
    info = store.head(blob.storage_key)
    if info is None:
        return f"the stored object {blob.storage_key} is missing", 0
    if info.size != blob.size:
        return f"the stored object holds {info.size} bytes, {blob.size} were recorded", 0
    digest = digest_chunks(store.iter_chunks(blob.storage_key), progress=throttle)
    if digest.sha256 != blob.sha256:
        return f"the stored bytes hash to sha256 {digest.sha256}, not the recorded {blob.sha256}", digest.size
    return None, digest.size


def mark_compromised(blob: Blob, problem: str) -> list[Version]:
    """Block every published version holding `blob`; audit and notify. Returns the newly marked ones."""
    now = timezone.now()
    marked = []
    with transaction.atomic():
        # Unverified: never deduplicated onto again, so the next upload of these bytes re-stores them.
        Blob.objects.filter(pk=blob.pk).update(verified_at=None)
        holding = Version.objects.filter(
            files__blob=blob, status=Version.Status.PUBLISHED, compromised_at__isnull=True
        ).values("pk")
        for version in Version.objects.select_for_update().filter(pk__in=holding).order_by("pk"):
            paths = sorted(version.files.filter(blob=blob).values_list("path", flat=True))
            version.compromised_at = now
            version.compromise_reason = (
                f"{', '.join(paths)}: {problem} (found by the integrity scrub on {now:%Y-%m-%d %H:%M} UTC)"
            )
            version.save(update_fields=["compromised_at", "compromise_reason"])
            marked.append(version)
        AuditEvent.record(
            "blob.corrupted", sha256=blob.sha256, problem=problem, versions=[v.pk for v in marked]
        )
    for version in marked:
        recipients = notify_publisher(version)
        AuditEvent.record(
            "version.compromised",
            version=version,
            sha256=blob.sha256,
            reason=version.compromise_reason,
            notified=recipients,
        )
        webhook_events.emit_for_version("tamper.detected", version, sha256=blob.sha256, reason=problem)
    return marked


def notify_publisher(version: Version) -> list[str]:
    """Email the publisher's owners and maintainers (and REGISTRY_SECURITY_EMAILS). Never raises."""
    repository = version.repository
    publisher = repository.namespace
    emails = set(
        Membership.objects.filter(
            publisher=publisher, role__in=[Membership.Role.OWNER, Membership.Role.MAINTAINER]
        )
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    if publisher.user_id and publisher.user.email:
        emails.add(publisher.user.email)
    recipients = sorted(emails | set(settings.REGISTRY_SECURITY_EMAILS))
    if not recipients:
        logger.warning("nobody to notify about compromised %s", version)
        return []
    subject = f"[SLM Registry] {repository.repo_id}@{version.commit_id[:12]} blocked: a stored file changed"
    body = (
        f"The integrity scrub found that a stored file of {repository.repo_id} no longer matches "
        f"the digest recorded when revision {version.commit_id} was published:\n\n"
        f"    {version.compromise_reason}\n\n"
        "Downloads of this revision are blocked. Other revisions are not affected unless they share "
        "the file. Publish a new version from your own copy of the files (identical bytes are "
        "stored again and checked), and tell your users which revision to use.\n"
    )
    try:
        send_mail(subject, body, None, recipients)
    except Exception:  # a mail outage must not undo the blocking
        logger.exception("could not email %s about compromised %s", recipients, version)
        return []
    return recipients
