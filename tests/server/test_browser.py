"""A person's path through the site, in headless Chromium (Debian's chromium + chromium-driver).

Index page -> search "ovarian" -> the seed trial's page, whose rendered text names the
condition. The server runs on loopback; Chromium's background networking is switched off.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import SEED

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="needs Debian's chromium and chromium-driver (.ci/run installs them)",
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import threading
    import time

    import uvicorn

    from kg.load.build import build, default_ontologies
    from kg.server import create_app
    from kg.store import Store

    path = tmp_path_factory.mktemp("browser") / "kg.db"
    build(path, [SEED], default_ontologies())
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(Store.open_read_only(path)),
            host="127.0.0.1",
            port=0,
            log_level="warning",
            lifespan="off",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile: Path = tmp_path_factory.mktemp("chromium-profile")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=390,844",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # for CSP violations
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def test_search_ovarian_and_open_the_seed_trial(site: str, browser: object) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser
    driver.get(site + "/")  # type: ignore[attr-defined]
    box = driver.find_element(By.ID, "q")  # type: ignore[attr-defined]
    box.send_keys("ovarian")
    wait = WebDriverWait(driver, 15)
    # The type-ahead's suggestions arrive (its script and fetch are allowed by the page's policy).
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#suggestions option"))
    box.submit()
    link = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, 'a[href="/trial/NCT03877471"]')))
    link.click()
    wait.until(ec.title_contains("Mesenchymal Stem Cells"))
    text = driver.find_element(By.TAG_NAME, "body").text  # type: ignore[attr-defined]
    assert "primary ovarian insufficiency" in text
    assert driver.current_url.endswith("/doc/trial/NCT03877471.html")  # type: ignore[attr-defined]
    console = driver.get_log("browser")  # type: ignore[attr-defined]
    assert not [e for e in console if "Content Security Policy" in e["message"]], console
