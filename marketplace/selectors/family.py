"""A model's family: its base model, the variants derived from it (quantized, distilled,
fine-tuned, adapters, merges) and theirs, each with the figures a buyer weighs against each other.

The tree comes from `ModelRepository.base_model` (the default branch card's `base_model`, copied at
publication); the figures are the catalog's own columns for each member's default branch, so the
family panel, the catalog and the compare page agree. Members the caller may not see are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from registry.compliance.lineage import MAX_DEPTH
from registry.models import ModelRepository

from .catalog import catalog_rows

MAX_MEMBERS = 60  # a family larger than this is shown up to here, nearest generations first
FAMILY_FIELDS = (
    "pk",
    "namespace_slug",
    "name",
    "base_model",
    "base_model_relation",
    "kind",
    "parameter_count",
    "memory_footprint",
    "score",
)
RELATION_LABELS = dict(ModelRepository.Relation.choices)


@dataclass
class Member:
    repo_id: str
    depth: int  # 0 for the family's root
    relation: str = ""  # how it derives from its parent; "" for the root
    parent_id: str = ""
    in_registry: bool = True  # False: a base model named by a card but not listed here
    is_external: bool = False  # an external listing (API only, no weights here)
    is_current: bool = False  # the model whose page shows the family
    parameters: int | None = None
    dtype: str = ""
    memory: dict[str, int] = field(default_factory=dict)  # stored, bf16, int8, int4 (bytes)
    score: float | None = None

    @property
    def relation_label(self) -> str:
        return RELATION_LABELS.get(self.relation, self.relation)

    @property
    def url(self) -> str:
        return f"/{self.repo_id}" if self.in_registry else ""


@dataclass
class Family:
    root_id: str
    members: list[Member]  # depth-first from the root: each member follows its parent

    def smallest_scoring_at_least(self, min_score: float) -> Member | None:
        """The member with the smallest stored weights whose headline score is `min_score` or more."""
        candidates = [
            m for m in self.members if m.score is not None and m.score >= min_score and m.memory.get("stored")
        ]
        return min(candidates, key=lambda m: (m.memory["stored"], m.repo_id), default=None)


def family_of(*, repository: ModelRepository, user) -> Family | None:
    """The family `repository` belongs to, or None when it has neither a base model nor variants."""
    root_id, in_registry = _root(repository, user)
    ids_by_depth = [[root_id]]
    seen = {root_id}
    rows: dict[str, dict] = {}
    while len(ids_by_depth) <= MAX_DEPTH and len(seen) < MAX_MEMBERS:
        children = [
            row
            for row in catalog_rows(user)
            .filter(base_model__in=ids_by_depth[-1])
            .values(*FAMILY_FIELDS)
            .order_by("name")[:MAX_MEMBERS]
            if _repo_id(row) not in seen
        ]
        if not children:
            break
        for row in children:
            rows[_repo_id(row)] = row
            seen.add(_repo_id(row))
        ids_by_depth.append([_repo_id(row) for row in children])
    if len(seen) == 1:
        return None
    if in_registry:
        namespace, _, name = root_id.partition("/")
        root_row = catalog_rows(user).filter(namespace__slug=namespace, name=name).values(*FAMILY_FIELDS)
        rows.update({_repo_id(row): row for row in root_row})
    members = _tree(root_id, rows, current=repository.repo_id, root_in_registry=in_registry)
    return Family(root_id=root_id, members=members)


def _root(repository: ModelRepository, user) -> tuple[str, bool]:
    """The farthest ancestor reachable through base models: (its id, whether it is listed here)."""
    current, seen = repository, {repository.repo_id}
    for _ in range(MAX_DEPTH):
        parent_id = current.base_model
        if not parent_id or parent_id in seen:
            break
        namespace, _, name = parent_id.partition("/")
        parent = (
            ModelRepository.objects.visible_to(user)
            .select_related("namespace")
            .filter(namespace__slug=namespace, name=name, refs__name="main")
            .first()
        )
        if parent is None:
            return parent_id, False
        seen.add(parent_id)
        current = parent
    return current.repo_id, True


def _tree(root_id: str, rows: dict[str, dict], *, current: str, root_in_registry: bool) -> list[Member]:
    children: dict[str, list[str]] = {}
    for repo_id, row in rows.items():
        if repo_id != root_id:
            children.setdefault(row["base_model"], []).append(repo_id)
    members: list[Member] = []

    def visit(repo_id: str, depth: int, parent_id: str) -> None:
        row = rows.get(repo_id)
        members.append(_member(repo_id, row, depth=depth, parent_id=parent_id, current=current))
        for child in sorted(children.get(repo_id, []), key=lambda c: (rows[c]["base_model_relation"], c)):
            visit(child, depth + 1, repo_id)

    visit(root_id, 0, "")
    if not root_in_registry:
        members[0].in_registry = False
    return members


def _member(repo_id: str, row: dict | None, *, depth: int, parent_id: str, current: str) -> Member:
    if row is None:  # the root, named by a card but not listed here
        return Member(repo_id=repo_id, depth=depth, in_registry=False, is_current=repo_id == current)
    memory = row["memory_footprint"] or {}
    return Member(
        repo_id=repo_id,
        depth=depth,
        relation=row["base_model_relation"] if depth else "",
        parent_id=parent_id,
        is_external=row["kind"] == ModelRepository.Kind.EXTERNAL,
        is_current=repo_id == current,
        parameters=memory.get("parameters") or row["parameter_count"],
        dtype=str(memory.get("dtype", "")),
        memory={k: int(v) for k, v in memory.items() if k in ("stored", "bf16", "int8", "int4")},
        score=row["score"],
    )


def _repo_id(row: dict) -> str:
    return f"{row['namespace_slug']}/{row['name']}"
