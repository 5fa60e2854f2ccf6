"""`publish_model PATH --repo NAMESPACE/NAME`: publish a local folder through the ingest pipeline."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from registry.errors import RegistryError
from registry.management.progress import byte_progress
from registry.models import ModelRepository
from registry.models.repositories import Industry
from registry.services import folders, repositories


class Command(BaseCommand):
    requires_system_checks = []  # start-up time counts in publishing; `manage.py check` runs them
    help = "Publish a local Hugging Face-layout folder (weights, config, tokenizer, card) as a new version."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--repo", required=True, help="NAMESPACE/NAME; created if missing")
        parser.add_argument("--industry", choices=Industry.values)
        parser.add_argument("--task", help="pipeline tag, e.g. text-generation")
        parser.add_argument("--private", action="store_true", help="only members of the namespace see it")
        parser.add_argument("--gated", choices=["auto", "manual"], help="require accepting license terms")
        parser.add_argument("--revision-tag", help="also tag the new version with this name")
        parser.add_argument("--branch", default="main")
        parser.add_argument("--message", default="")
        parser.add_argument("--user", help="username recorded as the author (and namespace owner)")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **opts):
        actor = self._user(opts["user"])
        try:
            repository = self._repository(opts, actor)
            version = folders.publish_folder(
                folder=opts["path"],
                repository=repository,
                actor=actor,
                message=opts["message"],
                branch=opts["branch"],
                progress=byte_progress(stream=self.stderr._out, disable=opts["no_progress"]),
            )
            if opts["revision_tag"]:
                repositories.create_tag(
                    repository=repository, name=opts["revision_tag"], version=version, actor=actor
                )
        except RegistryError as exc:
            raise CommandError(f"{opts['repo']}: not published: {exc.message}") from exc
        params = f", {version.parameter_count:,} parameters" if version.parameter_count else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Published {repository.repo_id}@{version.commit_id} "
                f"({version.files.count()} files, {version.total_size:,} bytes{params})"
            )
        )

    @staticmethod
    def _user(username):
        if not username:
            return None
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"user {username!r} does not exist") from None

    @staticmethod
    def _repository(opts, actor) -> ModelRepository:
        namespace, name = repositories.split_repo_id(opts["repo"])
        visibility = (
            ModelRepository.Visibility.PRIVATE if opts["private"] else ModelRepository.Visibility.PUBLIC
        )
        gating = opts["gated"] or ModelRepository.Gating.NONE
        existing = ModelRepository.objects.filter(namespace__slug=namespace, name=name).first()
        if existing is not None:
            return repositories.update_repository(
                repository=existing,
                actor=actor,
                industry=opts["industry"],
                task=opts["task"],
                visibility=visibility if opts["private"] else None,
                gating=opts["gated"],
            )
        publisher = repositories.ensure_publisher(slug=namespace, owner=actor)
        return repositories.create_repository(
            namespace=publisher,
            name=name,
            actor=actor,
            industry=opts["industry"] or Industry.GENERAL,
            task=opts["task"] or "",
            visibility=visibility,
            gating=gating,
        )
