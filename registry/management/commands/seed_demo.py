"""`seed_demo`: build small real models offline and publish the demo catalog (skips what exists)."""

from django.core.management.base import BaseCommand

from registry.demo.catalog import seed_catalog


class Command(BaseCommand):
    help = "Publish the demo catalog: tiny real models for retail, finance and healthcare, built offline."

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, no_progress, **opts):
        published = seed_catalog(log=self.stdout.write, show_progress=not no_progress)
        self.stdout.write(self.style.SUCCESS(f"Demo catalog ready ({published} versions published now)."))
