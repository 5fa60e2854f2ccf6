"""`create_signing_key [--path FILE] [--rotate]`: make the registry's ECDSA P-256 signing key."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from registry.errors import RegistryError
from registry.models import SigningKey
from registry.services import signing
from registry.signing import keys


class Command(BaseCommand):
    help = (
        "Create the registry's signing key (ECDSA P-256, PEM, mode 0400) and publish its public key. "
        "--rotate replaces the key file: the new key signs from now on, the old one retires and stays "
        "published, so versions it signed still verify."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--path", type=Path, help="where to write the private key (default: REGISTRY_SIGNING_KEY_PATH)"
        )
        parser.add_argument("--rotate", action="store_true", help="replace an existing key: a key rotation")

    def handle(self, *args, path, rotate, **opts):
        try:
            record = signing.create_registry_key(path=path, rotate=rotate)
        except (RegistryError, keys.KeyFileError, OSError) as exc:
            raise CommandError(getattr(exc, "message", None) or str(exc)) from exc
        written = path or settings.REGISTRY_SIGNING_KEY_PATH
        self.stdout.write(f"private key: {written}")
        self.stdout.write(f"public key:  {keys.public_key_path(Path(written))}")
        self.stdout.write(f"key hint:    {record.hint}")
        if record.status == SigningKey.Status.PENDING:
            self.stdout.write(
                "status:      pending (published; it signs once REGISTRY_SIGNING_KEY_PATH points at it)"
            )
        else:
            self.stdout.write(f"status:      {record.status}")
