"""The free trial on /espace/formules/: the button for a member who may still have one, the trial it starts, the
refusals told in French, and the dashboard saying "Essai gratuit"."""

import pytest

from channels_sync.tests.factories import link_telegram
from subscriptions.models import Subscription
from subscriptions.tests.factories import PlanFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

PLANS_URL = "/espace/formules/"
TRIAL_URL = "/espace/formules/essai/"


@pytest.fixture
def trial_plan():
    return PlanFactory(name="Mensuel", slug="mensuel", price="49.00", duration_days=30, trial_days=7)


def test_a_new_member_sees_the_trial_button_only_on_plans_with_a_trial(browser, trial_plan):
    PlanFactory(name="Annuel", slug="annuel", trial_days=0)

    html = browser.get(PLANS_URL).content.decode()

    assert html.count("Essayer gratuitement") == 1
    assert "Essayer gratuitement 7 jours" in html


def test_a_member_who_was_covered_sees_no_trial_button(browser, member, trial_plan):
    SubscriptionFactory(user=member)
    assert "Essayer gratuitement" not in browser.get(PLANS_URL).content.decode()


def test_the_button_starts_the_trial_and_the_dashboard_says_essai_gratuit(browser, member, trial_plan):
    link_telegram(member, 5551)

    response = browser.post(TRIAL_URL, {"plan": trial_plan.pk})

    assert response.status_code == 302 and response["Location"] == "/espace/"
    subscription = Subscription.objects.get(user=member)
    assert subscription.is_trial and subscription.payment is None
    html = browser.get("/espace/").content.decode()
    assert "Votre essai gratuit de la formule Mensuel a commencé" in html
    assert "Essai gratuit</span>" in html
    assert "Essayer gratuitement" not in browser.get(PLANS_URL).content.decode()


def test_a_refused_trial_is_said_in_french_on_the_plans_page(browser, member, trial_plan):
    response = browser.post(TRIAL_URL, {"plan": trial_plan.pk}, follow=True)  # no Telegram/Discord account linked

    assert "Liez votre compte Telegram ou Discord" in response.content.decode()
    assert not Subscription.objects.exists()


def test_the_trial_button_needs_a_post(browser, trial_plan):
    assert browser.get(TRIAL_URL).status_code == 405
