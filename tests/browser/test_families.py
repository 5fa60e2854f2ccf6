"""The demo catalog's model family and external listing in Chromium: the family panel on the base's
page with each member's figures and the "smallest variant above a score" picker, the fits-in
filter, and the external listing marked as having no weights. Screenshots: model-family.png,
external-listing.png and catalog-fits-in.png in artifacts/screenshots/."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from evaluators.models import EvaluationRun
from registry.models import Version

BASE = "northwind/retail-llama-mini"
INT8 = "northwind/retail-llama-mini-int8"
MICRO = "northwind/retail-llama-micro"
SCORES = {BASE: 0.62, INT8: 0.6, MICRO: 0.41}


@pytest.fixture
def url(demo_server):
    return demo_server.url


@pytest.fixture
def scored(demo_server):
    """Headline scores for the family (the demo's evaluations run on a worker these tests lack);
    removed afterwards, so the other browser tests see the catalog as seeded."""
    runs = []
    for repo_id, value in SCORES.items():
        version = (
            Version.objects.published().filter(refs__name="main").get(repository__name=repo_id.split("/")[1])
        )
        runs.append(
            EvaluationRun.objects.create(
                version=version,
                evaluator="domain-benchmark",
                evaluator_version="test",
                status=EvaluationRun.Status.PASSED,
                is_current=True,
                headline_score=value,
                finished_at=timezone.now(),
            )
        )
    yield
    EvaluationRun.objects.filter(pk__in=[r.pk for r in runs]).delete()


def test_family_panel_compares_the_variants(page: Page, url, scored, screenshot):
    page.goto(f"{url}/{BASE}")
    panel = page.locator("#family")
    expect(panel.get_by_role("heading", name=re.compile("Model family"))).to_be_visible()
    rows = panel.locator("tbody tr")
    expect(rows).to_have_count(3)
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.member)") == [BASE, MICRO, INT8]
    expect(panel.locator(f'tr[data-member="{INT8}"]')).to_contain_text("Quantized")
    expect(panel.locator(f'tr[data-member="{INT8}"]')).to_contain_text("int8")
    expect(panel.locator(f'tr[data-member="{MICRO}"]')).to_contain_text("Distilled")
    expect(panel.locator(f'tr[data-member="{BASE}"]')).to_contain_text("0.62")
    panel.get_by_label("Smallest variant scoring at least").fill("0.55")
    panel.get_by_role("button", name="Find").click()
    expect(page.locator("#family-pick-result")).to_contain_text(INT8)
    expect(page.locator(f'#family tr[data-member="{INT8}"]')).to_have_class("picked")
    page.locator("#family").scroll_into_view_if_needed()
    screenshot("model-family")
    page.locator(f'#family a[href="/{MICRO}"]').click()
    expect(page.get_by_role("heading", name=MICRO, level=1)).to_be_visible()
    expect(page.locator(f'#family tr[data-member="{MICRO}"]')).to_have_attribute("aria-current", "true")


def test_fits_in_filter_narrows_the_catalog(page: Page, url, screenshot):
    page.goto(f"{url}/models?industry=retail")
    form = page.get_by_role("form", name="Fits in memory")
    form.get_by_label("Fits in gigabytes").fill("0.0002")  # 200 KB: the micro student and the int8 copy
    form.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("link", name=re.compile("Remove filter Fits in GB"))).to_be_visible()
    ids = page.locator("li.result").evaluate_all("rows => rows.map(r => r.dataset.repo)")
    assert MICRO in ids and BASE not in ids
    screenshot("catalog-fits-in")


def test_external_listing_says_there_are_no_weights(page: Page, url, screenshot):
    page.goto(f"{url}/models?search=o3")
    row = page.locator('li.result[data-repo="openai/o3-mini"]')
    expect(row).to_contain_text("API only · no weights here")
    row.get_by_role("link", name="openai/o3-mini").click()
    expect(page.get_by_role("heading", name="External listing: no weights here")).to_be_visible()
    expect(page.locator("#external")).to_contain_text("OpenAI's API")
    expect(page.locator("#files")).to_have_count(0)
    expect(page.locator("#evaluation")).to_contain_text("Retail QA (demo figure)")
    screenshot("external-listing")
