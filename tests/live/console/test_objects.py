"""Buckets and objects in the console: folder and multipart uploads with progress, browsing by
prefix, download, versioning on and off, a refused delete, and the dark theme."""

from __future__ import annotations

import os
from pathlib import Path

from selenium.webdriver.common.by import By

from tests.live.console.browser import Browser
from tests.live.console.test_replication_lab import create_bucket_in_the_console
from tests.live.replication_support import Deployment
from tests.live.server import ACCESS_KEY, SECRET_KEY

EAST = "us-east-1"
LARGE_BYTES = 17 * 1024 * 1024  # past the page's multipart threshold: three 8 MiB parts


def test_folder_and_multipart_uploads_browse_download_and_a_refused_bucket_delete(
    browser: Browser, deployment: Deployment, tmp_path: Path
) -> None:
    folder = tmp_path / "album"
    (folder / "2026").mkdir(parents=True)
    (folder / "2026" / "a.txt").write_text("first\n")
    (folder / "b.txt").write_text("second\n")
    large = tmp_path / "large.bin"
    large.write_bytes(os.urandom(LARGE_BYTES))
    browser.sign_in(ACCESS_KEY, SECRET_KEY)
    create_bucket_in_the_console(browser, "files-east", EAST)

    browser.open("/_console/buckets/files-east")
    browser.upload("#upload-folder", folder)
    browser.wait_until(
        lambda: bool(browser.all("#objects tr.folder")), "the uploaded folder listed"
    )
    browser.driver.find_element(By.LINK_TEXT, "album/").click()
    browser.wait_until(lambda: bool(browser.all('#objects tr[data-key="album/b.txt"]')), "b.txt")
    browser.upload("#upload-files", large)
    browser.wait_until(lambda: bool(browser.all("#upload-progress progress")), "a progress bar")
    browser.wait_until(
        lambda: bool(browser.all('#objects tr[data-key="album/large.bin"]')),
        "the multipart upload listed",
        timeout_s=120,
    )
    browser.screenshot("objects-folder")
    browser.open("/_console/buckets/files-east/object?key=album%2Flarge.bin")
    assert browser.text.count("17.0 MiB") == 1
    assert '-3"' in browser.text, "three 8 MiB parts make a multipart ETag"
    downloaded = browser.driver.execute_script(
        "return fetch(arguments[0]).then(r => r.text())",
        browser.base + "/_console/buckets/files-east/download?key=album%2F2026%2Fa.txt",
    )
    assert downloaded == "first\n"

    browser.open("/_console/")
    browser.click('#buckets tr[data-bucket="files-east"] button.danger', confirm=True)
    browser.wait_text("#error", "BucketNotEmpty")
    assert "The bucket you tried to delete is not empty" in browser.find("#error").text

    browser.open("/_console/buckets/files-east")
    browser.click("#suspend-versioning")
    browser.wait_text("#versioning", "Suspended")
    browser.click("#enable-versioning")
    browser.wait_text("#versioning", "Enabled")
    browser.find("body").send_keys("t")
    browser.wait_until(
        lambda: (
            browser.driver.execute_script("return document.documentElement.dataset.theme") == "dark"
        ),
        "the dark theme",
    )
    browser.screenshot("objects-dark")
    browser.driver.set_window_size(390, 844)  # a phone
    browser.open("/_console/")
    browser.screenshot("buckets-phone")
    browser.driver.set_window_size(1366, 900)


def test_a_region_that_is_down_is_named_and_the_others_still_serve(
    browser: Browser, deployment: Deployment
) -> None:
    """Runs last in its module: it kills eu-west-1."""
    browser.sign_in(ACCESS_KEY, SECRET_KEY)
    create_bucket_in_the_console(browser, "away-west", "eu-west-1")
    deployment.kill_region("eu-west-1")
    browser.open("/_console/")
    row = browser.find('#buckets tr[data-bucket="away-west"]').text
    assert "eu-west-1" in row and "?" in row, "its versioning cannot be read"
    assert "Enabled" in browser.find('#buckets tr[data-bucket="files-east"]').text
    browser.open("/_console/buckets/away-west")
    browser.wait_text("#error", "ServiceUnavailable")
    assert "Region eu-west-1 did not answer." in browser.find("#error").text
