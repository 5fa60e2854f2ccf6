"""Templated domain sentences: the training text for the demo tokenizers.

A few templates per industry filled from small word lists give a corpus that is clearly about
one domain, costs nothing to produce and is the same for the same seed on every machine. Some
words are deliberately non-ASCII so the tokenizers learn more than plain ASCII merges.
"""

from __future__ import annotations

import random

INDUSTRIES = ("retail", "finance", "healthcare")

# The three classes each industry's demo classifier predicts, in label-id order.
CLASSIFIER_LABELS: dict[str, tuple[str, str, str]] = {
    "retail": ("positive", "neutral", "negative"),
    "finance": ("bullish", "neutral", "bearish"),
    "healthcare": ("routine", "urgent", "emergency"),
}

_TEMPLATES: dict[str, tuple[str, ...]] = {
    "retail": (
        "The customer returned the {product} because it arrived {condition}.",
        "Our {store} store sold {count} units of the {product} this week.",
        "The {product} is on sale for {price} euros until {day}.",
        "A shopper asked whether the {product} comes in {colour}.",
        "The review says the {product} was {opinion} and delivery took {count} days.",
    ),
    "finance": (
        "The bank raised the interest rate on {account} to {pct} percent.",
        "The analyst expects {company} to report {direction} earnings in {quarter}.",
        "The fund moved {amount} million € from {asset} into {asset2}.",
        "Quarterly revenue at {company} {direction2} by {pct} percent.",
        "The auditor flagged the {account} ledger for review in {quarter}.",
    ),
    "healthcare": (
        "The patient was prescribed {drug} for {condition} twice daily.",
        "The nurse recorded a temperature of {temp} °C on the {ward} ward.",
        "The doctor referred the patient with {condition} to {specialty}.",
        "The patient reported {symptom} after taking {drug}.",
        "Follow-up for {condition} is scheduled in {count} weeks at the {ward} clinic.",
    ),
}

_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "retail": {
        "product": ("jacket", "blender", "sofa", "running shoe", "café table", "lamp", "backpack"),
        "condition": ("damaged", "late", "in the wrong size", "without a manual", "scratched"),
        "store": ("Berlin", "Lyon", "Malmö", "Madrid", "online"),
        "count": ("2", "3", "5", "12", "40"),
        "price": ("19.99", "49.50", "120", "299"),
        "day": ("Friday", "Sunday", "the end of the month"),
        "colour": ("navy", "olive", "beige", "crème"),
        "opinion": ("excellent", "fine", "disappointing", "better than expected"),
    },
    "finance": {
        "account": ("savings accounts", "mortgages", "corporate loans", "credit cards"),
        "pct": ("1.5", "2.25", "3", "4.75", "5"),
        "company": ("Acme Holdings", "Nordbank", "Société Générale", "Vertex Capital"),
        "direction": ("higher", "lower", "flat", "record"),
        "direction2": ("rose", "fell", "grew", "declined"),
        "quarter": ("Q1", "Q2", "Q3", "Q4"),
        "amount": ("5", "12", "40", "250"),
        "asset": ("equities", "bonds", "cash", "real estate"),
        "asset2": ("treasuries", "gold", "index funds", "money markets"),
    },
    "healthcare": {
        "drug": ("metformin", "ibuprofen", "amoxicillin", "lisinopril", "paracetamol"),
        "condition": ("hypertension", "diabetes", "asthma", "a chest infection", "migraine"),
        "temp": ("36.8", "37.5", "38.2", "39.1"),
        "ward": ("cardiology", "paediatric", "orthopaedic", "general"),
        "specialty": ("cardiology", "neurology", "dermatology", "endocrinology"),
        "symptom": ("nausea", "dizziness", "a rash", "headaches"),
        "count": ("2", "4", "6", "12"),
    },
}


def domain_lines(industry: str, *, count: int = 1000, seed: int = 0) -> list[str]:
    """`count` sentences about `industry`, the same list for the same seed."""
    if industry not in INDUSTRIES:
        raise ValueError(f"unknown industry {industry!r}; expected one of {INDUSTRIES}")
    rng = random.Random(seed)  # noqa: S311 - reproducible sample text, not a secret
    templates, words = _TEMPLATES[industry], _WORDS[industry]
    return [
        rng.choice(templates).format_map({slot: rng.choice(options) for slot, options in words.items()})
        for _ in range(count)
    ]
