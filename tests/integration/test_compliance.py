"""License and compliance checks through the real pipeline (PostgreSQL, SeaweedFS, signing) and HTTP."""

import hashlib
import json
import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from evaluators.models import EvaluationRun, Metric
from registry.demo.catalog import seed_catalog
from registry.errors import InvalidModelCard, LicenseRefused
from registry.models import ComplianceCheck, Membership, ModelRepository, Ref, Version
from registry.services import compliance, repositories, tokens
from registry.signing.base import SignatureMismatch, SignedManifest
from registry.signing.ossf import verify_bundle
from tests.fixtures.models import write_model
from tests.integration.helpers import publish

pytestmark = pytest.mark.django_db

HIPAA_WITHOUT_PHI_DETAILS = """---
license: apache-2.0
pipeline_tag: text-generation
compliance:
  frameworks: [HIPAA]
  contains_phi: true
  eu_ai_act_risk: limited
  intended_uses: Summarising discharge notes for clinicians.
---
# Discharge summariser
"""


def card(license_line: str, extra: str = "") -> str:
    return f"---\n{license_line}\n{extra}pipeline_tag: text-generation\n---\n# A model\n"


def model(tmp_path, name: str, card_text: str | None, seed: int = 0):
    folder = write_model(tmp_path / name, seed=seed)
    if card_text is None:
        (folder / "README.md").unlink()
    else:
        (folder / "README.md").write_text(card_text)
    return folder


# --- licenses at ingest ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("card_text", "message"),
    [
        (card("license: apach-2.0"), "license 'apach-2.0' is neither an SPDX identifier"),
        (card("tags: [demo]"), "the model card declares no license"),
        (None, "the version has no model card (README.md)"),
    ],
)
def test_public_version_without_a_known_license_is_refused(tmp_path, card_text, message):
    folder = model(tmp_path, "refused", card_text)
    with pytest.raises(LicenseRefused, match=re.escape(message)) as error:
        publish(folder, "acme/unlicensed")
    assert error.value.status == 422 and error.value.path == "README.md"
    draft = Version.objects.get(repository__name="unlicensed")
    assert draft.status == Version.Status.FAILED and message in draft.failure_reason
    assert draft.commit_id is None and not Ref.objects.filter(repository=draft.repository).exists()
    check = ComplianceCheck.objects.get(version=draft)
    assert check.error_count == 1 and not check.license_known


def test_unknown_license_suggests_the_spdx_id(tmp_path):
    with pytest.raises(LicenseRefused, match=r"did you mean Apache-2\.0"):
        publish(model(tmp_path, "typo", card("license: apach-2.0")), "acme/typo")


def test_private_version_without_a_license_is_published_with_a_warning(tmp_path):
    version = publish(
        model(tmp_path, "private", card("tags: [internal]")), "acme/internal", visibility="private"
    )
    assert version.is_published
    check = version.compliance_check
    assert (check.error_count, check.license_known) == (0, False)
    assert [f["code"] for f in check.findings if f["source"] == "license"] == ["license-missing"]
    assert "required before the model is made public" in check.findings[0]["message"]


@pytest.mark.parametrize(
    ("license_line", "canonical", "commercial"),
    [
        ("license: mit", "MIT", True),
        ("license: cc-by-nc-4.0", "CC-BY-NC-4.0", False),
        ("license: llama3.1", "llama3.1", True),
        ("license: gemma", "gemma", True),
        ("license: Apache-2.0 OR MIT", "Apache-2.0 OR MIT", True),
        ("license: other\nlicense_name: qwen\nlicense_link: https://example.org/LICENSE", "qwen", True),
    ],
)
def test_spdx_and_model_licenses_publish(tmp_path, license_line, canonical, commercial):
    version = publish(model(tmp_path, "licensed", card(license_line)), "acme/licensed")
    check = version.compliance_check
    assert (check.license_id, check.license_known, check.error_count) == (canonical, True, 0)
    assert check.license["license"]["properties"]["commercial_use"] is commercial


# --- lineage -------------------------------------------------------------------------------------


def test_fine_tune_of_a_gemma_model_published_as_apache_is_flagged(tmp_path):
    parent = publish(
        model(tmp_path, "base", card("license: gemma", "base_model: google/gemma-2b\n")), "acme/clinical-base"
    )
    child = publish(
        model(tmp_path, "ft", card("license: apache-2.0", "base_model: acme/clinical-base\n"), seed=1),
        "acme/clinical-ft",
    )
    assert child.is_published  # flagged, not refused
    check = child.compliance_check
    assert check.has_lineage_conflict and check.warning_count >= 1
    conflict = next(f for f in check.findings if f["code"] == "lineage-incompatible")
    assert conflict["severity"] == "warning"
    assert "license conflicts with base model acme/clinical-base" in conflict["message"]
    assert "Gemma Terms of Use (gemma) requires derivatives" in conflict["message"]
    chain = compliance.lineage_chain(version=child)
    assert [
        (link["model_id"], link["depth"], link["source"], link["license_id"], link["status"])
        for link in chain
    ] == [
        ("acme/clinical-base", 1, "registry", "gemma", "incompatible"),
        ("google/gemma-2b", 2, "known upstream", "gemma", "compatible"),
    ]
    assert chain[0]["commit_id"] == parent.commit_id
    assert compliance.summary(version=child)["has_lineage_conflict"] is True


def test_lineage_warning_and_findings_appear_in_the_api_model_detail(client, tmp_path):
    publish(model(tmp_path, "base", card("license: gemma")), "acme/api-base")
    publish(model(tmp_path, "ft", card("license: mit", "base_model: acme/api-base\n"), seed=1), "acme/api-ft")
    detail = client.get("/api/v1/models/acme/api-ft")
    assert detail.status_code == 200
    findings = detail.json()["compliance"]["findings"]
    assert "lineage-incompatible" in {f["code"] for f in findings}


def test_fine_tune_keeping_the_parent_license_is_compatible(tmp_path):
    publish(model(tmp_path, "base", card("license: gemma")), "acme/gemma-base")
    child = publish(
        model(tmp_path, "ft", card("license: gemma", "base_model: [acme/gemma-base]\n"), seed=1),
        "acme/gemma-ft",
    )
    assert not child.compliance_check.has_lineage_conflict
    assert child.compliance_check.lineage[0]["status"] == "compatible"


def test_another_publishers_private_model_stays_hidden_as_a_parent(tmp_path):
    publish(
        model(tmp_path, "secret", card("license: cc-by-nc-4.0")), "rival/secret-base", visibility="private"
    )
    child = publish(
        model(tmp_path, "ft", card("license: apache-2.0", "base_model: rival/secret-base\n"), seed=1),
        "acme/open-ft",
    )
    link = child.compliance_check.lineage[0]
    assert (link["source"], link["license_id"], link["commit_id"], link["status"]) == (
        "external",
        "",
        "",
        "unknown",
    )
    assert not child.compliance_check.has_lineage_conflict


# --- compliance findings at ingest ----------------------------------------------------------------


def test_inconsistent_hipaa_claim_is_published_with_findings(tmp_path):
    folder = model(tmp_path, "hipaa", HIPAA_WITHOUT_PHI_DETAILS)
    repository = repositories.create_repository(
        namespace=repositories.ensure_publisher(slug="clinic"),
        name="discharge",
        actor=None,
        industry="healthcare",
    )
    version = publish(folder, repository.repo_id)
    codes = {f["code"]: f for f in compliance.findings_for_version(version=version)}
    assert "phi_handling" in codes["hipaa-phi-handling"]["message"]
    assert "deidentification_method" in codes["hipaa-phi-handling"]["message"]
    assert "data_residency" in codes["sensitive-data-residency"]["message"]
    assert codes["regulated-incident-contact"]["severity"] == "warning"
    check = version.compliance_check
    assert 0 < check.completeness < 50
    assert "phi_handling" in check.missing and check.answers["contains_phi"] is True


def test_wrongly_typed_compliance_answer_is_refused(tmp_path):
    text = card("license: mit", "compliance:\n  contains_cardholder_data: maybe\n")
    with pytest.raises(
        InvalidModelCard, match="compliance field 'contains_cardholder_data' must be true or false"
    ):
        publish(model(tmp_path, "typed", text), "acme/typed")
    assert not Version.objects.published().filter(repository__name="typed").exists()


# --- the report ---------------------------------------------------------------------------------


REPORT = "/api/v1/models/{repo}/revisions/{revision}/compliance-report"


@pytest.fixture
def reported(tmp_path):
    folder = model(tmp_path, "reported", HIPAA_WITHOUT_PHI_DETAILS)
    version = publish(folder, "clinic/reported")
    return folder, version


def test_report_contains_the_card_license_findings_and_every_digest(client, reported):
    folder, version = reported
    response = client.get(REPORT.format(repo="clinic/reported", revision=version.commit_id))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert (
        f'filename="clinic_reported_{version.commit_id[:12]}-compliance.json"'
        in response["Content-Disposition"]
    )
    report = response.json()
    assert report["model"]["id"] == "clinic/reported" and report["version"]["commit_id"] == version.commit_id
    assert report["card"]["metadata"]["compliance"]["frameworks"] == ["HIPAA"]
    assert report["license"]["license"]["id"] == "Apache-2.0"
    assert report["license"]["license"]["url"] == "https://spdx.org/licenses/Apache-2.0.html"
    assert {f["code"] for f in report["findings"]} >= {"hipaa-phi-handling", "sensitive-data-residency"}
    assert report["compliance"]["answers"]["frameworks"] == ["HIPAA"]
    assert report["evaluations"] == [] and report["evaluations_note"]
    stored = {f.path: f.sha256 for f in version.files.all()}
    assert {f["path"]: f["sha256"] for f in report["files"]} == stored
    for path in ["README.md", "config.json", "tokenizer.json", "model.safetensors"]:
        assert stored[path] == hashlib.sha256((folder / path).read_bytes()).hexdigest()
    assert "model.sig" in stored  # the registry's signature is one of the files


def test_report_carries_evaluation_results_with_their_evidence(client, reported):
    _, version = reported
    run = EvaluationRun.objects.create(
        version=version,
        evaluator="domain-benchmark",
        evaluator_version="1",
        status=EvaluationRun.Status.PASSED,
        is_current=True,
        suite="healthcare",
        dataset_digest="ab" * 32,
        seed=7,
        headline_score=0.8,
        evidence={"items": [{"question": "q1", "correct": True}]},
    )
    Metric.objects.create(run=run, key="mc_accuracy", value=0.8)
    report = client.get(REPORT.format(repo="clinic/reported", revision="main")).json()
    [evaluation] = report["evaluations"]
    assert (evaluation["evaluator"], evaluation["status"], evaluation["dataset_digest"]) == (
        "domain-benchmark",
        "passed",
        "ab" * 32,
    )
    assert evaluation["metrics"] == [
        {"key": "mc_accuracy", "value": 0.8, "unit": "", "higher_is_better": True}
    ]
    assert evaluation["evidence"] == {"items": [{"question": "q1", "correct": True}]}
    assert (
        version.commit_id in evaluation["evidence_url"] and "domain-benchmark" in evaluation["evidence_url"]
    )
    assert report["evaluations_note"] == ""


def test_report_verifies_against_the_signature(client, reported):
    _, version = reported
    report = client.get(REPORT.format(repo="clinic/reported", revision="main")).json()
    [signature] = [s for s in report["signatures"] if s["kind"] == "registry"]
    assert signature["path"] == "model.sig"
    assert signature["root_digest"] == report["content_digest"]
    assert signature["subject"] == f"clinic/reported@{version.commit_id}"
    bundle = json.dumps(signature["bundle"]).encode()
    digests = {f["path"]: f["sha256"] for f in report["files"]}
    manifest = SignedManifest(name=signature["subject"], sha256_by_path=digests)
    info = verify_bundle(bundle, manifest, signature["public_key_pem"].encode())
    assert info.sha256_by_path == {p: d for p, d in digests.items() if p != "model.sig"}
    tampered = {**digests, "model.safetensors": "0" * 64}
    with pytest.raises(SignatureMismatch, match=r"model\.safetensors: content differs"):
        verify_bundle(
            bundle,
            SignedManifest(name=signature["subject"], sha256_by_path=tampered),
            signature["public_key_pem"].encode(),
        )


def test_printable_html_report(client, reported):
    _, version = reported
    response = client.get(REPORT.format(repo="clinic/reported", revision="main") + "?format=html")
    assert response.status_code == 200 and response["Content-Type"] == "text/html; charset=utf-8"
    page = response.content.decode()
    assert f"<code>{version.commit_id}</code>" in page
    assert "hipaa-phi-handling" in page and "Apache License 2.0" in page
    for file in version.files.all():
        assert file.sha256 in page
    bad = client.get(REPORT.format(repo="clinic/reported", revision="main") + "?format=pdf")
    assert bad.status_code == 400
    assert bad.json()["error"] == {
        "code": "InvalidInput",
        "message": "format 'pdf' is not offered; use one of: json, html",
    }


def test_report_goes_through_the_access_gate(client, tmp_path):
    version = publish(
        model(tmp_path, "private", card("license: mit")), "vault/private-model", visibility="private"
    )
    url = REPORT.format(repo="vault/private-model", revision="main")
    anonymous = client.get(url)
    assert anonymous.status_code == 404 and anonymous.json()["error"]["code"] == "RepoNotFound"
    member = get_user_model().objects.create_user("auditor")
    Membership.objects.create(
        publisher=version.repository.namespace, user=member, role=Membership.Role.READER
    )
    _, raw = tokens.create_token(user=member, name="audit", scope="read")
    with_token = client.get(url, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert with_token.status_code == 200 and with_token.json()["version"]["commit_id"] == version.commit_id
    assert client.get(REPORT.format(repo="vault/private-model", revision="nope")).status_code == 404
    missing = client.get(url.replace("private-model", "absent"))
    assert missing.status_code == 404


def test_gated_model_report_is_readable_metadata(client, tmp_path):
    publish(
        model(tmp_path, "gated", card("license: gemma")), "clinic/gated", gating=ModelRepository.Gating.MANUAL
    )
    assert client.get(REPORT.format(repo="clinic/gated", revision="main")).status_code == 200


# --- badges -------------------------------------------------------------------------------------


def test_badges(client, tmp_path):
    publish(model(tmp_path, "base", card("license: gemma")), "acme/badge-base")
    child = publish(
        model(tmp_path, "ft", card("license: apache-2.0", "base_model: acme/badge-base\n"), seed=1),
        "acme/badge-ft",
    )
    score = child.compliance_check.completeness
    compliance_svg = client.get("/api/v1/models/acme/badge-ft/badges/compliance.svg")
    assert compliance_svg.status_code == 200 and compliance_svg["Content-Type"] == "image/svg+xml"
    assert f">{score}%</text>" in compliance_svg.content.decode()
    license_svg = client.get("/api/v1/models/acme/badge-ft/badges/license.svg").content.decode()
    assert "Apache-2.0 (lineage conflict)" in license_svg
    findings_svg = client.get("/api/v1/models/acme/badge-ft/badges/findings.svg").content.decode()
    warnings = child.compliance_check.warning_count
    assert f">{warnings} warning{'s' * (warnings != 1)}</text>" in findings_svg
    clean = client.get("/api/v1/models/acme/badge-base/badges/license.svg").content.decode()
    assert ">gemma</text>" in clean and "lineage conflict" not in clean
    assert client.get("/api/v1/models/acme/nothing/badges/compliance.svg").status_code == 404


# --- the demo catalog ---------------------------------------------------------------------------


def test_demo_catalog_shows_a_lineage_warning_and_compliance_findings():
    lineage_model, parent_model = (
        "meridian-health/discharge-notes-gemma",
        "meridian-health/clinical-gemma-mini",
    )
    findings_model = "meridian-health/triage-mobilebert"
    seed_catalog(
        log=lambda line: None, show_progress=False, only={parent_model, lineage_model, findings_model}
    )

    def head(repo_id):
        return repositories.resolve_revision(repository=repositories.get_repository(repo_id), revision="main")

    conflicted = head(lineage_model).compliance_check
    assert conflicted.has_lineage_conflict
    assert [link["model_id"] for link in conflicted.lineage] == [parent_model, "google/gemma-2b"]
    parent = head(parent_model).compliance_check
    assert (parent.license_id, parent.has_lineage_conflict, parent.warning_count) == ("gemma", False, 0)
    flagged = {f["code"] for f in head(findings_model).compliance_check.findings}
    assert {"hipaa-phi-handling", "eu-ai-act-high-risk-documentation"} <= flagged


def test_check_compliance_command_fills_in_versions_without_a_check(tmp_path):
    version = publish(model(tmp_path, "old", card("license: gemma")), "acme/older")
    ComplianceCheck.objects.filter(version=version).delete()  # as if published before the checks existed
    assert compliance.summary(version=version) is None
    out = StringIO()
    call_command("check_compliance", stdout=out)
    assert f"acme/older@{version.commit_id[:12]}: license gemma" in out.getvalue()
    assert compliance.summary(version=version)["license"]["license"]["id"] == "gemma"
    again = StringIO()
    call_command("check_compliance", stdout=again)
    assert "checked 0 version(s)" in again.getvalue()
