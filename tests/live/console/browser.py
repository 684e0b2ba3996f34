"""Headless Chromium (Debian's chromium + chromium-driver) driven by Selenium, for the
console's end-to-end tests; screenshots go to tests/artifacts/console/."""

from __future__ import annotations

import base64
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

REPO = Path(__file__).resolve().parents[3]
ARTIFACTS = REPO / "tests" / "artifacts" / "console"
INSTALL_SCRIPT = REPO / "scripts" / "install-chromium"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
WAIT_S = 30.0
WINDOW_WIDTH, WINDOW_HEIGHT = 1366, 900
MAX_SCREENSHOT_HEIGHT = 2400


def find_chromium() -> tuple[str, str] | str:
    """(chromium, chromedriver), installing them with scripts/install-chromium if missing;
    or why they cannot be had."""
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        try:
            subprocess.run([str(INSTALL_SCRIPT)], check=True, capture_output=True, timeout=900)
        except (OSError, subprocess.SubprocessError) as exc:
            return f"chromium could not be installed ({INSTALL_SCRIPT}): {exc}"
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        return "chromium and chromium-driver are not installed and could not be"
    return chromium, driver


class Browser:
    def __init__(self, chromium: str, driver: str) -> None:
        self._profile = tempfile.mkdtemp(prefix="ferry-console-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        size = f"--window-size={WINDOW_WIDTH},{WINDOW_HEIGHT}"
        for flag in (*CHROMIUM_FLAGS, size, f"--user-data-dir={self._profile}"):
            options.add_argument(flag)
        self.driver = webdriver.Chrome(service=Service(driver), options=options)
        self.driver.set_page_load_timeout(WAIT_S)
        self.base = ""

    def quit(self) -> None:
        self.driver.quit()
        shutil.rmtree(self._profile, ignore_errors=True)

    # -- navigation ---------------------------------------------------------------------------

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    @property
    def text(self) -> str:
        return str(self.driver.find_element(By.TAG_NAME, "body").text)

    def find(self, css: str) -> Any:
        # A page may still be arriving (a redirect after a form, a slow region under a full
        # run): wait for the element before taking it. `all` is the check for absence.
        self.wait_until(lambda: bool(self.all(css)), f"{css} on the page")
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def all(self, css: str) -> list[Any]:
        return list(self.driver.find_elements(By.CSS_SELECTOR, css))

    def fill(self, css: str, value: str) -> None:
        element = self.find(css)
        element.clear()
        element.send_keys(value)

    def select(self, css: str, value: str) -> None:
        Select(self.find(css)).select_by_value(value)

    def click(self, css: str, *, confirm: bool = False) -> None:
        self.find(css).click()
        if confirm:
            self.accept_alert()

    def accept_alert(self) -> None:
        deadline = time.monotonic() + 5
        while True:
            try:
                self.driver.switch_to.alert.accept()
                return
            except NoAlertPresentException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def wait_until(
        self,
        condition: Callable[[], bool],
        what: str,
        *,
        reload: bool = False,
        timeout_s: float = WAIT_S,
    ) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if condition():
                    return
            except WebDriverException:
                pass  # the page was being replaced
            if time.monotonic() > deadline:
                self.screenshot("timeout")
                raise AssertionError(f"timed out waiting for {what}; page says:\n{self.text}")
            time.sleep(0.3)
            if reload:
                self.driver.refresh()

    def wait_text(self, css: str, expected: str, *, reload: bool = False) -> None:
        self.wait_until(
            lambda: expected in self.find(css).text, f"{expected!r} in {css}", reload=reload
        )

    def upload(self, css: str, *paths: Path) -> None:
        element = self.find(css)
        self.driver.execute_script("arguments[0].hidden = false", element)
        element.send_keys("\n".join(str(p) for p in paths))
        try:
            self.driver.execute_script("arguments[0].hidden = true", element)
        except WebDriverException:
            pass  # the page already moved on (the upload finished and reloaded it)

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        # The whole page (to a reasonable height), not only the window's part of it.
        size = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        clip = {
            "x": 0,
            "y": 0,
            "width": size["width"],
            "scale": 1,
            "height": min(max(WINDOW_HEIGHT, size["height"]), MAX_SCREENSHOT_HEIGHT),
        }
        shot = self.driver.execute_cdp_cmd(
            "Page.captureScreenshot",
            {"format": "png", "captureBeyondViewport": True, "clip": clip},
        )
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    # -- the console ---------------------------------------------------------------------------

    def sign_in(self, access_key: str, secret_key: str) -> None:
        # Leave the last page first: its pollers (fragments, backlog, a PENDING reload) would
        # otherwise fetch, be sent to the sign-in page and replace its CSRF cookie. Cookies
        # can only be deleted from a page of their origin, hence the sign-in page twice.
        self.driver.get("about:blank")
        self.open("/_console/signin")
        self.driver.delete_all_cookies()
        self.open("/_console/signin")
        self.fill("#access_key", access_key)
        self.fill("#secret_key", secret_key)
        self.click("#signin")
