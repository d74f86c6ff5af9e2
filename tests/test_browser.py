"""The HTML report in a real browser: headless Chromium (Debian's chromium and
chromium-driver packages) driven by Selenium, the page loaded from disk.

Skipped, with the reason, where Selenium, Chromium or chromedriver is missing; .ci/run
installs them so that CI runs it. The screenshot goes under pytest's tmp_path, and also into
$DEPAUDIT_SCREENSHOT_DIR when that is set (e.g. to publish it as a CI artifact).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from report_fixtures import AVOCADO, PLUGIN, falco_report

from audit.history import RunInfo
from audit.report import html

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--window-size=1280,1000",
)


def _find(env: str, *names: str) -> str | None:
    if os.environ.get(env):
        return os.environ[env] if Path(os.environ[env]).is_file() else None
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


CHROMIUM = _find("DEPAUDIT_CHROMIUM", "chromium", "chromium-browser")
CHROMEDRIVER = _find("DEPAUDIT_CHROMEDRIVER", "chromedriver")


def _skip_reason() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    if CHROMIUM is None:
        return "no Chromium: install Debian's chromium package (apt-get install chromium)"
    if CHROMEDRIVER is None:
        return "no chromedriver: install Debian's chromium-driver package"
    return None


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")


def _history() -> list[RunInfo]:
    def run(run_id: int, needs: int, unknown: int) -> RunInfo:
        return RunInfo(
            id=run_id,
            recorded_at=f"2023-0{run_id + 4}-0{run_id}T06:00:00+00:00",
            root="examples/falco-2023",
            project="falco",
            commit=f"{run_id}f6ea9d1c3b2a5e7f8091a2b",
            commit_date=None,
            remote=None,
            tool_version="0.1.0",
            policy="cncf",
            policy_read_on="2023-07-01",
            as_of=None,
            worst="needs-exception",
            components=8,
            by_status=(
                ("denied", 0),
                ("needs-exception", needs),
                ("unknown", unknown),
                ("allowed-by-exception", 0),
                ("not-required", 2),
                ("allowed", 3),
            ),
            by_action=(("remove", 1), ("fix-notice", 1)),
        )

    return [run(1, 4, 2), run(2, 4, 1), run(3, 3, 0)]


def _driver(profile: Path, *, javascript: bool) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    return driver


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(html.render(falco_report(), history=_history()), encoding="utf-8")
    return path


def _visible_rows(driver: Any) -> list[str]:
    from selenium.webdriver.common.by import By

    rows = driver.find_elements(By.CSS_SELECTOR, "#component-table tbody.component")
    return [r.find_element(By.CSS_SELECTOR, "td.id code").text for r in rows if r.is_displayed()]


def test_page_renders_filters_sorts_and_is_captured(
    browser: Any, page: Path, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(page.as_uri())
    assert browser.title == "depaudit · falco"
    assert browser.find_element(By.TAG_NAME, "h1").text == "falco"
    for section in ("summary", "actions", "graph", "components", "history", "problems"):
        element = browser.find_element(By.ID, section)
        assert element.is_displayed(), section
        assert element.size["height"] > 40, section
    cards = browser.find_elements(By.CSS_SELECTOR, "#summary .card .label")
    assert [c.text for c in cards][:3] == ["worst verdict", "decisions", "denied"]
    assert len(browser.find_elements(By.CSS_SELECTOR, "article.action")) == 6
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.graph g.node")) == 11
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.chart g.bar")) == 3
    graph = browser.find_element(By.CSS_SELECTOR, "svg.graph")
    assert graph.size["width"] > 600  # scaled to the page, still readable

    tools = browser.find_element(By.ID, "table-tools")
    assert tools.is_displayed()  # the script showed the controls
    shown = browser.find_element(By.ID, "shown")
    assert shown.text == "all 8 components"
    assert len(_visible_rows(browser)) == 8

    box = browser.find_element(By.ID, "filter")
    box.send_keys("avocado")
    assert _visible_rows(browser) == [PLUGIN, AVOCADO]
    assert shown.text == "2 of 8 components"
    box.clear()
    box.send_keys("kernel")  # the context column
    assert _visible_rows(browser) == ["source:driver"]
    box.clear()
    box.send_keys(" ")  # clear() sends no input event; a blank filter shows everything
    Select(browser.find_element(By.ID, "verdict-filter")).select_by_value("needs-exception")
    assert _visible_rows(browser) == [
        "image:registry.access.redhat.com/ubi8/ubi:latest",
        "source:driver",
        "source:driver/bpf",
    ]
    Select(browser.find_element(By.ID, "verdict-filter")).select_by_value("")
    browser.find_element(By.ID, "flagged-only").click()
    assert len(_visible_rows(browser)) == 5
    browser.find_element(By.ID, "flagged-only").click()
    assert shown.text == "all 8 components"

    verdict_header = browser.find_elements(By.CSS_SELECTOR, "#component-table thead th")[5]
    verdict_header.find_element(By.TAG_NAME, "button").click()
    assert verdict_header.get_attribute("aria-sort") == "descending"
    statuses = [
        r.get_attribute("data-status")
        for r in browser.find_elements(By.CSS_SELECTOR, "#component-table tbody.component")
    ]
    assert statuses == [
        "needs-exception",
        "needs-exception",
        "needs-exception",
        "not-required",
        "not-required",
        "allowed",
        "allowed",
        "allowed",
    ]

    # Following a graph box lands on the component's row.
    browser.find_element(By.CSS_SELECTOR, f'svg.graph g.node[data-id="{AVOCADO}"] a').click()
    assert browser.execute_script("return location.hash") == f"#{html.anchor(AVOCADO)}"

    # Nothing was fetched, and nothing went wrong (a CSP violation would be logged).
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []

    browser.execute_script("window.scrollTo(0, 0)")
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(int(height) + 40, 12000))
    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot))
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
    target = os.environ.get("DEPAUDIT_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(target) / "report.png")


def test_page_reads_with_javascript_off(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from selenium.webdriver.common.by import By

    monkeypatch.setenv("SE_OFFLINE", "true")
    driver = _driver(tmp_path / "profile", javascript=False)
    try:
        driver.get(page.as_uri())
        for section in ("summary", "actions", "graph", "components", "history"):
            assert driver.find_element(By.ID, section).is_displayed(), section
        assert not driver.find_element(By.ID, "table-tools").is_displayed()
        assert len(_visible_rows(driver)) == 8
        assert len(driver.find_elements(By.CSS_SELECTOR, "svg.graph g.node")) == 11
        # The headers stay plain text: no button that would do nothing.
        assert driver.find_elements(By.CSS_SELECTOR, "#component-table th button") == []
    finally:
        driver.quit()
