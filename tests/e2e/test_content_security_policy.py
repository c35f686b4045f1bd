"""The Content-Security-Policy in a real Chromium: the member space, the admin and Swagger UI work under it, with
no violation in the console, and code injected into a page does not run (issue 12, item 14)."""

import pytest

from payments.tests.factories import PaymentFactory
from tests.e2e.helpers import login, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ADMIN_EMAIL = "chef@example.com"
ADMIN_PASSWORD = "Chef-Secret-2026"

# Every violation the page reports, whatever the console says about it.
_RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


@pytest.fixture
def watched_page(page):
    """`page`, recording CSP violations (console messages and securitypolicyviolation events) and JS errors."""
    page.console_csp = []
    page.on(
        "console",
        lambda message: page.console_csp.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.add_init_script(_RECORD_VIOLATIONS)
    return page


def assert_no_violation(page, where: str) -> None:
    assert page.console_csp == [], where
    assert page.evaluate("window.__cspViolations") == [], where
    assert page.js_errors == [], where


def test_member_pages_work_under_the_policy_without_violation(watched_page, test_member):
    page = watched_page
    login(page)

    response = page.goto("/espace/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    countdown = page.locator("#countdown")
    first = int(countdown.get_attribute("data-remaining"))
    page.wait_for_timeout(1500)
    assert 0 < first - int(countdown.get_attribute("data-remaining")) <= 3  # countdown.js ticks
    screenshot(page, "csp-dashboard")
    assert_no_violation(page, "dashboard")

    page.goto("/espace/signaux/")
    assert page.locator("#monthly-chart svg rect").count() > 0  # server-drawn SVG, coloured by app.css classes
    assert page.locator("#equity-chart svg polyline").count() == 1
    screenshot(page, "csp-signals")
    assert_no_violation(page, "signals")

    for path in ("/espace/formations/", "/espace/profil/", "/espace/paiements/", "/espace/notifications/"):
        page.goto(path)
        assert_no_violation(page, path)
    page.goto("/espace/formations/")
    progress = page.locator("[data-slug=bases-du-trading] progress")
    assert progress.evaluate("el => el.value") == 0
    assert progress.bounding_box()["width"] > 100  # styled by app.css, not by an inline style
    screenshot(page, "csp-formations")


def test_admin_works_under_the_policy_without_violation(watched_page, test_member):
    from accounts.models import User

    User.objects.create_superuser(email=ADMIN_EMAIL, password=ADMIN_PASSWORD, first_name="Chef", last_name="Admin")
    payment = PaymentFactory(user=test_member)
    page = watched_page

    response = page.goto("/admin/login/?next=/admin/")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    page.fill("#id_username", ADMIN_EMAIL)
    page.fill("#id_password", ADMIN_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    screenshot(page, "csp-admin-index")
    assert_no_violation(page, "admin index")

    page.goto("/admin/payments/payment/")
    page.locator("#action-toggle").check()  # actions.js runs
    assert page.locator("input.action-select:checked").count() >= 1
    assert_no_violation(page, "payments list")

    page.goto(f"/admin/payments/payment/{payment.pk}/change/")
    confirm = page.locator("form.payment-confirm button")
    assert confirm.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(46, 125, 50)"
    screenshot(page, "csp-admin-payment")
    assert_no_violation(page, "payment change form")

    page.goto("/admin/trading_signals/signal/add/")
    take_profits = page.locator(".dynamic-take_profits").count()
    page.locator("#take_profits-group .add-row a").click()  # inlines.js adds a take-profit's row
    assert page.locator(".dynamic-take_profits").count() == take_profits + 1
    assert_no_violation(page, "signal add form")


def test_swagger_ui_renders_under_the_policy_without_violation(watched_page, live_server):
    page = watched_page
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    response = page.goto("/api/docs/")

    assert "default-src 'self'" in response.headers["content-security-policy"]
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() > 20  # every operation of the schema is listed
    screenshot(page, "csp-api-docs")
    assert_no_violation(page, "api docs")
    assert [url for url in requested if not url.startswith(live_server.url)] == []  # works offline


@pytest.mark.parametrize(
    ("platform", "outside"),
    [("telegram", "https://t.me/calmnessfi_test_bot?start="), ("discord", "https://discord.com/api/v10/oauth2/")],
)
def test_the_channel_link_forms_may_still_send_the_member_to_telegram_and_discord(
    watched_page, test_member, settings, platform, outside
):
    # form-action also applies to the redirect that answers a form: without t.me and discord.com in it, the
    # browser would stay on the profile page.
    settings.TELEGRAM_BOT_USERNAME = "calmnessfi_test_bot"
    settings.DISCORD_CLIENT_ID = "123456789012345678"
    # Both platforms driven by this server (a platform without its bot is not shown to members).
    settings.TELEGRAM_BOT_TOKEN, settings.TELEGRAM_CHANNEL_ID = "123:abc", "-100123"
    settings.DISCORD_BOT_TOKEN, settings.DISCORD_GUILD_ID, settings.DISCORD_ROLE_ID = "bot", "1", "2"
    page = watched_page
    page.route("https://t.me/**", lambda route: route.fulfill(body="<p>Telegram</p>", content_type="text/html"))
    page.route("https://discord.com/**", lambda route: route.fulfill(body="<p>Discord</p>", content_type="text/html"))
    login(page)
    page.goto("/espace/profil/")

    page.locator(f"[data-platform={platform}] form button").click()

    page.wait_for_url(f"{outside}**")
    assert page.console_csp == []


def test_an_injected_inline_script_does_not_run(watched_page, live_server):
    page = watched_page
    page.goto("/espace/connexion/")

    # What a stored XSS would do: an inline script and a handler attribute added to the page.
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__injected = true;";
          document.body.appendChild(script);
          const img = document.createElement("img");
          img.setAttribute("src", "data:,x");
          img.setAttribute("onerror", "window.__handler = true;");
          document.body.appendChild(img);
        }"""
    )
    page.wait_for_timeout(200)

    assert page.evaluate("window.__injected === undefined && window.__handler === undefined")
    violations = page.evaluate("window.__cspViolations")
    assert any(v.startswith("script-src") for v in violations)
    assert page.console_csp  # the console watch of the other tests sees violations
