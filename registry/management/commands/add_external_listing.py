"""`add_external_listing FILE...`: list API-only models (YAML or JSON files) in the catalog."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from registry.errors import RegistryError
from registry.services import external_listings


class Command(BaseCommand):
    requires_system_checks = []
    help = (
        "List models reachable only through their provider's API (no weights here) from YAML or JSON "
        "files: repo_id, provider, url, license (+ license_name/license_link for `other`), and optionally "
        "industry, task, description, tags, body, compliance answers and recorded evaluations."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)

    def handle(self, *args, **opts):
        specs = []
        for path in opts["files"]:  # every file is checked before anything is listed
            try:
                specs.append(external_listings.load_spec(path))
            except RegistryError as exc:
                raise CommandError(exc.message) from exc
        for spec in specs:
            try:
                version = external_listings.add_external_listing(spec=spec)
            except RegistryError as exc:
                raise CommandError(f"{spec.repo_id}: not listed: {exc.message}") from exc
            self.stdout.write(
                f"listed {spec.repo_id} ({spec.provider}, no weights here) at {version.commit_id[:12]}"
            )
