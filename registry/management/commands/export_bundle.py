"""`export_bundle NAMESPACE/NAME[@REVISION]... --out FILE`: write an air-gapped bundle (a signed tar)."""

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from registry.bundles import exporting
from registry.errors import RegistryError
from registry.management.progress import byte_progress


class Command(BaseCommand):
    requires_system_checks = []  # start-up time counts for large transfers; `manage.py check` runs them
    help = (
        "Export published versions (files, cards, signatures, evaluation evidence, compliance reports) "
        "into one tar for a registry without network access; REVISION is a branch, tag or commit (main)."
    )

    def add_arguments(self, parser):
        parser.add_argument("versions", nargs="+", metavar="NAMESPACE/NAME[@REVISION]")
        parser.add_argument("--out", required=True, type=Path, help="the bundle file to write (.tar)")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **opts):
        out: Path = opts["out"]
        partial = out.with_name(out.name + ".partial")  # a failed export leaves no file that looks whole
        try:
            plan = exporting.plan_export(exporting.resolve_versions(opts["versions"]))
            progress = byte_progress(stream=self.stderr._out, disable=opts["no_progress"])
            with progress(f"export {out.name}", plan.blob_bytes) as update, open(partial, "wb") as handle:
                size = exporting.write_bundle(plan, handle, progress=update)
            os.replace(partial, out)
        except RegistryError as exc:
            partial.unlink(missing_ok=True)
            raise CommandError(f"not exported: {exc.message}") from exc
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        exporting.record_export(plan, actor=None, via="command")
        for version in plan.versions:
            self.stdout.write(f"  {version.repository.repo_id}@{version.commit_id}")
        self.stdout.write(
            self.style.SUCCESS(f"Exported {len(plan.versions)} version(s) to {out} ({size:,} bytes)")
        )
