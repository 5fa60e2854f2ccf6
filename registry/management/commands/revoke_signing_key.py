"""`revoke_signing_key HINT --reason TEXT [--reissue]`: after a registry key compromise."""

from django.core.management.base import BaseCommand, CommandError

from registry.errors import RegistryError
from registry.services import signing


class Command(BaseCommand):
    help = (
        "Revoke a registry signing key (clients must then refuse its signatures) and list the versions "
        "it signed. --reissue signs them again with the active key, keeping the old bundles on record: "
        "create a new key first (create_signing_key --rotate) when the revoked key is the active one."
    )

    def add_arguments(self, parser):
        parser.add_argument("hint", help="the key's hint (sha256 of its public key), 8 characters or more")
        parser.add_argument("--reason", required=True, help="shown to clients that meet the key")
        parser.add_argument("--reissue", action="store_true", help="re-sign every version it signed")

    def handle(self, *args, hint, reason, reissue, **opts):
        try:
            key = signing.find_key(hint)
            affected = signing.revoke_registry_key(key=key, reason=reason)
            self.stdout.write(f"revoked {key.hint}; it signed {len(affected)} version(s)")
            for version in affected:
                line = f"  {version.repository.repo_id}@{version.commit_id}"
                if reissue:
                    new = signing.reissue_signature(
                        version=version, reason=f"key {key.hint} revoked: {reason}"
                    )
                    line += f" re-signed with {new.key_hint[:16]}…"
                self.stdout.write(line)
        except RegistryError as exc:
            raise CommandError(exc.message) from exc
