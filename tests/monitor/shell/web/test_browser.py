"""The web view in a real headless browser (Debian's chromium, driven by selenium): open /,
search 乡村教育, open the plan, open its diff, follow the link of a rendered alert e-mail — on
a phone-sized and a desktop window. Screenshots go to tests/output/web/ for a person to look at.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import select

from alerts.render import link_to_web, notice_from_event, render_email
from storage.models import Event
from tests.alerts.smtp_sink import free_port
from tests.monitor.shell.web.site import ADMIN_ENV, ADMIN_TOKEN, PLAN_TITLE, Site, build_site

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

OUTPUT = Path(__file__).resolve().parents[3] / "output" / "web"
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
WINDOWS = {"phone": (412, 915), "desktop": (1366, 900)}
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="chromium and chromium-driver are not installed "
                                 "(apt-get install chromium chromium-driver; .ci/run does it)")]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, str]]:
    import os

    import uvicorn

    from monitor.shell.web.app import create_app

    os.environ[ADMIN_ENV] = ADMIN_TOKEN
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    site = build_site(f"sqlite:///{tmp_path_factory.mktemp('web') / 'eduwatch.db'}", public_url=base)
    server = uvicorn.Server(uvicorn.Config(create_app(site.config, site.db), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield site, base
    server.should_exit = True
    thread.join(10)
    site.db.dispose()


@pytest.fixture(params=list(WINDOWS))
def browser(request: pytest.FixtureRequest) -> Iterator[tuple[object, str]]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=zh-CN",
                 "--force-device-scale-factor=1", "--hide-scrollbars"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=DRIVER))
    driver.set_window_size(*WINDOWS[request.param])
    yield driver, request.param
    driver.quit()


def arrived(driver, check) -> None:  # type: ignore[no-untyped-def]
    """Wait (up to 15 s) until the page a click or submit led to shows ``check``: a click returns
    before the next page has loaded, and on a busy machine the old page is still there."""
    WebDriverWait(driver, 15, poll_frequency=0.1).until(check)


def shot(driver, window: str, name: str) -> None:  # type: ignore[no-untyped-def]
    OUTPUT.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(OUTPUT / f"{window}-{name}.png"))


def test_home_search_plan_diff(served: tuple[Site, str], browser) -> None:  # type: ignore[no-untyped-def]
    site, base = served
    driver, window = browser
    driver.get(base + "/")
    assert "乡村教育规划：最新变动" in driver.page_source
    shot(driver, window, "1-home")
    box = driver.find_element(By.CSS_SELECTOR, ".quick-search input[name=q]")
    box.send_keys("乡村教育")
    box.submit()
    arrived(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "ol.results mark"))
    marks = driver.find_elements(By.CSS_SELECTOR, "ol.results mark")
    assert marks and {mark.text for mark in marks} == {"乡村教育"}
    shot(driver, window, "2-search")
    driver.find_element(By.CSS_SELECTOR, "ol.results a.title").click()
    arrived(driver, lambda d: d.current_url == f"{base}/documents/{site.plan_id}")
    assert driver.find_element(By.TAG_NAME, "h1").text == PLAN_TITLE
    assert driver.current_url == f"{base}/documents/{site.plan_id}"
    shot(driver, window, "3-plan")
    driver.find_element(By.LINK_TEXT, "查看最近一次修改").click()
    arrived(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".diff-inline ins"))
    inserted = [element.text for element in driver.find_elements(By.CSS_SELECTOR, ".diff-inline ins")]
    assert "全面" in inserted
    shot(driver, window, "4-diff")
    driver.find_element(By.LINK_TEXT, "左右对照").click()
    arrived(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".side-by-side .row ins"))
    assert driver.find_elements(By.CSS_SELECTOR, ".side-by-side .row ins")
    shot(driver, window, "5-diff-side")
    # The page's own script count, and that the CSP header did not block our stylesheet.
    assert not driver.find_elements(By.TAG_NAME, "script")
    assert driver.execute_script("return getComputedStyle(document.body).backgroundColor") == "rgb(246, 247, 249)"


def test_link_in_a_rendered_alert_email_opens_the_diff(served: tuple[Site, str], browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    site, base = served
    driver, window = browser
    with site.db.sessions() as session:
        event = session.scalar(select(Event).where(Event.kind == "revised"))
        notice = notice_from_event(event, ["event: plan_revised"])
        link_to_web([notice], site.config.web.public_url)
    message = render_email([notice], to_addr="guihua@example.org", from_addr="eduwatch@example.org",
                           message_id="<t@eduwatch.invalid>", subscriber_name="揭阳规划科")
    page = OUTPUT / f"{window}-alert-email.html"
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.write_text(message.get_body(("html",)).get_content(), encoding="utf-8")
    driver.get(page.as_uri())
    shot(driver, window, "6-alert-email")
    driver.find_element(By.PARTIAL_LINK_TEXT, "在网页上查看改动").click()
    arrived(driver, lambda d: d.current_url.startswith(base))
    assert driver.current_url == f"{base}/documents/{site.plan_id}/diff?to=2"
    assert "第 1 版 → 第 2 版" in driver.page_source
    shot(driver, window, "7-diff-from-alert")
