"""The marketplace as a buyer meets it in Chromium, on the demo catalog: search and filters, the model
page, compare, leaderboards, gated access then a pull with the real `huggingface_hub` client, a
hostile model card, a phone screen and the keyboard. Screenshots land in artifacts/screenshots/."""

import hashlib
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from huggingface_hub import snapshot_download
from huggingface_hub.errors import GatedRepoError
from playwright.sync_api import Page, expect

from registry.models import AccessGrant, Membership, ModelRepository, Publisher
from registry.services import tokens
from tests.browser.conftest import SCREENSHOTS
from tests.fixtures.models import CARD, write_model
from tests.integration.helpers import publish

PASSWORD = "correct-horse-battery"


@pytest.fixture
def url(demo_server):
    return demo_server.url


def result_ids(page: Page) -> list[str]:
    return page.locator("li.result").evaluate_all("rows => rows.map(r => r.dataset.repo)")


def log_in(page: Page, url: str, username: str, next_path: str = "/") -> None:
    page.goto(f"{url}/accounts/login/?next={next_path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def make_user(username: str, *, owner_of: str | None = None):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD)
    if owner_of:
        Membership.objects.create(
            publisher=Publisher.objects.get(slug=owner_of), user=user, role=Membership.Role.OWNER
        )
    return user


def test_home_page_leads_to_the_industries(page: Page, url, screenshot):
    page.goto(url + "/")
    expect(page.get_by_role("heading", name="Domain small language models")).to_be_visible()
    expect(page.locator("#featured li")).not_to_have_count(0)
    screenshot("home")
    page.get_by_role("link", name=re.compile("^Healthcare")).first.click()
    expect(page).to_have_url(re.compile(r"/models\?industry=healthcare$"))
    assert result_ids(page) and all(i.startswith("meridian-health/") for i in result_ids(page))


def test_search_and_filters_narrow_the_list(page: Page, url, screenshot):
    page.goto(url + "/models")
    everything = result_ids(page)
    assert "ledgerline/internal-mistral-mini" not in everything  # private to ledgerline
    assert {"northwind/retail-llama-mini", "ledgerline/finance-phi3-mini"} <= set(everything)
    screenshot("catalog")

    page.get_by_role("searchbox", name="Search models").last.fill("clinical")
    page.get_by_role("searchbox", name="Search models").last.press("Enter")
    expect(page.locator("li.result")).to_have_count(2)
    assert set(result_ids(page)) == {
        "meridian-health/clinical-gemma-mini",
        "meridian-health/clinical-gemma3-mini",
    }

    page.goto(url + "/models")
    page.get_by_role("navigation", name="Industry").get_by_role("link", name=re.compile("^Finance")).click()
    expect(page.get_by_role("link", name="Remove filter Industry Finance")).to_be_visible()
    finance = result_ids(page)
    assert finance and all(i.startswith("ledgerline/") for i in finance)
    page.get_by_role("navigation", name="License").get_by_role("link", name=re.compile("^mit")).click()
    expect(page.locator("li.result")).to_have_count(1)
    assert result_ids(page) == ["ledgerline/finance-phi3-mini"]
    screenshot("catalog-filtered")

    page.get_by_role("link", name="Remove filter Industry Finance").click()
    assert result_ids(page) == ["ledgerline/finance-phi3-mini"]  # still mit
    page.get_by_role("link", name="Clear all").click()
    expect(page.locator("li.result")).to_have_count(len(everything))


def test_model_page_shows_card_badges_files_and_the_snippet(page: Page, url, screenshot):
    repository = ModelRepository.objects.get(namespace__slug="northwind", name="retail-llama-mini")
    version = repository.refs.get(name="main").version
    page.goto(url + "/northwind/retail-llama-mini")
    expect(page.get_by_role("heading", name="northwind/retail-llama-mini", level=1)).to_be_visible()
    card = page.locator("article.card-body")
    expect(card.get_by_role("heading", name="retail-llama-mini")).to_be_visible()
    expect(card).to_contain_text("Intended uses")
    badges = page.get_by_role("list", name="Badges")
    expect(badges).to_contain_text("safetensors ✓")
    expect(badges).to_contain_text("GDPR")
    files = page.locator("table.files tbody tr")
    expect(files).to_have_count(version.files.count())
    weights = version.files.get(path="model.safetensors")
    expect(page.locator("table.files")).to_contain_text(weights.sha256)
    snippet = page.locator("#use pre").first
    expect(snippet).to_contain_text(f'os.environ["HF_ENDPOINT"] = "{url}"')
    expect(snippet).to_contain_text('snapshot_download("northwind/retail-llama-mini")')
    expect(page.locator("#versions tbody tr")).to_have_count(2)  # v1 and v2
    expect(page.locator("#compliance")).to_contain_text("Drafting product descriptions")
    expect(page.locator("#evaluation")).to_contain_text("No evaluation results yet")
    screenshot("model")


def test_compare_page_lines_up_two_models(page: Page, url, screenshot):
    page.goto(url + "/models?sort=name")
    page.get_by_role("listitem").filter(has_text="ledgerline/finance-qwen3-mini").get_by_label(
        "Compare"
    ).check()
    page.get_by_role("listitem").filter(has_text="northwind/retail-qwen2-mini").get_by_label(
        "Compare"
    ).check()
    expect(page.locator("#compare-count")).to_have_text("2 of 4 selected")
    page.get_by_role("button", name="Compare selected").click()
    table = page.locator("#comparison")
    headers = table.locator("thead th")
    expect(headers).to_have_text(["ledgerline/finance-qwen3-mini", "northwind/retail-qwen2-mini"])
    license_row = table.get_by_role("row", name=re.compile("^License"))
    expect(license_row.locator("td")).to_have_text(["apache-2.0", "apache-2.0"])
    frameworks = table.get_by_role("row", name=re.compile("^Compliance frameworks"))
    expect(frameworks.locator("td").nth(0)).to_contain_text("SOX")
    expect(frameworks.locator("td").nth(1)).not_to_contain_text("SOX")
    expect(page.get_by_label("Model 1")).to_have_value("ledgerline/finance-qwen3-mini")
    screenshot("compare")


def test_leaderboard_has_a_table_readable_without_javascript(page: Page, url, screenshot):
    page.goto(url + "/leaderboards?industry=finance")
    table = page.locator("#leaderboard")
    expect(table).to_contain_text("ledgerline/finance-phi3-mini")
    expect(table).not_to_contain_text("internal-mistral-mini")
    expect(page.locator("#no-scores")).to_be_visible()  # no evaluator has scored anything yet
    screenshot("leaderboard")


def test_leaderboard_chart_plots_evaluated_models_and_needs_no_javascript(browser, url):
    from evaluators.models import EvaluationRun

    for name, score in (("finance-phi3-mini", 0.71), ("finance-qwen3-mini", 0.64)):
        version = ModelRepository.objects.get(name=name).refs.get(name="main").version
        EvaluationRun.objects.create(
            version=version,
            evaluator="domain-benchmark",
            evaluator_version="1",
            status=EvaluationRun.Status.PASSED,
            is_current=True,
            headline_score=score,
            finished_at=timezone.now(),
        )
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto(url + "/leaderboards?industry=finance")
        chart = page.get_by_role("img", name=re.compile("Finance text-generation: eval score"))
        expect(chart).to_be_visible()
        expect(chart.locator("circle")).to_have_count(2)
        rows = page.locator("#leaderboard tbody tr")
        expect(rows.nth(0)).to_contain_text("ledgerline/finance-phi3-mini")
        expect(rows.nth(0)).to_contain_text("0.71")
        expect(rows.nth(1)).to_contain_text("0.64")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "leaderboard-chart.png"), full_page=True)
    finally:
        context.close()


def test_accepting_gated_terms_then_pulling_with_huggingface_hub(page: Page, url, tmp_path, screenshot):
    """Automatic gating grants at once; manual gating waits for the publisher's approval in the portal.
    Either way the real client's pull with the user's token goes from 403 to the published bytes."""
    buyer = make_user("buyer")
    _, token = tokens.create_token(user=buyer, scope="read", name="laptop")
    make_user("meridian-owner", owner_of="meridian-health")

    def pull(repo_id: str):
        return snapshot_download(repo_id, endpoint=url, token=token, cache_dir=tmp_path / "hf-cache")

    auto = "meridian-health/clinical-gemma3-mini"
    with pytest.raises(GatedRepoError):
        pull(auto)
    log_in(page, url, "buyer", next_path=f"/{auto}")
    page.get_by_role("link", name="Request access").click()
    expect(page.get_by_role("heading", name="License terms")).to_be_visible()
    page.get_by_label("Company").fill("Acme Clinics")
    page.get_by_label("Intended use").fill("Summarising discharge notes")
    page.get_by_role("button", name="Accept and get access").click()  # refused: terms not accepted
    expect(page.get_by_text("You must accept the terms to request access.")).to_be_visible()
    page.get_by_label("I have read and accept the license terms above").check()
    screenshot("gated-terms")
    page.get_by_role("button", name="Accept and get access").click()
    expect(page.get_by_role("status")).to_contain_text("Access granted")
    grant = AccessGrant.objects.get(user=buyer, repository__name="clinical-gemma3-mini")
    assert grant.status == AccessGrant.Status.APPROVED
    assert grant.answers == {"Company": "Acme Clinics", "Intended use": "Summarising discharge notes"}
    folder = pull(auto)
    version = ModelRepository.objects.get(name="clinical-gemma3-mini").refs.get(name="main").version
    for file in version.files.all():
        assert hashlib.sha256((Path(folder) / file.path).read_bytes()).hexdigest() == file.sha256

    manual = "meridian-health/clinical-gemma-mini"
    page.goto(f"{url}/{manual}/access")
    page.get_by_label("Company").fill("Acme Clinics")
    page.get_by_label("Intended use").fill("Research")
    page.get_by_label("I have read and accept the license terms above").check()
    page.get_by_role("button", name="Send request").click()
    expect(page.locator("#access")).to_contain_text("waiting for meridian-health")
    with pytest.raises(GatedRepoError):
        pull(manual)

    page.get_by_role("button", name="Log out").click()
    log_in(page, url, "meridian-owner", next_path=f"/{manual}")
    page.get_by_role("link", name="Manage access requests").click()
    expect(page.locator("#pending-requests")).to_contain_text("Research")
    screenshot("access-requests")
    page.get_by_role("button", name="Approve buyer").click()
    expect(page.get_by_role("status")).to_contain_text("buyer's request approved")
    assert pull(manual)


def test_malicious_card_renders_inert(page: Page, url, tmp_path, screenshot):
    hostile = CARD + (
        "\n<script>window.pwned = 'script'; document.title = 'pwned'</script>\n\n"
        "[click me](javascript:window.pwned='link')\n\n"
        '<a href="javascript:window.pwned=\'raw\'" id="raw-link">raw link</a>\n\n'
        '<img src="/nope.png" onerror="window.pwned=\'onerror\'">\n\n'
        "<p onmouseover=\"window.pwned='hover'\">hover me</p>\n\n"
        "<iframe src=\"javascript:parent.pwned='frame'\"></iframe>\n\n"
        '<svg><script>window.pwned="svg"</script></svg>\n'
    )
    publish(write_model(tmp_path / "evil", card=hostile), "mallory/evil-card")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(url + "/mallory/evil-card")
    card = page.locator("article.card-body")
    expect(card).to_contain_text("hover me")
    card.get_by_text("hover me").hover()
    for name in ("click me", "raw link"):
        card.get_by_text(name).click()
    page.wait_for_timeout(300)
    assert page.evaluate("window.pwned") is None
    assert page.title() != "pwned" and not dialogs
    assert card.locator("script, iframe, svg, [onerror], [onmouseover]").count() == 0
    hrefs = card.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert not [h for h in hrefs if h and h.strip().lower().startswith("javascript")]
    screenshot("malicious-card")


def test_phone_layout_has_no_sideways_scrolling(page: Page, url, screenshot):
    page.set_viewport_size({"width": 390, "height": 844})
    for path, name in [
        ("/", "home-phone"),
        ("/models", "catalog-phone"),
        ("/northwind/retail-llama-mini", "model-phone"),
    ]:
        page.goto(url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
        screenshot(name)
    page.goto(url + "/models")
    expect(page.locator("details.filters")).not_to_have_attribute("open", "")  # results come first
    page.get_by_text("Filters", exact=True).click()
    expect(page.get_by_role("navigation", name="Industry")).to_be_visible()


def test_keyboard_reaches_everything_and_every_field_has_a_label(page: Page, url):
    page.goto(url + "/models")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.closest('main') !== null")
    assert focused, "after skipping, Tab lands inside the main content"
    unlabeled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
            .map(el => el.outerHTML)"""
    )
    assert unlabeled == []
    # a facet link is reachable and operable from the keyboard alone
    link = page.get_by_role("navigation", name="Industry").get_by_role("link").first
    link.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"industry="))
