"""License lineage: a card's `base_model` names its parents; a derivative's license must honour theirs.

Pure logic: the registry lookup is passed in (`Lookup`), so the chain can be built from the
database (services.compliance) or from anything else in tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from . import licenses
from .findings import Finding, Severity
from .licenses import DerivativeTerms, License

MAX_DEPTH = 8  # deeper chains are cut: nobody audits a ninth-generation merge by hand
MAX_PARENTS = 16  # per model; a merge of more is listed up to here

COMPATIBLE, INCOMPATIBLE, UNKNOWN = "compatible", "incompatible", "unknown"

# Upstream families whose license is certain from their name alone, for parents outside the registry.
KNOWN_UPSTREAM: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), license_id)
    for pattern, license_id in (
        (r"^meta-llama/(meta-)?llama-2-", "llama2"),
        (r"^meta-llama/(meta-)?llama-3\.1-", "llama3.1"),
        (r"^meta-llama/(meta-)?llama-3\.2-", "llama3.2"),
        (r"^meta-llama/(meta-)?llama-3\.3-", "llama3.3"),
        (r"^meta-llama/(meta-)?llama-3-", "llama3"),
        (r"^meta-llama/llama-4-", "llama4"),
        (r"^google/[a-z]*gemma", "gemma"),
    )
)


@dataclass(frozen=True)
class Parent:
    """What the lookup knows of a parent model found in this registry."""

    model_id: str
    commit_id: str
    license: str  # as its card declares it
    license_name: str = ""
    license_link: str = ""
    base_models: tuple[str, ...] = ()


Lookup = Callable[[str], Parent | None]


@dataclass(frozen=True)
class Link:
    """One parent in the chain, and whether the license of the model deriving from it honours its own."""

    model_id: str
    child_id: str  # the model whose card names this parent
    depth: int  # 1: a direct parent
    source: str  # "registry", "known upstream" or "external"
    commit_id: str = ""
    license_id: str = ""  # canonical; "" when not known
    license_name: str = ""
    license_url: str = ""
    status: str = UNKNOWN  # compatible, incompatible, unknown
    reason: str = ""
    url: str = ""  # the parent's page in this registry, where it is one

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Lineage:
    links: list[Link] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def to_list(self) -> list[dict[str, Any]]:
        return [link.to_dict() for link in self.links]


def base_models(metadata: dict[str, Any]) -> list[str]:
    """The card's `base_model` (a string or a list) as a list of ids, without blanks and repeats."""
    value = metadata.get("base_model")
    names = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    seen: list[str] = []
    for name in names:
        text = str(name).strip() if isinstance(name, str | int | float) else ""
        if text and text not in seen:
            seen.append(text)
    return seen[:MAX_PARENTS]


def known_upstream_license(model_id: str) -> str:
    return next((license_id for pattern, license_id in KNOWN_UPSTREAM if pattern.search(model_id)), "")


def compatibility(child: License | None, parent: License | None) -> tuple[str, str]:
    """Whether a model under `child` may derive from one under `parent`, and why (or why not)."""
    if parent is None:
        return UNKNOWN, "the parent's license is not known, so the lineage could not be checked"
    if child is None:
        return UNKNOWN, "this model's license is not known, so the lineage could not be checked"
    if child.id == parent.id:
        return COMPATIBLE, f"same license ({child.id})"
    terms = parent.derivative_terms
    if parent.derivatives is False or terms == DerivativeTerms.NONE:
        return INCOMPATIBLE, f"{parent.name} ({parent.id}) allows no derivative models"
    if child.properties_source == "unknown" and terms != DerivativeTerms.ANY:
        return UNKNOWN, f"check that {child.name} carries the terms {parent.name} ({parent.id}) requires"
    problems = []
    if parent.commercial_use is False and child.commercial_use is not False:
        problems.append(
            f"{parent.id} allows no commercial use, but {child.id} "
            + ("grants it" if child.commercial_use else "does not rule it out")
        )
    if terms == DerivativeTerms.SAME_LICENSE:
        problems.append(f"{parent.id} is copyleft: derivatives must stay under {parent.id}, not {child.id}")
    elif terms == DerivativeTerms.SAME_FAMILY and child.family != parent.family:
        problems.append(
            f"{parent.name} ({parent.id}) requires derivatives to be distributed under its own terms, "
            f"which {child.id} does not carry"
        )
    elif terms == DerivativeTerms.USE_RESTRICTIONS and child.use_restrictions is not True:
        problems.append(
            f"{parent.name} ({parent.id}) requires its use restrictions to be passed on to derivatives; "
            f"{child.id} has none"
        )
    if problems:
        return INCOMPATIBLE, "; ".join(problems)
    if terms == DerivativeTerms.UNKNOWN:
        return UNKNOWN, f"what {parent.name} ({parent.id}) demands of derivatives is not determined: read it"
    return COMPATIBLE, f"{parent.id} allows derivatives under {child.id}"


def build(*, model_id: str, license: License | None, metadata: dict[str, Any], lookup: Lookup) -> Lineage:
    """The chain of ancestors (breadth first) with a finding for each link that cannot be honoured."""
    links: list[Link] = []
    findings: list[Finding] = []
    queue = [(name, model_id, license, 1) for name in base_models(metadata)]
    seen = {model_id}
    while queue:
        name, child_id, child_license, depth = queue.pop(0)
        if name in seen or depth > MAX_DEPTH:
            continue
        seen.add(name)
        parent = lookup(name)
        link, parent_license = _link(name, child_id, child_license, depth, parent)
        links.append(link)
        findings.extend(_findings(link))
        if parent is not None:
            queue.extend((grand, name, parent_license, depth + 1) for grand in parent.base_models)
    return Lineage(links=links, findings=findings)


def _link(
    name: str, child_id: str, child_license: License | None, depth: int, parent: Parent | None
) -> tuple[Link, License | None]:
    if parent is not None:
        resolution = licenses.resolve(parent.license, name=parent.license_name, link=parent.license_link)
        source, commit = "registry", parent.commit_id
    else:
        upstream = known_upstream_license(name)
        resolution = licenses.resolve(upstream) if upstream else None
        source = "known upstream" if upstream else "external"
        commit = ""
    parent_license = resolution.license if resolution else None
    status, reason = compatibility(child_license, parent_license)
    if parent is None and parent_license is None:
        reason = f"{name} is not in this registry and its license is not known: the lineage is unverified"
    link = Link(
        model_id=name,
        child_id=child_id,
        depth=depth,
        source=source,
        commit_id=commit,
        license_id=parent_license.id if parent_license else "",
        license_name=parent_license.name if parent_license else "",
        license_url=parent_license.url if parent_license else "",
        status=status,
        reason=reason,
        url=f"/{name}" if parent is not None else "",
    )
    return link, parent_license


def _findings(link: Link) -> list[Finding]:
    if link.status == INCOMPATIBLE:
        code = "lineage-incompatible" if link.depth == 1 else "lineage-upstream-incompatible"
        where = "" if link.depth == 1 else f" (upstream: {link.child_id} derives from it)"
        return [
            Finding(
                code=code,
                severity=Severity.WARNING,
                message=f"license conflicts with base model {link.model_id}{where}: {link.reason}",
                field="base_model",
                source="lineage",
            )
        ]
    if link.status == UNKNOWN and link.depth == 1:
        return [
            Finding(
                code="lineage-unverified",
                severity=Severity.INFO,
                message=f"base model {link.model_id}: {link.reason}",
                field="base_model",
                source="lineage",
            )
        ]
    return []
