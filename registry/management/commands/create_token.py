"""`create_token USERNAME --scope read|write`: print a new API token once (only its hash is kept)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from registry.models import ApiToken
from registry.services.tokens import create_token


class Command(BaseCommand):
    help = "Create an API token for a user and print it. It cannot be shown again."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--scope", choices=ApiToken.Scope.values, default=ApiToken.Scope.READ)
        parser.add_argument(
            "--expires", type=int, metavar="DAYS", help="expire after DAYS days (default: never)"
        )
        parser.add_argument("--name", default="", help="a label to recognise the token in lists")

    def handle(self, *args, username, scope, expires, name, **opts):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(
                f"user {username!r} does not exist (create it with `createsuperuser` or sign up)"
            )
        try:
            _, raw = create_token(user=user, scope=scope, name=name or "cli", expires_in_days=expires)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(raw)
