"""`import_bundle FILE [--trusted-key PEM]...`: verify an air-gapped bundle completely, then import it."""

import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from registry.bundles import importing
from registry.errors import RegistryError
from registry.management.progress import byte_progress


class Command(BaseCommand):
    requires_system_checks = []  # start-up time counts for large transfers; `manage.py check` runs them
    help = (
        "Import a bundle made by export_bundle. Every signature and digest is checked before anything "
        "is visible; a bundle that fails any check is refused whole. Signatures must be made with a key "
        "this registry publishes, or with one given by --trusted-key (the exporting registry's public key)."
    )

    def add_arguments(self, parser):
        parser.add_argument("bundle", type=Path, help="the bundle file, or - for standard input")
        parser.add_argument(
            "--trusted-key",
            action="append",
            default=[],
            type=Path,
            help="PEM public key of the exporting registry (repeatable); compare its hint out of band",
        )
        parser.add_argument("--user", help="username recorded as the importer")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **opts):
        actor = None
        if opts["user"]:
            actor = get_user_model().objects.filter(username=opts["user"]).first()
            if actor is None:
                raise CommandError(f"user {opts['user']!r} does not exist")
        try:
            pems = [path.read_bytes() for path in opts["trusted_key"]]
        except OSError as exc:
            raise CommandError(f"cannot read trusted key: {exc}") from exc
        progress = byte_progress(stream=self.stderr._out, disable=opts["no_progress"])
        try:
            trusted = importing.trusted_keys(pems)
            if str(opts["bundle"]) == "-":
                result = importing.import_bundle(
                    stream=sys.stdin.buffer, actor=actor, trusted=trusted, progress_factory=progress
                )
            else:
                with open(opts["bundle"], "rb") as stream:
                    result = importing.import_bundle(
                        stream=stream, actor=actor, trusted=trusted, progress_factory=progress
                    )
        except OSError as exc:
            raise CommandError(f"{opts['bundle']}: {exc}") from exc
        except RegistryError as exc:
            raise CommandError(f"{opts['bundle']}: {exc.message}") from exc
        for version in result.versions:
            state = "imported" if version.created else "already present"
            self.stdout.write(f"  {version.repo_id}@{version.commit_id}: {state}")
        new = sum(v.created for v in result.versions)
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported bundle {result.bundle_id} (signed by key {result.signed_by[:16]}…): "
                f"{new} new version(s), {result.blob_bytes:,} bytes verified"
            )
        )
