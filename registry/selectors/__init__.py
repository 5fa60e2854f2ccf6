"""Read-side queries shared by pages and APIs: model listing and search, one repository's files,
refs and history, and the results other apps (evaluators, compliance) provide.

Import the package (`from registry import selectors`); every public name is re-exported here.
"""

from .listing import (
    DEFAULT_BRANCH,
    MAX_PAGE_SIZE,
    MAX_SEARCH_WORDS,
    ROW_ANNOTATIONS,
    ROW_FIELDS,
    SEARCH_VECTOR_SQL,
    SORTS,
    ModelPage,
    ModelQuery,
    list_models,
    listed_repositories,
    listing_rows,
    search_filter,
    search_words,
    tags_by_type,
)
from .providers import compliance_findings, evaluation_results
from .repository import (
    card_of,
    commit_history,
    files_by_version,
    last_commits,
    list_publishers,
    list_versions,
    refs_of_version,
    repository_refs,
    repository_storage,
    safetensors_by_file,
    version_files,
)

__all__ = [
    "DEFAULT_BRANCH",
    "MAX_PAGE_SIZE",
    "MAX_SEARCH_WORDS",
    "ROW_ANNOTATIONS",
    "ROW_FIELDS",
    "SEARCH_VECTOR_SQL",
    "SORTS",
    "ModelPage",
    "ModelQuery",
    "card_of",
    "commit_history",
    "compliance_findings",
    "evaluation_results",
    "files_by_version",
    "last_commits",
    "list_models",
    "list_publishers",
    "list_versions",
    "listed_repositories",
    "listing_rows",
    "refs_of_version",
    "repository_refs",
    "repository_storage",
    "safetensors_by_file",
    "search_filter",
    "search_words",
    "tags_by_type",
    "version_files",
]
