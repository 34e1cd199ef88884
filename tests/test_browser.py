"""The published findings in a real browser: headless Chromium driven by Playwright.

Opens the home page and a dashboard against a real `trendscout serve`, checks that the
charts drew marks from the data, that nothing was fetched from outside this machine, and
saves screenshots under test-artifacts/ (the README's screenshot comes from here).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.findings_fixture import build_findings_db, running_datasette

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists() and not shutil.which("chromium"),
        reason="Chromium is not installed (apt-get install -y chromium fonts-noto-cjk)",
    ),
]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db_path = tmp_path_factory.mktemp("browser") / "findings.db"
    build_findings_db(db_path)
    with running_datasette(db_path) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")),
            args=CHROMIUM_ARGS,
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.hosts_requested = set()  # type: ignore[attr-defined]
    page.on("request", lambda r: page.hosts_requested.add(urlsplit(r.url).hostname))
    yield page
    context.close()


def chart_marks(page: Any, selector: str) -> int:
    """Wait until the chart in ``selector`` drew SVG marks; return how many."""
    marks = f"{selector} svg .role-mark > path, {selector} svg .role-mark > g > path"
    page.wait_for_selector(f"{selector} svg .role-mark", timeout=20_000)
    return int(page.locator(marks).count())


def test_home_page_shows_findings_and_draws_the_weekly_chart(
    page: Any, base_url: str, artifacts_dir: Path
) -> None:
    page.goto(base_url + "/")
    assert page.locator("#emerging").get_by_text("Starfall Arena", exact=True).is_visible()
    assert page.locator("#shifts").get_by_text("from 18% to 41%").is_visible()
    bars = chart_marks(page, "#ts-weekly-chart")
    assert bars >= 12 * 4  # twelve weeks, four languages
    page.screenshot(path=str(artifacts_dir / "datasette-home.png"), full_page=True)
    assert page.hosts_requested == {"127.0.0.1"}


def test_timeline_dashboard_draws_the_entity_chart(
    page: Any, base_url: str, artifacts_dir: Path
) -> None:
    page.goto(base_url + "/-/dashboards/timelines?entity=Starfall+Arena")
    bars = chart_marks(page, "#chart-entity-timeline")
    topic_bars = chart_marks(page, "#chart-topic-timeline")
    assert bars >= 12 and topic_bars >= 12
    legend = page.locator("#chart-entity-timeline svg").text_content()
    assert "zh" in legend and "vi" in legend
    page.screenshot(path=str(artifacts_dir / "datasette-timelines.png"), full_page=True)
    assert page.hosts_requested == {"127.0.0.1"}


def test_overview_dashboard_draws_every_chart(
    page: Any, base_url: str, artifacts_dir: Path
) -> None:
    page.goto(base_url + "/-/dashboards/overview")
    for chart in ("volume", "topics", "segments", "trend-scores"):
        assert chart_marks(page, f"#chart-{chart}") > 0, chart
    page.screenshot(path=str(artifacts_dir / "datasette-overview.png"), full_page=True)
