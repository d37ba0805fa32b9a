"""Screenshots of the product with its demo data, for the README and issue notes.

    make run                                   # in one terminal (or any running server)
    .venv/bin/python scripts/screenshots.py    # in another: docs/screenshots/*.png

Signs in as the demo logins (manager / manager-demo, partner / partner-demo), opens the
dashboard, the first demo partner's page, insights and the partner portal's home, waits for
their charts, and saves a full-page PNG of each. Uses the system Chromium (PRM_CHROMIUM,
default /usr/bin/chromium) through Playwright; never a downloaded browser.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

CHROMIUM = os.environ.get("PRM_CHROMIUM", "/usr/bin/chromium")
MANAGER = ("manager", "manager-demo")
PARTNER = ("partner", "partner-demo")
# (file name, path or a callable finding it, who signs in)
MANAGER_PAGES = [
    ("dashboard", "/dashboard/"),
    ("partner", None),  # the first demo partner, found from the list
    ("insights", "/insights/"),
]
PORTAL_PAGES = [("portal-home", "/portal/")]


def sign_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def first_partner_path(page: Page, base: str) -> str:
    page.goto(f"{base}/partners/?search=DEMO-0000001")
    link = page.locator("table.partner-table a[href^='/partners/']").first
    href = link.get_attribute("href")
    if not href or not re.fullmatch(r"/partners/\d+/", href):
        raise SystemExit("No demo partner found: seed the demo first (make run does).")
    return href


def shoot(page: Page, base: str, path: str, target: Path) -> None:
    response = page.goto(f"{base}{path}")
    if response is None or response.status >= 400:
        raise SystemExit(f"{path} answered {response.status if response else 'nothing'}")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(800)  # chart animations
    page.screenshot(path=str(target), full_page=True)
    print(f"{target}  ({path})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default="docs/screenshots", type=Path)
    parser.add_argument("--width", type=int, default=1366)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    base = args.base.rstrip("/")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        viewport = {"width": args.width, "height": args.height}
        try:
            for (username, password), pages in ((MANAGER, MANAGER_PAGES), (PARTNER, PORTAL_PAGES)):
                context = browser.new_context(viewport=viewport, locale="en-US")
                page = context.new_page()
                sign_in(page, base, username, password)
                for name, path in pages:
                    shoot(
                        page, base, path or first_partner_path(page, base), args.out / f"{name}.png"
                    )
                context.close()
        finally:
            browser.close()


if __name__ == "__main__":
    main()
