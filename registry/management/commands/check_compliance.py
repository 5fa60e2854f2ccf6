"""`check_compliance [--all] [--repo NAMESPACE/NAME]`: compute the compliance checks of published versions.

Ingest checks every new version. Run this after an upgrade that changed the rules (or added them:
versions published before have no check), or after a parent model's license changed.
"""

from django.core.management.base import BaseCommand, CommandError

from registry.compliance.assessment import RULES_VERSION
from registry.errors import RegistryError
from registry.models import Version
from registry.services import compliance, repositories


class Command(BaseCommand):
    help = "Compute the license, lineage and compliance checks of published versions that lack them."

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", help="re-check every version, not only unchecked ones"
        )
        parser.add_argument("--repo", metavar="NAMESPACE/NAME", help="only this repository's versions")

    def handle(self, *args, repo, **opts):
        versions = Version.objects.published().select_related("repository__namespace").order_by("pk")
        if repo:
            try:
                versions = versions.filter(repository=repositories.get_repository(repo))
            except RegistryError as exc:
                raise CommandError(exc.message) from exc
        if not opts["all"]:  # `all` would shadow the builtin
            versions = versions.exclude(compliance_check__rules_version=RULES_VERSION)
        checked = 0
        for version in versions.iterator():
            name = f"{version.repository.repo_id}@{(version.commit_id or '')[:12]}"
            try:
                check = compliance.refresh_check(version=version)
            except RegistryError as exc:  # e.g. a card from before the answers were type-checked
                self.stderr.write(f"{name}: not checked: {exc.message}")
                continue
            checked += 1
            self.stdout.write(
                f"{name}: license {check.license_id or '?'}, {check.completeness}% complete, "
                f"{check.warning_count} warnings, {check.error_count} errors"
            )
        self.stdout.write(self.style.SUCCESS(f"checked {checked} version(s) with rules {RULES_VERSION}"))
