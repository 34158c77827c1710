"""A headless Chromium for the browser tests: Debian's ``chromium`` package,
driven by Playwright (``playwright install`` downloads a browser build, which
this project never does). When the browser is missing and the tests run as
root, it is installed with apt-get; only when that is impossible are the
tests skipped, and the skip says why."""

from __future__ import annotations

import os
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest

from tests.live_server import serve

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--disable-default-apps", "--disable-domain-reliability", "--no-pings",
]
_CANDIDATES = ("chromium", "chromium-browser")


def _find_chromium() -> str | None:
    explicit = os.environ.get("CASEMGR_CHROMIUM")
    if explicit:
        return explicit
    return next((path for path in map(shutil.which, _CANDIDATES) if path), None)


def _apt_install_chromium() -> str:
    """Installs Debian's chromium; returns why it could not, or ''."""
    if not shutil.which("apt-get"):
        return "apt-get is not available"
    if os.geteuid() != 0:
        return "not root, and apt-get needs root"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"],
                    ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]):
        result = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                timeout=900)
        if result.returncode != 0:
            return f"`{' '.join(command)}` failed: {result.stderr.strip()[-500:]}"
    return ""


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = _find_chromium()
    if path is None:
        why = _apt_install_chromium()
        path = _find_chromium()
        if path is None:
            reason = f"NO BROWSER: chromium is not installed and could not be installed ({why or 'not found after install'})"
            warnings.warn(reason)
            pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def base_url(app):
    with serve(app) as url:
        yield url


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


_REPORTS = pytest.StashKey[dict]()


@pytest.fixture
def page(request, browser):
    """A page in a fresh context; on failure its screenshot is kept in
    test-artifacts/ (git-ignored) for CI to keep."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    reports = request.node.stash.get(_REPORTS, {})
    if any(report.failed for report in reports.values()):
        ARTIFACTS.mkdir(exist_ok=True)
        target = ARTIFACTS / f"{request.node.name}.png"
        page.screenshot(path=str(target), full_page=True)
        print(f"screenshot of the failed page: {target}")
    context.close()
