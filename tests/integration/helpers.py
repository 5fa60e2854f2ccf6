"""Shared steps of the integration tests: publishing through the real services."""

from pathlib import Path

from registry.models import ModelRepository
from registry.services import folders, repositories


def make_repository(repo_id: str, **options) -> ModelRepository:
    namespace, name = repositories.split_repo_id(repo_id)
    publisher = repositories.ensure_publisher(slug=namespace)
    return repositories.create_repository(namespace=publisher, name=name, actor=None, **options)


def publish(folder: Path, repo_id: str, **options):
    repository = ModelRepository.objects.filter(
        namespace__slug=repo_id.split("/")[0], name=repo_id.split("/")[1]
    ).first() or make_repository(repo_id, **options)
    return folders.publish_folder(folder=folder, repository=repository, actor=None)
