"""The compliance questionnaire: the fields a card's `compliance:` block answers, per industry.

One schema drives the upload portal's form (`fields_for`), the checks (`normalize`) and the
completeness score (`completeness`). A field *applies* to a model by its industry, the frameworks it
claims and its other answers: PHI questions to healthcare and HIPAA claims, cardholder data to
retail, finance and PCI-DSS claims, the EU AI Act's documentation to high-risk models.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from registry.errors import InvalidModelCard

HIPAA, PCI_DSS, GDPR, SOX, GLBA, FINRA, EU_AI_ACT = (
    "HIPAA",
    "PCI-DSS",
    "GDPR",
    "SOX",
    "GLBA",
    "FINRA",
    "EU AI Act",
)
FRAMEWORKS = (HIPAA, PCI_DSS, GDPR, SOX, GLBA, FINRA, EU_AI_ACT)
# Spellings seen in cards, compared without case, spaces, dashes or underscores.
_FRAMEWORK_SPELLINGS = {
    "HIPAA": HIPAA,
    "PCIDSS": PCI_DSS,
    "PCI": PCI_DSS,
    "GDPR": GDPR,
    "EUGDPR": GDPR,
    "SOX": SOX,
    "SARBANESOXLEY": SOX,
    "GLBA": GLBA,
    "GRAMMLEACHBLILEY": GLBA,
    "FINRA": FINRA,
    "EUAIACT": EU_AI_ACT,
    "AIACT": EU_AI_ACT,
}

RISK_LEVELS = ("minimal", "limited", "high", "prohibited")
_RISK_SPELLINGS = {"unacceptable": "prohibited", "high-risk": "high", "minimal-risk": "minimal"}

SENSITIVE_DATA = {  # what each industry's buyers must be told about the training data
    "healthcare": ("contains_phi", "contains_pii"),
    "finance": ("contains_pii", "contains_cardholder_data"),
    "retail": ("contains_pii", "contains_cardholder_data"),
}
REGULATED_INDUSTRIES = ("healthcare", "finance")


@dataclass(frozen=True)
class Answers:
    """A version's compliance answers, normalized: text stripped, flags True/False/None (not stated)."""

    industry: str
    values: Mapping[str, Any]
    frameworks: frozenset[str] = frozenset()
    unknown_frameworks: tuple[str, ...] = ()
    unknown_fields: tuple[str, ...] = ()

    def text(self, key: str) -> str:
        value = self.values.get(key)
        return value if isinstance(value, str) else ""

    def flag(self, key: str) -> bool | None:
        value = self.values.get(key)
        return value if isinstance(value, bool) else None

    @property
    def risk(self) -> str:
        return self.text("eu_ai_act_risk")

    def claims(self, framework: str) -> bool:
        return framework in self.frameworks

    def is_answered(self, key: str) -> bool:
        value = self.values.get(key)
        return value is not None and value != "" and value != []


def _always(answers: Answers) -> bool:
    return True


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    kind: str  # "text", "boolean", "choice" or "list"
    help: str
    choices: tuple[str, ...] = ()
    applies: Callable[[Answers], bool] = field(default=_always, repr=False, compare=False)
    applies_when: str = "every model"  # `applies`, in words, for the form and the report

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "kind": self.kind,
            "help": self.help,
            "choices": list(self.choices),
            "applies_when": self.applies_when,
        }


FIELDS: tuple[Field, ...] = (
    Field(
        "frameworks",
        "Frameworks claimed",
        "list",
        "Regulations the model is prepared for: " + ", ".join(FRAMEWORKS) + ".",
        choices=FRAMEWORKS,
    ),
    Field(
        "eu_ai_act_risk",
        "EU AI Act risk category",
        "choice",
        "The risk category of the intended use under the EU AI Act.",
        choices=RISK_LEVELS,
    ),
    Field(
        "training_data_provenance",
        "Training data provenance",
        "text",
        "Where the training data came from, under which terms, and how it was collected.",
    ),
    Field("contains_pii", "Training data contains PII", "boolean", "Personal data of identifiable people."),
    Field(
        "contains_phi",
        "Training data contains PHI",
        "boolean",
        "Protected health information as HIPAA defines it.",
        applies=lambda a: a.industry == "healthcare" or a.claims(HIPAA),
        applies_when="healthcare models and HIPAA claims",
    ),
    Field(
        "contains_cardholder_data",
        "Training data contains cardholder data",
        "boolean",
        "Payment card numbers or other cardholder data as PCI DSS defines it.",
        applies=lambda a: a.industry in ("retail", "finance") or a.claims(PCI_DSS),
        applies_when="retail and finance models and PCI-DSS claims",
    ),
    Field(
        "phi_handling",
        "PHI handling",
        "text",
        "How PHI was handled in training and how the model avoids disclosing it.",
        applies=lambda a: a.claims(HIPAA),
        applies_when="HIPAA claims",
    ),
    Field(
        "deidentification_method",
        "De-identification method",
        "text",
        "HIPAA Safe Harbor or Expert Determination, and who performed it.",
        applies=lambda a: a.claims(HIPAA),
        applies_when="HIPAA claims",
    ),
    Field(
        "cardholder_data_protection",
        "Cardholder data protection",
        "text",
        "How cardholder data in the training data was protected (truncation, tokenization, ...).",
        applies=lambda a: a.claims(PCI_DSS) and a.flag("contains_cardholder_data") is True,
        applies_when="PCI-DSS claims with cardholder data",
    ),
    Field(
        "lawful_basis",
        "Lawful basis for personal data",
        "text",
        "The GDPR lawful basis (or GLBA notice and consent) for training on personal data.",
        applies=lambda a: (a.claims(GDPR) or a.claims(GLBA)) and a.flag("contains_pii") is True,
        applies_when="GDPR or GLBA claims with personal data",
    ),
    Field("data_residency", "Data residency", "text", "Where the training data was stored and processed."),
    Field("intended_uses", "Intended uses", "text", "What the model is for, and for whom."),
    Field("out_of_scope_uses", "Prohibited and out-of-scope uses", "text", "Uses the publisher rules out."),
    Field("human_oversight", "Human oversight", "text", "Who reviews the model's outputs, and how."),
    Field(
        "known_limitations", "Known limitations", "text", "Where the model fails or should not be trusted."
    ),
    Field(
        "bias_evaluation", "Bias evaluation", "text", "How the model was evaluated for bias, with results."
    ),
    Field(
        "incident_contact", "Incident contact", "text", "Whom to tell about an incident (an email address)."
    ),
    Field(
        "risk_management",
        "Risk management",
        "text",
        "The risk management measures of EU AI Act article 9.",
        applies=lambda a: a.risk == "high",
        applies_when="EU AI Act high-risk models",
    ),
    Field(
        "accuracy_metrics",
        "Accuracy and robustness metrics",
        "text",
        "Declared accuracy and robustness levels (EU AI Act article 15).",
        applies=lambda a: a.risk == "high",
        applies_when="EU AI Act high-risk models",
    ),
)
FIELDS_BY_KEY = {f.key: f for f in FIELDS}


def fields_for(answers: Answers) -> list[Field]:
    """The fields that apply to a model with these answers (the portal re-asks as answers change)."""
    return [f for f in FIELDS if f.applies(answers)]


def completeness(answers: Answers) -> tuple[int, list[str], list[str]]:
    """(score 0-100, answered keys, missing keys) over the fields that apply."""
    applicable = fields_for(answers)
    answered = [f.key for f in applicable if answers.is_answered(f.key)]
    missing = [f.key for f in applicable if not answers.is_answered(f.key)]
    score = round(100 * len(answered) / len(applicable)) if applicable else 100
    return score, answered, missing


# --- normalizing a card's answers -------------------------------------------------------------


def normalize(raw: Mapping[str, Any] | None, *, industry: str) -> Answers:
    """Check and normalize a `compliance:` mapping; raise InvalidModelCard naming a wrong answer."""
    raw = dict(raw or {})
    values: dict[str, Any] = {}
    for key, value in raw.items():
        spec = FIELDS_BY_KEY.get(str(key))
        if spec is None or value is None:
            continue
        values[spec.key] = _normalize_value(spec, value)
    frameworks, unknown = _frameworks(values.pop("frameworks", []))
    values["frameworks"] = sorted(frameworks)
    return Answers(
        industry=industry,
        values=values,
        frameworks=frozenset(frameworks),
        unknown_frameworks=tuple(unknown),
        unknown_fields=tuple(sorted(str(k) for k in raw if str(k) not in FIELDS_BY_KEY)),
    )


def _refuse(key: str, expected: str, value: Any) -> InvalidModelCard:
    return InvalidModelCard(
        f"compliance field {key!r} must be {expected}, got {type(value).__name__} {value!r}"[:300],
        path="README.md",
    )


def _normalize_value(spec: Field, value: Any) -> Any:
    if spec.kind == "boolean":
        if not isinstance(value, bool):
            raise _refuse(spec.key, "true or false", value)
        return value
    if spec.kind == "list":
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise _refuse(spec.key, "a list of names", value)
        return [i.strip() for i in items if i.strip()]
    if spec.kind == "choice":
        text = str(value).strip().lower() if isinstance(value, str) else None
        text = _RISK_SPELLINGS.get(text or "", text)
        if text not in (*spec.choices, ""):
            raise _refuse(spec.key, "one of " + ", ".join(spec.choices), value)
        return text
    return _text(spec.key, value)


def _text(key: str, value: Any) -> str:
    """Free text; a list or a mapping (e.g. metrics) is accepted and written out as text."""
    if isinstance(value, bool):
        raise _refuse(key, "text", value)
    if isinstance(value, str | int | float):
        return str(value).strip()
    if isinstance(value, list) and all(
        isinstance(i, str | int | float) and not isinstance(i, bool) for i in value
    ):
        return "; ".join(str(i).strip() for i in value if str(i).strip())
    if isinstance(value, dict) and all(isinstance(v, str | int | float) for v in value.values()):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    raise _refuse(key, "text", value)


def _frameworks(names: list[str]) -> tuple[set[str], list[str]]:
    known, unknown = set(), []
    for name in names:
        canonical = _FRAMEWORK_SPELLINGS.get("".join(ch for ch in name.upper() if ch.isalnum()))
        if canonical is None:
            unknown.append(name)
        else:
            known.add(canonical)
    return known, unknown
