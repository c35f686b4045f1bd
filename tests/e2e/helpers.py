"""Helpers of the browser tests: log in through the form, take a full-page screenshot."""

from pathlib import Path

from django.conf import settings

SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
TEST_EMAIL = "test@calmnessfi.com"
TEST_PASSWORD = "Test123!"


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
