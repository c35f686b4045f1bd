"""/espace/formules/: the plans a member may choose, what each gives, and the button's words for who is asking."""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from core import clock
from formations.tests.factories import CourseFactory
from subscriptions.models import Subscription
from subscriptions.tests.factories import PlanFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

URL = "/espace/formules/"
SPACES = re.compile(r"[ \t\r\n]+")


class _Cards(HTMLParser):
    """Each plan card's slug, text and button (its words and link), read from the page as a browser would."""

    def __init__(self):
        super().__init__()
        self.cards: dict[str, dict] = {}
        self._slug: str | None = None
        self._depth = 0
        self._in_button = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "article" and "plan-card" in (attrs.get("class") or ""):
            self._slug = attrs["data-slug"]
            self.cards[self._slug] = {"text": "", "button": "", "href": "", "current": "current" in attrs["class"]}
            self._depth = 0
        elif self._slug and tag == "article":
            self._depth += 1
        if self._slug and tag == "a" and "button" in (attrs.get("class") or ""):
            self._in_button = True
            self.cards[self._slug]["href"] = attrs["href"]

    def handle_endtag(self, tag):
        if tag == "a":
            self._in_button = False
        if self._slug and tag == "article":
            if self._depth == 0:
                self._slug = None
            else:
                self._depth -= 1

    def handle_data(self, data):
        if self._slug:
            self.cards[self._slug]["text"] += data
            if self._in_button:
                self.cards[self._slug]["button"] += data


def cards(response) -> dict[str, dict]:
    parser = _Cards()
    parser.feed(response.content.decode())
    for card in parser.cards.values():
        card["text"] = SPACES.sub(" ", card["text"]).strip()  # keeps the non-breaking spaces, which matter here
        card["button"] = SPACES.sub(" ", card["button"]).strip()
    return parser.cards


@pytest.fixture
def plans():
    return {
        "mensuel": PlanFactory(name="Mensuel", slug="mensuel", price="49.00", duration_days=30, grants_discord=False),
        "trimestriel": PlanFactory(name="Trimestriel", slug="trimestriel", price="129.00", duration_days=90),
        "annuel": PlanFactory(
            name="Annuel",
            slug="annuel",
            price="1449.50",
            currency="USD",
            duration_days=365,
            features="Analyse hebdomadaire en direct\n\nAccès prioritaire au support",
        ),
    }


def test_plans_page_shows_each_plan_with_its_price_duration_and_what_it_gives(browser, plans):
    CourseFactory(title="Stratégies avancées", slug="avancees", plans=[plans["annuel"]])
    CourseFactory(title="Brouillon", slug="brouillon", is_published=False, plans=[plans["annuel"]])
    PlanFactory(name="Ancienne", slug="ancienne", is_active=False)

    response = browser.get(URL)

    assert response.status_code == 200
    shown = cards(response)
    assert list(shown) == ["mensuel", "trimestriel", "annuel"]  # cheapest first, retired plans left out
    assert "49,00\xa0€" in shown["mensuel"]["text"]
    assert "pour 30 jours" in shown["mensuel"]["text"]
    assert "Canal Telegram privé" in shown["mensuel"]["text"]
    assert "Discord" not in shown["mensuel"]["text"]
    yearly = shown["annuel"]["text"]
    assert "1\xa0449,50\xa0USD" in yearly
    assert "Serveur Discord des membres" in yearly
    assert "Formation «\xa0Stratégies avancées\xa0»" in yearly
    assert "Brouillon" not in yearly
    assert "Analyse hebdomadaire en direct" in yearly
    assert "Accès prioritaire au support" in yearly
    assert 'href="/espace/formations/avancees/"' in response.content.decode()


def test_a_member_without_subscription_is_offered_to_choose(browser, plans):
    shown = cards(browser.get(URL))

    assert {card["button"] for card in shown.values()} == {"Choisir cette formule"}
    assert shown["annuel"]["href"] == "/espace/paiements/?formule=annuel"
    assert not any(card["current"] for card in shown.values())


def test_an_expired_member_is_offered_to_choose_again(browser, member, plans):
    ended = clock.now() - timedelta(days=1)
    SubscriptionFactory(user=member, plan=plans["mensuel"], starts_at=ended - timedelta(days=30), ends_at=ended)

    shown = cards(browser.get(URL))

    assert {card["button"] for card in shown.values()} == {"Choisir cette formule"}


def test_a_subscriber_is_offered_to_renew_or_move_not_to_subscribe(browser, member, plans):
    SubscriptionFactory(user=member, plan=plans["mensuel"])

    response = browser.get(URL)

    shown = cards(response)
    assert shown["mensuel"]["button"] == "Prolonger avec Mensuel"
    assert shown["mensuel"]["current"]
    assert shown["trimestriel"]["button"] == "Passer au Trimestriel"
    assert shown["annuel"]["button"] == "Passer à l'Annuel"
    assert shown["trimestriel"]["href"] == "/espace/paiements/?formule=trimestriel"
    page = response.content.decode()
    assert "S'abonner" not in page and "Choisir cette formule" not in page
    assert "Votre formule Mensuel court jusqu'au" in page


def test_the_current_plan_is_the_last_of_the_members_chain(browser, member, plans):
    first = SubscriptionFactory(user=member, plan=plans["mensuel"])
    SubscriptionFactory(
        user=member, plan=plans["annuel"], starts_at=first.ends_at, ends_at=first.ends_at + timedelta(days=365)
    )

    shown = cards(browser.get(URL))

    assert shown["annuel"]["button"] == "Prolonger avec Annuel"
    assert shown["mensuel"]["button"] == "Passer au Mensuel"
    assert Subscription.objects.filter(user=member).count() == 2


def test_plans_page_is_in_the_menu_and_marked_current(browser, plans):
    page = browser.get(URL).content.decode()

    assert '<a href="/espace/formules/" aria-current="page">Formules</a>' in page
    assert '<a href="/espace/formules/">Formules</a>' in browser.get("/espace/").content.decode()


def test_plans_page_reads_every_plan_in_a_constant_number_of_queries(browser, member, django_assert_num_queries):
    def plan_with_formations(index):
        plan = PlanFactory(slug=f"formule-{index}")
        CourseFactory(slug=f"formation-{index}", plans=[plan])
        return plan

    plan_with_formations(0)
    browser.get(URL)  # the session's first read
    with django_assert_num_queries(5) as few:  # session, member, subscription in force, plans, their formations
        browser.get(URL)
    for index in range(1, 6):
        plan_with_formations(index)
    with django_assert_num_queries(len(few.captured_queries)):
        response = browser.get(URL)
    assert len(cards(response)) == 6
