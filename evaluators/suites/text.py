"""Domain sentences for the benchmark suites, and training text for test models.

Each template has a `|` where a multiple-choice question stops: the words after it are the right
answer, and the wrong answers are endings of the same industry's other templates. Keeping every
choice in-domain matters: with endings from other industries, a random model whose tokenizer was
trained on this domain already scored ~0.85, because in-domain text takes fewer tokens.

The same generator with another seed gives training text for tiny "specialist" models in tests
(evaluation.md §3): a model that learned a domain's sentences knows which ending fits; a random
one picks at about chance.

These are synthetic items for plumbing and demos: a trained tiny model reaches ~1.0 on them. Real
industry suites need real, licensed items, versioned here the same way.
"""

from __future__ import annotations

import random

INDUSTRIES = ("retail", "finance", "healthcare")

TEMPLATES: dict[str, tuple[str, ...]] = {
    "healthcare": (
        "The patient was prescribed {drug} for | {condition} twice daily.",
        "The nurse recorded a temperature of {temp} degrees on the | {ward} ward.",
        "The doctor referred the patient with {condition} to | the {specialty} clinic.",
        "After taking {drug} the patient reported | {symptom} and mild fatigue.",
        "Follow-up for {condition} is scheduled in | {count} weeks at the {ward} clinic.",
        "The discharge summary lists {drug} and | a low-salt diet for {condition}.",
        "Blood pressure was {bp} when the patient arrived | at the emergency department.",
        "The pharmacist checked the {drug} dose against | the kidney function tests.",
    ),
    "finance": (
        "The bank raised the interest rate on | {account} to {pct} percent.",
        "The analyst expects {company} to report | {direction} earnings in {quarter}.",
        "The fund moved {amount} million euros from | {asset} into {asset2}.",
        "Quarterly revenue at {company} | {direction2} by {pct} percent.",
        "The auditor flagged the | {account} ledger for review in {quarter}.",
        "The central bank kept its policy rate | at {pct} percent for another quarter.",
        "Credit spreads on {company} bonds | widened after the rating downgrade.",
        "The treasurer hedged the currency exposure with | forward contracts until {quarter}.",
    ),
    "retail": (
        "The customer returned the {product} because it arrived | {condition}.",
        "Our {store} store sold {count} units of | the {product} this week.",
        "The {product} is on sale for | {price} euros until {day}.",
        "A shopper asked whether the {product} comes | in {colour}.",
        "The review says the {product} was {opinion} and | delivery took {count} days.",
        "The warehouse restocked the | {product} shelves before the weekend.",
        "Loyalty members get free shipping on | orders over {price} euros.",
        "The store manager moved the {product} display | next to the checkout.",
    ),
}

WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "healthcare": {
        "drug": ("metformin", "ibuprofen", "amoxicillin", "lisinopril", "paracetamol", "insulin"),
        "condition": ("hypertension", "diabetes", "asthma", "a chest infection", "migraine"),
        "temp": ("36.8", "37.5", "38.2", "39.1"),
        "ward": ("cardiology", "paediatric", "orthopaedic", "general"),
        "specialty": ("cardiology", "neurology", "dermatology", "endocrinology"),
        "symptom": ("nausea", "dizziness", "a rash", "headaches"),
        "count": ("2", "4", "6", "12"),
        "bp": ("120/80", "145/95", "160/100", "110/70"),
    },
    "finance": {
        "account": ("savings accounts", "mortgages", "corporate loans", "credit cards"),
        "pct": ("1.5", "2.25", "3", "4.75", "5"),
        "company": ("Acme Holdings", "Nordbank", "Vertex Capital", "Harbor Insurance"),
        "direction": ("higher", "lower", "flat", "record"),
        "direction2": ("rose", "fell", "grew", "declined"),
        "quarter": ("Q1", "Q2", "Q3", "Q4"),
        "amount": ("5", "12", "40", "250"),
        "asset": ("equities", "bonds", "cash", "real estate"),
        "asset2": ("treasuries", "gold", "index funds", "money markets"),
    },
    "retail": {
        "product": ("jacket", "blender", "sofa", "running shoe", "desk lamp", "backpack", "kettle"),
        "condition": ("damaged", "late", "in the wrong size", "without a manual", "scratched"),
        "store": ("Berlin", "Lyon", "Madrid", "Dublin", "online"),
        "count": ("2", "3", "5", "12", "40"),
        "price": ("19.99", "49.50", "120", "299"),
        "day": ("Friday", "Sunday", "the end of the month"),
        "colour": ("navy", "olive", "beige", "charcoal"),
        "opinion": ("excellent", "fine", "disappointing", "better than expected"),
    },
}


def _fill(template: str, industry: str, rng: random.Random) -> str:
    slots = {slot: rng.choice(options) for slot, options in WORDS[industry].items()}
    return template.format_map(slots)


def split_sentences(industry: str, *, count: int, seed: int) -> list[tuple[int, str, str]]:
    """`count` (template number, question, right ending) of `industry`, the same for the same seed."""
    if industry not in INDUSTRIES:
        raise ValueError(f"unknown industry {industry!r}; expected one of {INDUSTRIES}")
    rng = random.Random(f"{industry}:{seed}")  # noqa: S311 - reproducible text, not a secret
    triples = []
    for _ in range(count):
        template = rng.randrange(len(TEMPLATES[industry]))
        question, ending = _fill(TEMPLATES[industry][template], industry, rng).split(" | ")
        triples.append((template, question, ending))
    return triples


def domain_text(industry: str, *, count: int, seed: int) -> list[str]:
    """`count` whole sentences of `industry` (training text for test models, perplexity documents)."""
    sentences = split_sentences(industry, count=count, seed=seed)
    return [f"{question} {ending}" for _, question, ending in sentences]
