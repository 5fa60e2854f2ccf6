"""`manage.py rerun_evaluations`: queue evaluations whose evaluator version changed (or any, with --all)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from evaluators import services
from evaluators.plugins import UnknownEvaluator, get_plugin
from registry.errors import RegistryError
from registry.models import Version
from registry.services.repositories import get_repository


class Command(BaseCommand):
    help = (
        "Queue evaluation runs for published versions that have no result from the current version "
        "of an evaluator (after an evaluator's method changed). --all re-runs everything selected."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--evaluator", action="append", dest="evaluators", help="only this evaluator (repeatable)"
        )
        parser.add_argument("--repo", help="only versions of NAMESPACE/NAME")
        parser.add_argument("--all", action="store_true", help="re-run even results that are up to date")
        parser.add_argument(
            "--inline", action="store_true", help="run here and now instead of queueing (no worker needed)"
        )

    def handle(self, *args, evaluators=None, repo=None, all=False, inline=False, **options) -> None:
        try:
            for name in evaluators or []:
                get_plugin(name)
            repository = get_repository(repo) if repo else None
        except (UnknownEvaluator, RegistryError) as exc:
            raise CommandError(getattr(exc, "message", str(exc))) from exc
        if all:
            versions = Version.objects.published().order_by("pk")
            if repository is not None:
                versions = versions.filter(repository=repository)
            selected = [(version, evaluators) for version in versions]
        else:
            selected = [
                (version, names)
                for version, names in services.stale_versions(evaluators=evaluators)
                if repository is None or version.repository_id == repository.pk
            ]
        queued = []
        for version, names in selected:
            queued += services.request_rerun(
                versions=[version], evaluators=names, force=all, enqueue=not inline
            )
        self.stdout.write(f"queued {len(queued)} evaluation run(s) for {len(selected)} version(s)")
        if inline:
            for run in queued:
                done = services.execute_run(run_id=run.pk)
                if done is not None:
                    self.stdout.write(f"  {done.version} {done.evaluator}: {done.status} {done.reason[:120]}")
