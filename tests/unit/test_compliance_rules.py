"""The compliance questionnaire and its consistency rules: each rule fires on a crafted card and stays
quiet on a complete one."""

import pytest

from registry.compliance import rules, schema
from registry.compliance.findings import Severity
from registry.errors import InvalidModelCard

COMMON = {
    "training_data_provenance": "Licensed corpus from Acme Data Ltd under contract 2024-17.",
    "data_residency": "EU (Frankfurt); never left the EEA.",
    "intended_uses": "Drafting text reviewed by staff.",
    "out_of_scope_uses": "Automated decisions about individuals.",
    "human_oversight": "Every output is reviewed by a qualified employee before use.",
    "known_limitations": "English only; degrades on documents over 2,000 words.",
    "bias_evaluation": "Evaluated across age and sex groups; max gap 1.2 points.",
    "incident_contact": "ai-incidents@acme.example",
}
COMPLETE = {
    "healthcare": {
        **COMMON,
        "frameworks": ["HIPAA", "GDPR", "EU AI Act"],
        "eu_ai_act_risk": "high",
        "contains_phi": True,
        "contains_pii": True,
        "phi_handling": "PHI stayed in the covered entity's enclave; the model was tested for memorisation.",
        "deidentification_method": "HIPAA Safe Harbor, verified by an expert determination.",
        "lawful_basis": "GDPR art. 9(2)(h), health care provision.",
        "risk_management": "ISO 14971 risk file RM-12.",
        "accuracy_metrics": {"rouge_l": 0.41, "factuality": 0.93},
    },
    "finance": {
        **COMMON,
        "frameworks": ["SOX", "GLBA", "FINRA", "PCI-DSS", "GDPR"],
        "eu_ai_act_risk": "limited",
        "contains_pii": True,
        "contains_cardholder_data": True,
        "cardholder_data_protection": "PANs truncated to the last four digits before training.",
        "lawful_basis": "Legitimate interest; GLBA privacy notice given.",
    },
    "retail": {
        **COMMON,
        "frameworks": ["GDPR", "PCI-DSS"],
        "eu_ai_act_risk": "minimal",
        "contains_pii": False,
        "contains_cardholder_data": False,
    },
}


def answers(industry: str, **changes) -> schema.Answers:
    raw = {**COMPLETE[industry], **changes}
    return schema.normalize({k: v for k, v in raw.items() if v is not None}, industry=industry)


@pytest.mark.parametrize("industry", sorted(COMPLETE))
def test_every_rule_is_quiet_on_a_complete_card(industry):
    complete = answers(industry)
    assert rules.check_answers(complete) == []
    score, _, missing = schema.completeness(complete)
    assert (score, missing) == (100, [])


# (rule, industry, changes to its complete card, a word the message must contain); None removes a field
CRAFTED = [
    ("hipaa-phi-handling", "healthcare", {"phi_handling": None}, "phi_handling"),
    ("hipaa-phi-handling", "healthcare", {"deidentification_method": None}, "deidentification_method"),
    ("hipaa-phi-handling", "healthcare", {"contains_phi": None}, "contains_phi"),
    ("phi-without-hipaa", "healthcare", {"frameworks": ["GDPR"]}, "PHI"),
    ("pci-cardholder-data", "finance", {"cardholder_data_protection": None}, "protection"),
    ("pci-cardholder-data", "finance", {"contains_cardholder_data": None}, "whether"),
    ("cardholder-data-without-pci", "finance", {"frameworks": ["SOX", "GLBA", "FINRA", "GDPR"]}, "PCI-DSS"),
    ("glba-customer-data", "finance", {"lawful_basis": None}, "consent"),
    ("finance-human-oversight", "finance", {"human_oversight": None}, "SOX and FINRA"),
    ("gdpr-personal-data", "retail", {"contains_pii": True}, "lawful_basis"),
    ("gdpr-personal-data", "healthcare", {"data_residency": None}, "data_residency"),
    (
        "sensitive-data-residency",
        "finance",
        {"data_residency": None},
        "contains_pii, contains_cardholder_data",
    ),
    ("sensitive-data-unstated", "retail", {"contains_pii": None}, "contains_pii"),
    ("eu-ai-act-high-risk-documentation", "healthcare", {"risk_management": None}, "risk_management"),
    ("eu-ai-act-high-risk-documentation", "healthcare", {"bias_evaluation": None}, "bias_evaluation"),
    ("eu-ai-act-high-risk-documentation", "retail", {"eu_ai_act_risk": "high"}, "accuracy_metrics"),
    ("eu-ai-act-prohibited", "retail", {"eu_ai_act_risk": "unacceptable"}, "article 5"),
    ("eu-ai-act-risk-unstated", "finance", {"eu_ai_act_risk": None}, "eu_ai_act_risk"),
    ("regulated-incident-contact", "healthcare", {"incident_contact": None}, "incident_contact"),
    ("uses-undocumented", "retail", {"out_of_scope_uses": None}, "out_of_scope_uses"),
    ("unknown-framework", "retail", {"frameworks": ["GDPR", "PCI-DSS", "ISO 27001"]}, "ISO 27001"),
    ("unknown-compliance-field", "retail", {"phi_handeling": "typo"}, "phi_handeling"),
]


@pytest.mark.parametrize(("code", "industry", "changes", "named"), CRAFTED)
def test_each_rule_fires_on_a_crafted_card(code, industry, changes, named):
    findings = rules.check_answers(answers(industry, **changes))
    fired = [f for f in findings if f.code == code]
    assert len(fired) == 1, [f.code for f in findings]
    assert named in fired[0].message
    assert fired[0].severity == rules.RULES_BY_CODE[code].severity
    assert fired[0].source == "rules"


def test_every_rule_has_a_crafted_card():
    assert {case[0] for case in CRAFTED} == set(rules.RULES_BY_CODE)


def test_severities():
    assert rules.RULES_BY_CODE["hipaa-phi-handling"].severity == Severity.WARNING
    assert rules.RULES_BY_CODE["unknown-framework"].severity == Severity.INFO
    assert all(r.severity != Severity.ERROR for r in rules.RULES)  # only a missing license refuses


def test_fields_apply_by_industry_frameworks_and_answers():
    retail = {f.key for f in schema.fields_for(answers("retail"))}
    assert (
        "contains_phi" not in retail and "phi_handling" not in retail and "contains_cardholder_data" in retail
    )
    healthcare = {f.key for f in schema.fields_for(answers("healthcare"))}
    assert {"contains_phi", "phi_handling", "deidentification_method", "risk_management"} <= healthcare
    assert "contains_cardholder_data" not in healthcare
    general = schema.normalize({"frameworks": ["HIPAA"]}, industry="general")
    assert "phi_handling" in {f.key for f in schema.fields_for(general)}


def test_completeness_counts_applicable_answers():
    partial = schema.normalize(
        {"frameworks": ["GDPR"], "contains_pii": False, "intended_uses": "Search."}, industry="retail"
    )
    score, answered, missing = schema.completeness(partial)
    assert answered == ["frameworks", "contains_pii", "intended_uses"]
    assert len(answered) + len(missing) == 12
    assert score == 25
    assert schema.completeness(schema.normalize(None, industry="retail"))[0] == 0


def test_answers_are_normalized():
    normalized = schema.normalize(
        {
            "frameworks": "pci dss",
            "eu_ai_act_risk": "High",
            "known_limitations": ["short inputs", "English only"],
            "accuracy_metrics": {"f1": 0.9},
        },
        industry="finance",
    )
    assert normalized.frameworks == {"PCI-DSS"} and normalized.values["frameworks"] == ["PCI-DSS"]
    assert normalized.risk == "high"
    assert normalized.values["known_limitations"] == "short inputs; English only"
    assert normalized.values["accuracy_metrics"] == "f1: 0.9"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {"contains_cardholder_data": "maybe"},
            "compliance field 'contains_cardholder_data' must be true or false",
        ),
        ({"eu_ai_act_risk": "extreme"}, "must be one of minimal, limited, high, prohibited"),
        ({"frameworks": [{"name": "HIPAA"}]}, "compliance field 'frameworks' must be a list of names"),
        ({"human_oversight": True}, "compliance field 'human_oversight' must be text"),
    ],
)
def test_wrongly_typed_answers_are_refused(raw, message):
    with pytest.raises(InvalidModelCard, match=message) as error:
        schema.normalize(raw, industry="finance")
    assert error.value.path == "README.md"
