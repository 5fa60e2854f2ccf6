"""`scrub_blobs [--max-bytes N] [--rate BYTES_PER_SECOND]`: one integrity scrub run, now."""

from django.core.management.base import BaseCommand

from registry.services import scrub


class Command(BaseCommand):
    help = (
        "Re-hash stored blobs of published versions (least recently checked first) and block the "
        "versions whose bytes changed. Celery beat runs the same scrub every REGISTRY_SCRUB_INTERVAL."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--max-bytes", type=int, help="byte budget (default REGISTRY_SCRUB_MAX_BYTES_PER_RUN)"
        )
        parser.add_argument(
            "--rate", type=int, help="bytes per second (default REGISTRY_SCRUB_BYTES_PER_SECOND)"
        )

    def handle(self, *args, max_bytes, rate, **opts):
        report = scrub.scrub_blobs(max_bytes=max_bytes, bytes_per_second=rate)
        self.stdout.write(
            f"checked {report.checked} blobs ({report.bytes_read} bytes) in {report.seconds:.1f}s; "
            f"{len(report.corrupted)} corrupted, {len(report.compromised_versions)} version(s) blocked"
        )
        for line in report.errors:
            self.stderr.write(f"left for the next run: {line}")
