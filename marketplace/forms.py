"""Forms: the catalog's query string, the compare selection and the gated-access request.

Each turns user input into typed values or a 400 that names the offending parameter.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.http import QueryDict

from registry.errors import InvalidInput
from registry.formats.footprint import FIT_PRECISIONS
from registry.models.repositories import Industry
from registry.services.repositories import split_repo_id

from .selectors.catalog import MAX_PAGE, SCORE_BANDS, SIZE_CLASSES, SORTS, CatalogQuery

MAX_COMPARED = 4
# Hub spellings of the same parameters, accepted so links copied from the Hub keep working.
ALIASES = {"author": "publisher", "q": "search", "pipeline_tag": "task"}
SIGNED_VALUES = {"": False, "0": False, "false": False, "no": False, "1": True, "true": True, "yes": True}


class CatalogForm(forms.Form):
    search = forms.CharField(required=False, max_length=200, strip=True)
    industry = forms.ChoiceField(required=False, choices=[("", "Any"), *Industry.choices])
    task = forms.CharField(required=False, max_length=64)
    license = forms.CharField(required=False, max_length=64)
    size = forms.ChoiceField(
        required=False,
        choices=[("", "Any"), *((k, label) for k, label, _ in SIZE_CLASSES), ("unknown", "Unknown")],
    )
    framework = forms.CharField(required=False, max_length=32)
    publisher = forms.CharField(required=False, max_length=96)
    signed = forms.CharField(required=False, max_length=5)
    min_score = forms.FloatField(required=False, min_value=0, max_value=1)
    max_score = forms.FloatField(required=False, min_value=0, max_value=1)
    fits_in = forms.FloatField(required=False, min_value=0, max_value=100_000)
    fits_precision = forms.ChoiceField(
        required=False, choices=[("", "As stored"), *((p, p) for p in FIT_PRECISIONS if p != "stored")]
    )
    score = forms.ChoiceField(required=False, choices=[("", "Any"), *((k, k) for k, _, _ in SCORE_BANDS)])
    sort = forms.ChoiceField(
        required=False, choices=[("", "Default"), ("relevance", "Relevance"), *SORTS.items()]
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE)

    def clean_signed(self) -> bool:
        value = self.cleaned_data["signed"].strip().lower()
        if value not in SIGNED_VALUES:
            raise forms.ValidationError("use signed=1 to list signed models only, or leave it out")
        return SIGNED_VALUES[value]


def parse_catalog_query(params: QueryDict) -> CatalogQuery:
    """The catalog query of a request's GET parameters, or InvalidInput naming the bad ones."""
    data: dict[str, Any] = {}
    for key in params:
        name = ALIASES.get(key, key)
        data[name] = params.get(key, "")
    form = CatalogForm(data)
    if not form.is_valid():
        raise InvalidInput(_describe_errors(form))
    values = form.cleaned_data
    min_score, max_score = values["min_score"], values["max_score"]
    if values["score"]:  # a score band from the facet list is a min/max pair
        bands = {key: lower for key, _, lower in SCORE_BANDS}
        uppers = {SCORE_BANDS[i][0]: SCORE_BANDS[i - 1][2] for i in range(1, len(SCORE_BANDS))}
        min_score = bands[values["score"]]
        max_score = uppers.get(values["score"])
    if min_score is not None and max_score is not None and min_score > max_score:
        raise InvalidInput(f"min_score ({min_score}) is greater than max_score ({max_score})")
    sort = values["sort"] or ""
    if sort == "relevance" and not values["search"]:
        raise InvalidInput("sort=relevance needs a search; use one of " + ", ".join(SORTS))
    return CatalogQuery(
        search=values["search"],
        industry=values["industry"],
        task=values["task"].strip(),
        license=values["license"].strip(),
        size=values["size"],
        framework=values["framework"].strip(),
        publisher=values["publisher"].strip(),
        signed=values["signed"],
        min_score=min_score,
        max_score=max_score,
        fits_in=values["fits_in"],
        fits_precision=values["fits_precision"] or "",
        sort="" if sort == "relevance" else sort,
        page=values["page"] or 1,
    )


def _describe_errors(form: forms.Form) -> str:
    problems = []
    for name, errors in form.errors.items():
        value = form.data.get(name, "")
        problems.append(f"{name}={str(value)[:60]!r}: {' '.join(errors)}")
    return "Bad catalog parameter: " + "; ".join(problems)


def parse_compare_ids(values: list[str]) -> list[str]:
    """Repository ids to compare, de-duplicated in order; at most MAX_COMPARED."""
    ids: list[str] = []
    for raw in values:
        for value in re.split(r"[\s,]+", raw.strip()):
            if not value:
                continue
            namespace, name = split_repo_id(value)  # InvalidInput names a malformed id
            repo_id = f"{namespace}/{name}"
            if repo_id not in ids:
                ids.append(repo_id)
    if len(ids) > MAX_COMPARED:
        raise InvalidInput(f"compare up to {MAX_COMPARED} models at a time; {len(ids)} were given")
    return ids


class AccessRequestForm(forms.Form):
    """The terms to accept and the fields the publisher asks for (card `extra_gated_fields`)."""

    accept_terms = forms.BooleanField(
        required=True,
        label="I have read and accept the license terms above",
        error_messages={"required": "You must accept the terms to request access."},
    )

    def __init__(self, *args, requested_fields: dict[str, Any], **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.labels: dict[str, str] = {}
        for index, (label, spec) in enumerate(requested_fields.items()):
            name = f"field_{index}"
            self.labels[name] = str(label)
            self.fields[name] = _field_for(str(label), spec)
        # the acceptance checkbox comes after the publisher's fields
        self.order_fields([*self.labels, "accept_terms"])

    def answers(self) -> dict[str, Any]:
        answers = {}
        for name, label in self.labels.items():
            value = self.cleaned_data[name]
            answers[label] = value.isoformat() if hasattr(value, "isoformat") else value  # dates, as JSON
        return answers


def _field_for(label: str, spec: Any) -> forms.Field:
    kind = spec.get("type", "text") if isinstance(spec, dict) else str(spec)
    if kind == "checkbox":
        return forms.BooleanField(required=True, label=label)
    if kind == "select" and isinstance(spec, dict) and spec.get("options"):
        options = [str(o.get("value", o.get("label")) if isinstance(o, dict) else o) for o in spec["options"]]
        return forms.ChoiceField(
            required=True, label=label, choices=[("", "Choose…"), *((o, o) for o in options)]
        )
    if kind == "date_picker":
        return forms.DateField(required=True, label=label, widget=forms.DateInput(attrs={"type": "date"}))
    return forms.CharField(required=True, label=label, max_length=500)
