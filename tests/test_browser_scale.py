"""The HTML report of a real tree in a real browser: kepler-0.7.11 (about 190 components,
116 of them Go modules whose lookups --offline did not make).

What a maintainer sees first must be the decisions: the first viewport (1280x1000) shows the
summary and the first decision; with the notes collapsed the page stays under 20,000 px;
on a 390 px wide phone the component table needs no horizontal scrolling.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from corpus import Corpus
from test_browser import _skip_reason

from audit.config import load_config
from audit.pipeline import AuditOptions, run_audit
from audit.report import html

pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")


@pytest.fixture(scope="module")
def kepler_page(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = corpus("kepler-0.7.11")
    report = run_audit(root, load_config(root, None), AuditOptions(offline=True))
    path = tmp_path_factory.mktemp("kepler") / "report.html"
    path.write_text(html.render(report), encoding="utf-8")
    return path


def _inner_height(driver: Any) -> int:
    return int(driver.execute_script("return window.innerHeight"))


def test_first_viewport_shows_the_summary_and_the_first_decision(
    browser: Any, kepler_page: Path
) -> None:
    from selenium.webdriver.common.by import By

    browser.set_window_size(1280, 1000)
    browser.get(kepler_page.as_uri())
    viewport = _inner_height(browser)
    summary = browser.find_element(By.ID, "summary")
    first = browser.find_elements(By.CSS_SELECTOR, "article.action")[0]
    assert "replace" in first.text
    assert "image:registry.access.redhat.com/ubi9/go-toolset:1.21" in first.text
    for element in (summary, first.find_element(By.CSS_SELECTOR, ".action-head")):
        top = element.rect["y"]
        assert top >= 0 and top + min(element.rect["height"], 60) <= viewport, element.text


def test_page_height_with_notes_collapsed(browser: Any, kepler_page: Path) -> None:
    from selenium.webdriver.common.by import By

    browser.set_window_size(1280, 1000)
    browser.get(kepler_page.as_uri())
    from selenium.webdriver.support.ui import WebDriverWait

    notes = WebDriverWait(browser, 20).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#problems details.note")
    )
    assert [n.get_attribute("class") for n in notes] == [
        "note note-lookup-not-made",
        "note note-unknown-not-deciding",
        # Makefile:204 `$(CTR_CMD) run` (rpm.yml:29 `make containerized_build_container_rpm`):
        # the container command is `$(or $(shell podman ...), $(shell docker ...))`
        "note note-unexpanded-value",
        "note note-files-without-notice",
    ]
    assert all(not n.get_property("open") for n in notes)
    height = int(browser.execute_script("return document.documentElement.scrollHeight"))
    assert height < 20_000


def test_phone_width_needs_no_horizontal_scroll(browser: Any, kepler_page: Path) -> None:
    browser.set_window_size(390, 844)
    browser.get(kepler_page.as_uri())
    table = browser.execute_script(
        "const t = document.querySelector('.table-scroll');"
        "return [t.scrollWidth, t.clientWidth, document.documentElement.scrollWidth,"
        " document.documentElement.clientWidth];"
    )
    scroll_width, client_width, page_width, page_client = (int(x) for x in table)
    assert scroll_width <= client_width
    assert page_width <= page_client
