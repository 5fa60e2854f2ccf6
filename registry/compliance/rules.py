"""Consistency rules over a version's compliance answers: each claim must come with what it implies.

A rule returns the problems it sees (empty when satisfied); `check_answers` turns them into findings.
Every rule is listed in RULES with its code, so pages can explain a finding and tests can name it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .findings import Finding, Severity
from .schema import (
    FIELDS_BY_KEY,
    FINRA,
    GDPR,
    GLBA,
    HIPAA,
    PCI_DSS,
    REGULATED_INDUSTRIES,
    SENSITIVE_DATA,
    SOX,
    Answers,
)

# The documentation the EU AI Act asks of a high-risk system's provider (articles 9-15, annex IV),
# mapped onto the questionnaire.
EU_HIGH_RISK_DOCUMENTATION = (
    "intended_uses",  # intended purpose (art. 13(3)(b), annex IV 1(a))
    "training_data_provenance",  # data governance (art. 10)
    "bias_evaluation",  # examination for possible biases (art. 10(2)(f))
    "risk_management",  # risk management system (art. 9)
    "accuracy_metrics",  # accuracy, robustness (art. 15)
    "human_oversight",  # human oversight measures (art. 14)
    "known_limitations",  # limitations and foreseeable misuse (art. 13(3)(b))
    "incident_contact",  # provider identity and contact (art. 13(3)(a))
)


@dataclass(frozen=True)
class Rule:
    code: str
    title: str
    severity: Severity
    check: Callable[[Answers], list[str]]

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "title": self.title, "severity": str(self.severity)}


RULES: list[Rule] = []


def rule(code: str, title: str, severity: Severity = Severity.WARNING):
    def register(check: Callable[[Answers], list[str]]) -> Callable[[Answers], list[str]]:
        RULES.append(Rule(code, title, severity, check))
        return check

    return register


def _missing(answers: Answers, *keys: str) -> list[str]:
    return [key for key in keys if not answers.is_answered(key)]


def _describe(keys: list[str]) -> str:
    return ", ".join(f"{key} ({_lower_first(FIELDS_BY_KEY[key].label)})" for key in keys)


def _lower_first(label: str) -> str:
    """ "Training data contains PHI" reads "training data contains PHI"; "EU AI Act ..." stays."""
    return label[0].lower() + label[1:] if label[1:2].islower() else label


# --- healthcare ---------------------------------------------------------------------------------


@rule("hipaa-phi-handling", "A HIPAA claim states PHI content, handling and de-identification")
def hipaa_phi_handling(answers: Answers) -> list[str]:
    if not answers.claims(HIPAA):
        return []
    missing = _missing(answers, "contains_phi", "phi_handling", "deidentification_method")
    if not missing:
        return []
    return [f"claims HIPAA readiness but does not state {_describe(missing)}"]


@rule("phi-without-hipaa", "Training data with PHI comes with a HIPAA claim")
def phi_without_hipaa(answers: Answers) -> list[str]:
    if answers.flag("contains_phi") is True and not answers.claims(HIPAA):
        return ["states that the training data contains PHI but claims no HIPAA readiness"]
    return []


# --- payments and finance -----------------------------------------------------------------------


@rule("pci-cardholder-data", "A PCI-DSS claim states cardholder data content and protection")
def pci_cardholder_data(answers: Answers) -> list[str]:
    if not answers.claims(PCI_DSS):
        return []
    if answers.flag("contains_cardholder_data") is None:
        return ["claims PCI-DSS but does not state whether the training data contains cardholder data"]
    if answers.flag("contains_cardholder_data") and not answers.is_answered("cardholder_data_protection"):
        return ["claims PCI-DSS with cardholder data in the training data but does not state its protection"]
    return []


@rule("cardholder-data-without-pci", "Training data with cardholder data comes with a PCI-DSS claim")
def cardholder_data_without_pci(answers: Answers) -> list[str]:
    if answers.flag("contains_cardholder_data") is True and not answers.claims(PCI_DSS):
        return ["states that the training data contains cardholder data but claims no PCI-DSS compliance"]
    return []


@rule("glba-customer-data", "A GLBA claim states whether customer data was used, and on what basis")
def glba_customer_data(answers: Answers) -> list[str]:
    if not answers.claims(GLBA):
        return []
    if answers.flag("contains_pii") is None:
        return ["claims GLBA but does not state whether the training data contains customers' personal data"]
    if answers.flag("contains_pii") and not answers.is_answered("lawful_basis"):
        return [
            "claims GLBA with customers' personal data in the training data but states no notice or consent"
        ]
    return []


@rule("finance-human-oversight", "A SOX or FINRA claim states human oversight of the outputs")
def finance_human_oversight(answers: Answers) -> list[str]:
    claimed = [f for f in (SOX, FINRA) if answers.claims(f)]
    if claimed and not answers.is_answered("human_oversight"):
        return [
            f"claims {' and '.join(claimed)} but does not state how outputs are reviewed (human_oversight)"
        ]
    return []


# --- personal data ------------------------------------------------------------------------------


@rule("gdpr-personal-data", "A GDPR claim states personal data content, lawful basis and residency")
def gdpr_personal_data(answers: Answers) -> list[str]:
    if not answers.claims(GDPR):
        return []
    if answers.flag("contains_pii") is None:
        return [
            "claims GDPR but does not state whether the training data contains personal data (contains_pii)"
        ]
    if not answers.flag("contains_pii"):
        return []
    missing = _missing(answers, "lawful_basis", "data_residency")
    return (
        [f"claims GDPR with personal data in the training data but does not state {_describe(missing)}"]
        if missing
        else []
    )


@rule("sensitive-data-residency", "Sensitive training data states where it was stored and processed")
def sensitive_data_residency(answers: Answers) -> list[str]:
    kinds = [k for k in ("contains_phi", "contains_pii", "contains_cardholder_data") if answers.flag(k)]
    if kinds and not answers.is_answered("data_residency"):
        return [
            f"states {', '.join(kinds)} but not where that data was stored and processed (data_residency)"
        ]
    return []


@rule(
    "sensitive-data-unstated", "Models of regulated industries state what sensitive data they were trained on"
)
def sensitive_data_unstated(answers: Answers) -> list[str]:
    missing = _missing(answers, *SENSITIVE_DATA.get(answers.industry, ()))
    if not missing:
        return []
    return [f"a {answers.industry} model must state whether its training data holds {_describe(missing)}"]


# --- EU AI Act ----------------------------------------------------------------------------------


@rule("eu-ai-act-high-risk-documentation", "A high-risk model carries the documentation the EU AI Act lists")
def eu_ai_act_high_risk(answers: Answers) -> list[str]:
    if answers.risk != "high":
        return []
    missing = _missing(answers, *EU_HIGH_RISK_DOCUMENTATION)
    if not missing:
        return []
    return [f"is high risk under the EU AI Act but lacks the required {_describe(missing)}"]


@rule("eu-ai-act-prohibited", "No model is offered for a practice the EU AI Act prohibits")
def eu_ai_act_prohibited(answers: Answers) -> list[str]:
    if answers.risk == "prohibited":
        return ["declares a use the EU AI Act prohibits (article 5): it may not be placed on the EU market"]
    return []


@rule(
    "eu-ai-act-risk-unstated", "Regulated-industry models state their EU AI Act risk category", Severity.INFO
)
def eu_ai_act_risk_unstated(answers: Answers) -> list[str]:
    if answers.industry in REGULATED_INDUSTRIES and not answers.risk:
        return [f"a {answers.industry} model should state its EU AI Act risk category (eu_ai_act_risk)"]
    return []


# --- accountability -----------------------------------------------------------------------------


@rule("regulated-incident-contact", "Regulated-industry models name a contact for incidents")
def regulated_incident_contact(answers: Answers) -> list[str]:
    if answers.industry in REGULATED_INDUSTRIES and not answers.is_answered("incident_contact"):
        return [f"a {answers.industry} model must name whom to tell about an incident (incident_contact)"]
    return []


@rule("uses-undocumented", "The card states intended and prohibited uses", Severity.INFO)
def uses_undocumented(answers: Answers) -> list[str]:
    missing = _missing(answers, "intended_uses", "out_of_scope_uses")
    return [f"does not state {_describe(missing)}"] if missing else []


@rule("unknown-framework", "Claimed frameworks are ones the registry checks", Severity.INFO)
def unknown_framework(answers: Answers) -> list[str]:
    return [
        f"claims {name!r}, a framework the registry does not check; its claim is shown as stated"
        for name in answers.unknown_frameworks
    ]


@rule("unknown-compliance-field", "Every compliance answer is a field of the questionnaire", Severity.INFO)
def unknown_compliance_field(answers: Answers) -> list[str]:
    return [
        f"compliance field {key!r} is not in the questionnaire (a typo?); no rule reads it"
        for key in answers.unknown_fields
    ]


RULES_BY_CODE = {r.code: r for r in RULES}


def check_answers(answers: Answers) -> list[Finding]:
    """Every rule's findings for these answers, in RULES order."""
    return [
        Finding(code=r.code, severity=r.severity, message=message, field="compliance", source="rules")
        for r in RULES
        for message in r.check(answers)
    ]
