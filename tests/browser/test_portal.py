"""The publisher portal in Chromium against a live server and the real SeaweedFS: sign up, create an
organisation and a repository, upload a model folder straight to S3 in several parts, watch it
publish and find it in the catalog; then an upload cut mid-way that resumes after a reload."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect
from safetensors.numpy import save_file

from registry.models import ApiToken, Membership, ModelRepository, Ref, UploadSession
from registry.services import accounts, repositories
from registry.storage import get_store
from tests.compat.helpers import folder_digests
from tests.fixtures.models import write_model

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery-9"
PART = 5 << 20


@pytest.fixture
def site(live_server, settings, s3_server):
    """The live server, with 5 MiB parts and bucket CORS for its origin (browser multipart needs
    the ETag header exposed)."""
    settings.REGISTRY_UPLOAD_PART_SIZE = PART
    get_store().allow_browser_uploads([live_server.url, live_server.url.replace("localhost", "127.0.0.1")])
    return live_server.url


DROP_PART_SCRIPT = """
(() => {
  const open = XMLHttpRequest.prototype.open;
  XMLHttpRequest.prototype.open = function (method, url, ...rest) {
    const part = localStorage.getItem("test:drop-part");
    if (part && new URL(url, location.href).searchParams.get("partNumber") === part) url = "http://127.0.0.1:9/";
    return open.call(this, method, url, ...rest);
  };
})();
"""


def model_with_weights(folder: Path, *, mib: int, seed: int) -> Path:
    write_model(folder, seed=seed)
    rng = np.random.default_rng(seed)
    save_file({"w": rng.standard_normal(mib << 18).astype(np.float32)}, folder / "model.safetensors")
    return folder


def test_sign_up_create_organisation_and_repository_upload_and_publish(
    page: Page, site, tmp_path, screenshot
):
    folder = model_with_weights(tmp_path / "triage-mini", mib=11, seed=21)  # 3 parts of 5 MiB

    page.goto(f"{site}/portal/signup")
    page.get_by_label("Username").fill("vendor1")
    page.get_by_label("Email").fill("vendor1@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    screenshot("portal-signup")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Publisher portal")).to_be_visible()

    page.get_by_role("link", name="New organisation").click()
    page.get_by_label("Organisation id").fill("acme-health")
    page.get_by_label("Display name").fill("Acme Health")
    page.get_by_role("button", name="Create organisation").click()
    expect(page.get_by_role("heading", name=re.compile("Acme Health"))).to_be_visible()
    screenshot("portal-organisation")

    page.get_by_role("link", name="New repository").click()
    page.get_by_label("Owner").select_option("acme-health")
    page.get_by_label("Name").fill("triage-mini")
    page.get_by_label("Industry").select_option("healthcare")
    page.get_by_label("Task").fill("text-generation")
    page.get_by_label("Visibility").select_option("public")
    page.get_by_label("License").fill("apache-2.0")
    screenshot("portal-new-repository")
    page.get_by_role("button", name="Create repository").click()
    expect(page.get_by_role("heading", name="Upload a version of acme-health/triage-mini")).to_be_visible()

    page.set_input_files("#pick-folder", str(folder))
    expect(page.locator("#file-list li")).to_have_count(4)
    page.get_by_label("Version message").fill("First release")
    # The card editor writes README.md (instead of the folder's) with the compliance answers.
    page.get_by_text("Model card and compliance").click()
    page.get_by_label("Write README.md from this form").check()
    page.locator("#card-license").fill("apache-2.0")
    page.locator("#card-tags").fill("healthcare, triage")
    page.get_by_label("Intended use").fill("Routing patient messages to the right team.")
    page.get_by_label("Card body (markdown)").fill("# Triage mini\n\nA **tiny** triage model.")
    page.get_by_label("HIPAA").check()
    page.get_by_label("Trained on protected health information (PHI)?").select_option("no")
    page.get_by_role("button", name="Check and preview the card").click()
    expect(page.locator("#card-preview strong")).to_have_text("tiny")
    screenshot("portal-card-editor")
    page.get_by_role("button", name="Upload and publish").click()
    expect(page.locator("#result")).to_contain_text("Published acme-health/triage-mini", timeout=90_000)
    expect(page.locator('#steps [data-step="publish"]')).to_have_class("done")
    screenshot("portal-upload-published")

    repository = ModelRepository.objects.get(namespace__slug="acme-health", name="triage-mini")
    head = Ref.objects.get(repository=repository, name="main").version
    assert head.is_published and head.message == "First release"
    pushed = folder_digests(folder)
    del pushed["README.md"]  # replaced by the editor's card
    assert {f.path: f.sha256 for f in head.files.exclude(path__in=["model.sig", "README.md"])} == pushed
    assert head.card.metadata["tags"] == ["healthcare", "triage"] and head.license == "apache-2.0"
    assert head.compliance.frameworks == ["HIPAA"] and head.compliance.contains_phi is False
    weights = UploadSession.objects.get(path="model.safetensors")
    assert weights.part_count == 3 and weights.status == UploadSession.Status.COMPLETED

    page.goto(f"{site}/models?search=triage")
    expect(page.get_by_text("acme-health/triage-mini").first).to_be_visible()

    page.goto(f"{site}/portal/repos/acme-health/triage-mini")
    expect(page.get_by_text("published", exact=True)).to_be_visible()
    page.get_by_label("Access to the files").select_option("manual")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Settings saved: public, gated, manual approval.")).to_be_visible()
    assert ModelRepository.objects.get(pk=repository.pk).gating == "manual"
    page.get_by_label("Tag name").fill("v1")
    page.get_by_role("button", name="Tag").click()
    expect(page.locator(".pill", has_text="v1")).to_be_visible()
    screenshot("portal-repository")
    page.get_by_role("button", name="Yank").click()
    expect(page.locator(".pill", has_text="yanked")).to_be_visible()
    assert Ref.objects.get(repository=repository, name="main").version.is_yanked

    page.goto(f"{site}/portal/tokens")
    page.get_by_label("Name").fill("ci")
    page.get_by_label("Scope").select_option("write")
    page.get_by_label("Expires in (days)").fill("30")
    page.get_by_role("button", name="Create token").click()
    raw = page.locator("#new-token").inner_text()
    assert raw.startswith("slm_")
    screenshot("portal-tokens")
    page.reload()
    expect(page.locator("#new-token")).to_have_count(0)  # shown once
    page.get_by_role("button", name="Revoke ci").click()
    expect(page.get_by_text("revoked", exact=True)).to_be_visible()
    assert ApiToken.objects.get(name="ci").revoked_at is not None


def test_an_interrupted_upload_resumes_after_a_reload_without_resending_stored_parts(
    page: Page, site, tmp_path, screenshot
):
    user = get_user_model().objects.create_user(username="uploader", password=PASSWORD)
    publisher = accounts.create_organisation(slug="resume-co", display_name="Resume Co", owner=user)
    repositories.create_repository(namespace=publisher, name="big-model", actor=user)
    assert Membership.objects.filter(user=user, role="owner").exists()
    folder = model_with_weights(tmp_path / "big-model", mib=18, seed=22)  # 4 parts

    page.add_init_script(DROP_PART_SCRIPT)
    page.goto(f"{site}/accounts/login/?next=/portal/repos/resume-co/big-model/upload")
    page.get_by_label("Username").fill("uploader")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # The network fails every attempt at part 3 of the weights: the page's own XHRs for it go to a
    # closed port (deterministic; Playwright's request interception missed them once in CI).
    expect(page.locator("#pick-folder")).to_be_attached()
    page.evaluate("localStorage.setItem('test:drop-part', '3')")
    page.set_input_files("#pick-folder", str(folder))
    page.get_by_role("button", name="Upload and publish").click()
    expect(page.locator("#result")).to_contain_text("Upload interrupted", timeout=60_000)
    screenshot("portal-upload-interrupted")
    session = UploadSession.objects.get(path="model.safetensors")
    assert session.part_count == 4, f"planned {session.part_count} part(s) of {session.part_size} bytes"
    stored_before = {n for n, _, _ in get_store().list_parts(session.storage_key, session.upload_id)}
    assert {1, 2} <= stored_before and 3 not in stored_before

    page.evaluate("localStorage.removeItem('test:drop-part')")
    page.reload()
    expect(page.locator("#resume-notice")).to_be_visible()
    sent_after_reload: list[str] = []
    page.on("request", lambda r: sent_after_reload.append(r.url) if r.method == "PUT" else None)
    page.set_input_files("#pick-folder", str(folder))
    page.get_by_role("button", name="Upload and publish").click()
    expect(page.locator("#result")).to_contain_text("Published resume-co/big-model", timeout=90_000)

    weights_puts = [u for u in sent_after_reload if session.storage_key in u]
    parts_sent = {int(m.group(1)) for u in weights_puts if (m := re.search(r"partNumber=(\d+)", u))}
    assert 3 in parts_sent and not parts_sent & stored_before  # only the missing parts travelled
    assert UploadSession.objects.filter(path="model.safetensors").count() == 1  # the same upload, resumed
    head = Ref.objects.get(repository__name="big-model", name="main").version
    assert {f.path: f.sha256 for f in head.files.exclude(path="model.sig")} == folder_digests(folder)


def test_files_chosen_while_the_page_is_still_loading_are_taken(page: Page, site, tmp_path):
    """The uploader's script is deferred: a folder picked before it runs (a slow network; CI once)
    fired its change event before anyone listened. The script must still list those files."""
    user = get_user_model().objects.create_user(username="early", password=PASSWORD)
    publisher = accounts.create_organisation(slug="early-co", display_name="Early Co", owner=user)
    repositories.create_repository(namespace=publisher, name="quick", actor=user)
    folder = write_model(tmp_path / "quick", seed=5)
    page.goto(f"{site}/accounts/login/?next=/portal/")
    page.get_by_label("Username").fill("early")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Publisher portal")).to_be_visible()

    held = []
    page.route("**/uploader.js", lambda route: held.append(route))
    page.goto(f"{site}/portal/repos/early-co/quick/upload", wait_until="commit")
    expect(page.locator("#pick-folder")).to_be_attached()
    page.set_input_files("#pick-folder", str(folder))
    page.wait_for_timeout(100)
    assert len(held) == 1 and page.locator("#file-list li").count() == 0  # the script has not run
    held[0].continue_()
    expect(page.locator("#file-list li")).to_have_count(len(list(folder.iterdir())))
    expect(page.get_by_role("button", name="Upload and publish")).to_be_enabled()
