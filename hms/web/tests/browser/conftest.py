"""Browser tests: Playwright driving Debian's Chromium (launched by its path, never downloaded)
against the live test server, at a laptop's and a tablet's width.

Screenshots go to var/screenshots/ (git-ignored), one per page and width, to be looked at.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = os.environ.get("HMS_TEST_CHROMIUM", "/usr/bin/chromium")
WIDTHS = {"laptop": 1366, "tablet": 768}
SCREENSHOTS = Path(__file__).resolve().parents[4] / "var" / "screenshots"
# As the probe of this kind of machine starts it: no sandbox (root), no background traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/browser/" in str(item.path):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.sqlite_only)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"No Chromium at {CHROMIUM}: run `bash .ci/browser-setup` (make test does).")
    # Playwright's sync API keeps an event loop running in this thread, which Django takes for
    # an async context; the test's own ORM calls are plain synchronous code (Django's documented
    # switch for such tools).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(params=list(WIDTHS), ids=list(WIDTHS))
def width(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class Screen:
    """One signed-in browser tab at one width, with the checks every page gets."""

    def __init__(self, browser: Browser, base_url: str, width: str) -> None:
        self.width = width
        self.base_url = base_url
        self.context = browser.new_context(viewport={"width": WIDTHS[width], "height": 900})
        self.page: Page = self.context.new_page()

    def open(self, path: str) -> Page:
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.status < 500, f"{path}: {response and response.status}"
        return self.page

    def sign_in(self, username: str, password: str = "pw-for-tests-1") -> None:
        self.context.clear_cookies()
        self.open("/login/")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_load_state()
        assert "/login/" not in self.page.url, f"{username} could not sign in"

    def overflow(self) -> int:
        """How many pixels the page is wider than the window (0: no sideways scrolling)."""
        return int(self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))

    def cut_off(self) -> int:
        """How many pixels of the page's content are cut off on the right of its main column, whose
        scrollbar sits under the whole page, out of sight (0: every wide table scrolls in its own
        `table-scroll` box, right under it)."""
        return int(
            self.page.evaluate("(m => m ? m.scrollWidth - m.clientWidth : 0)(document.querySelector('main'))")
        )

    def check(self, name: str) -> None:
        """No horizontal overflow, nothing cut off, and a screenshot to look at."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}-{self.width}.png"), full_page=True)
        assert self.overflow() == 0, f"{name} is {self.overflow()} px wider than a {self.width} screen"
        assert self.cut_off() == 0, f"{name}: {self.cut_off()} px cut off on a {self.width} screen"


@pytest.fixture
def screen(chromium: Browser, live_server, width: str) -> Iterator[Screen]:
    tab = Screen(chromium, live_server.url, width)
    yield tab
    tab.context.close()


@pytest.fixture
def day_clinic(make_hospital, make_user):
    """Riverside General's outpatient clinic (hms/web/tests/browser/clinic.py), for the tests of
    each role's day."""
    from hms.web.tests.browser.clinic import clinic_build

    return clinic_build(make_hospital, make_user)
