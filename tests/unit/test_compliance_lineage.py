"""License lineage: compatibility of a derivative's license with its parent's, and the chain of ancestors."""

import pytest

from registry.compliance import assessment, licenses, lineage
from registry.compliance.findings import Severity
from registry.compliance.lineage import COMPATIBLE, INCOMPATIBLE, UNKNOWN, Parent


@pytest.mark.parametrize(
    ("parent", "child", "status", "reason"),
    [
        ("gemma", "apache-2.0", INCOMPATIBLE, "requires derivatives to be distributed under its own terms"),
        ("llama3.1", "mit", INCOMPATIBLE, "Llama 3.1 Community License Agreement (llama3.1) requires"),
        (
            "cc-by-nc-4.0",
            "apache-2.0",
            INCOMPATIBLE,
            "CC-BY-NC-4.0 allows no commercial use, but Apache-2.0 grants it",
        ),
        ("qwen-research", "qwen", INCOMPATIBLE, "allows no commercial use"),
        ("gpl-3.0-only", "mit", INCOMPATIBLE, "copyleft: derivatives must stay under GPL-3.0-only"),
        ("cc-by-nd-4.0", "cc-by-nd-4.0", COMPATIBLE, "same license"),
        ("cc-by-nd-4.0", "cc-by-4.0", INCOMPATIBLE, "allows no derivative models"),
        ("openrail", "mit", INCOMPATIBLE, "use restrictions to be passed on"),
        ("openrail", "bigscience-openrail-m", COMPATIBLE, "allows derivatives"),
        ("llama3", "llama3.1", COMPATIBLE, "allows derivatives"),
        ("gemma", "gemma", COMPATIBLE, "same license"),
        ("cc-by-nc-4.0", "cc-by-nc-sa-4.0", COMPATIBLE, "allows derivatives"),
        ("apache-2.0", "llama3.1", COMPATIBLE, "Apache-2.0 allows derivatives under llama3.1"),
        ("mit", "apache-2.0", COMPATIBLE, "MIT allows derivatives under Apache-2.0"),
        ("BUSL-1.1", "mit", UNKNOWN, "not determined"),
    ],
)
def test_compatibility(parent, child, status, reason):
    result = lineage.compatibility(licenses.get(child), licenses.get(parent))
    assert result[0] == status
    assert reason in result[1]


def test_unknown_licenses_leave_the_lineage_unverified():
    assert lineage.compatibility(licenses.get("mit"), None)[0] == UNKNOWN
    assert lineage.compatibility(None, licenses.get("mit"))[0] == UNKNOWN
    custom = licenses.resolve("other", name="Acme License", link="https://acme.example/l").license
    assert lineage.compatibility(custom, licenses.get("gemma"))[0] == UNKNOWN
    assert lineage.compatibility(custom, licenses.get("mit"))[0] == COMPATIBLE


def test_base_model_string_or_list():
    assert lineage.base_models({"base_model": "acme/base"}) == ["acme/base"]
    assert lineage.base_models({"base_model": ["a/x", " a/x ", "", "b/y"]}) == ["a/x", "b/y"]
    assert lineage.base_models({}) == []


REGISTRY = {
    "acme/clinical-ft": Parent(
        "acme/clinical-ft", "c" * 40, "apache-2.0", base_models=("acme/clinical-base",)
    ),
    "acme/clinical-base": Parent("acme/clinical-base", "b" * 40, "gemma", base_models=("google/gemma-2b",)),
    "acme/loop-a": Parent("acme/loop-a", "1" * 40, "mit", base_models=("acme/loop-b",)),
    "acme/loop-b": Parent("acme/loop-b", "2" * 40, "mit", base_models=("acme/loop-a",)),
}


def build(license_id, base_model):
    return lineage.build(
        model_id="acme/child",
        license=licenses.get(license_id),
        metadata={"base_model": base_model},
        lookup=REGISTRY.get,
    )


def test_chain_follows_parents_through_the_registry_and_known_upstream():
    chain = build("apache-2.0", "acme/clinical-ft")
    assert [
        (link.model_id, link.depth, link.source, link.license_id, link.status) for link in chain.links
    ] == [
        ("acme/clinical-ft", 1, "registry", "Apache-2.0", COMPATIBLE),
        ("acme/clinical-base", 2, "registry", "gemma", INCOMPATIBLE),
        ("google/gemma-2b", 3, "known upstream", "gemma", COMPATIBLE),
    ]
    assert chain.links[0].commit_id == "c" * 40 and chain.links[0].url == "/acme/clinical-ft"
    assert chain.links[1].child_id == "acme/clinical-ft"
    assert [(f.code, f.severity) for f in chain.findings] == [
        ("lineage-upstream-incompatible", Severity.WARNING)
    ]
    assert "acme/clinical-ft derives from it" in chain.findings[0].message


def test_direct_conflict_is_a_warning_finding():
    chain = build("apache-2.0", "acme/clinical-base")
    assert chain.links[0].status == INCOMPATIBLE
    finding = chain.findings[0]
    assert (finding.code, finding.severity, finding.field) == (
        "lineage-incompatible",
        Severity.WARNING,
        "base_model",
    )
    assert "license conflicts with base model acme/clinical-base" in finding.message


def test_external_parents_and_cycles():
    chain = build("mit", ["someone/else", "meta-llama/Llama-3.1-8B-Instruct", "acme/loop-a"])
    by_id = {link.model_id: link for link in chain.links}
    assert by_id["someone/else"].source == "external" and by_id["someone/else"].status == UNKNOWN
    assert by_id["meta-llama/Llama-3.1-8B-Instruct"].license_id == "llama3.1"
    assert by_id["meta-llama/Llama-3.1-8B-Instruct"].status == INCOMPATIBLE
    assert sorted(by_id) == sorted(
        ["someone/else", "meta-llama/Llama-3.1-8B-Instruct", "acme/loop-a", "acme/loop-b"]
    )
    codes = sorted(f.code for f in chain.findings)
    assert codes == ["lineage-incompatible", "lineage-unverified"]


def test_assessment_refuses_only_public_models_without_a_known_license():
    def assess(metadata, is_public=True):
        return assessment.assess(
            model_id="acme/x", industry="general", is_public=is_public, metadata=metadata, lookup=REGISTRY.get
        )

    public = assess({"license": "apach-2.0"})
    assert [(f.code, f.severity) for f in public.errors] == [("license-unknown", Severity.ERROR)]
    assert "did you mean Apache-2.0" in public.errors[0].message
    private = assess({"license": ""}, is_public=False)
    assert private.errors == []
    assert [(f.code, f.severity) for f in private.findings if f.source == "license"] == [
        ("license-missing", Severity.WARNING)
    ]
    no_card = assess(None)
    assert no_card.errors[0].message == assessment.MISSING_CARD
    custom = assess({"license": "other", "license_name": "Acme", "license_link": "https://acme.example"})
    assert custom.errors == [] and "license-custom" in {f.code for f in custom.findings}
    deprecated = assess({"license": "GPL-3.0"})
    assert "license-deprecated-id" in {f.code for f in deprecated.findings}
    assert assess({"license": "mit", "base_model": "acme/clinical-base"}).has_lineage_conflict
