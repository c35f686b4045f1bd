"""Helpers of the browser tests: the screen sizes, logging in (member space, admin), the page's sideways overflow, a
full-page screenshot."""

from pathlib import Path

from django.conf import settings

SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
TEST_EMAIL = "test@calmnessfi.com"
TEST_PASSWORD = "Test123!"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def login(page, email: str = TEST_EMAIL, password: str = TEST_PASSWORD) -> None:
    page.goto("/espace/connexion/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/espace/")


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def admin_login(page, email: str, password: str) -> None:
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")


def horizontal_overflow(page) -> int:
    """How many pixels the page is wider than the window (0 or less: no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
