"""The dashboard says what happens at the end of a subscription paid through a Stripe subscription: "Renouvellement
automatique le …" while it renews by itself, "Se termine le … (renouvellement désactivé)" once it no longer does;
nothing for a subscription paid once. Same number of queries whatever the case."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import client_for
from payments.models import Payment, PaymentKind
from payments.tests.factories import PaymentFactory, PaymentMethodFactory
from subscriptions.models import Subscription
from subscriptions.tests.factories import PlanFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
URL = "/api/auth/user/dashboard/"
DASHBOARD_QUERIES = 5  # as member_space/tests/test_api.py: the member with figures, active, payments, notifications,
# channels


def _paid(member, *, kind: str, recurring: bool, auto_renew: bool = False):
    plan = PlanFactory(name="Mensuel", slug=f"mensuel-{kind}-{recurring}", is_recurring=recurring)
    payment = PaymentFactory(
        user=member, plan=plan, payment_method=PaymentMethodFactory(kind=kind), status=Payment.Status.CONFIRMED
    )
    ends_at = T0 + timedelta(days=20)
    return SubscriptionFactory(
        user=member,
        plan=plan,
        payment=payment,
        starts_at=T0 - timedelta(days=10),
        ends_at=ends_at,
        auto_renew=auto_renew,
        next_charge_at=ends_at if auto_renew else None,
    )


@pytest.mark.parametrize(
    ("kind", "recurring", "auto_renew", "renewal"),
    [
        (PaymentKind.CARD, True, True, "automatic"),
        (PaymentKind.CARD, True, False, "disabled"),  # cancelled in Stripe's portal, or Stripe gave up charging
        (PaymentKind.CARD, False, False, None),  # a plan paid once by card simply ends
        (PaymentKind.BANK_TRANSFER, True, False, None),  # a recurring plan paid by transfer renews by hand
    ],
)
def test_the_countdown_says_whether_and_when_the_card_renews_the_subscription(
    member, kind, recurring, auto_renew, renewal
):
    subscription = _paid(member, kind=kind, recurring=recurring, auto_renew=auto_renew)

    with time_machine.travel(T0, tick=False):
        api = client_for(member)
        with CaptureQueriesContext(connection) as queries:
            body = api.get(URL).json()

    assert len(queries) == DASHBOARD_QUERIES, [q["sql"][:120] for q in queries]
    countdown = body["countdown"]
    assert countdown["subscription_id"] == subscription.pk
    assert (countdown["auto_renew"], countdown["renewal"]) == (auto_renew, renewal)
    assert countdown["next_charge_at"] == ("2026-03-21T11:00:00+01:00" if auto_renew else None)
    [item] = body["active_subscriptions"]
    assert (item["auto_renew"], item["next_charge_at"]) == (auto_renew, countdown["next_charge_at"])


def test_the_page_says_renouvellement_automatique_with_the_charge_date(client, member):
    _paid(member, kind=PaymentKind.CARD, recurring=True, auto_renew=True)
    client.force_login(member)

    with time_machine.travel(T0, tick=False):
        html = client.get("/espace/").content.decode()

    assert "Renouvellement automatique le samedi 21 mars 2026." in html
    assert "renouvellement désactivé" not in html
    assert "Gérer ma carte / mon abonnement" in html


def test_the_page_says_se_termine_le_when_the_renewal_is_off(client, member):
    _paid(member, kind=PaymentKind.CARD, recurring=True, auto_renew=False)
    client.force_login(member)

    with time_machine.travel(T0, tick=False):
        html = client.get("/espace/").content.decode()

    assert "Se termine le samedi 21 mars 2026 (renouvellement désactivé)." in html
    assert "Renouvellement automatique" not in html


@pytest.mark.parametrize(("kind", "recurring"), [(PaymentKind.CARD, False), (PaymentKind.BANK_TRANSFER, True)])
def test_the_page_says_nothing_of_renewal_for_a_subscription_paid_once(client, member, kind, recurring):
    _paid(member, kind=kind, recurring=recurring)
    client.force_login(member)

    with time_machine.travel(T0, tick=False):
        html = client.get("/espace/").content.decode()

    assert 'id="renewal"' not in html and "renouvellement" not in html.lower()


def test_the_renewal_shown_changes_as_soon_as_billing_turns_auto_renew_off_although_the_body_was_cached(member):
    subscription = _paid(member, kind=PaymentKind.CARD, recurring=True, auto_renew=True)
    with time_machine.travel(T0, tick=False):
        api = client_for(member)
        assert api.get(URL).json()["countdown"]["renewal"] == "automatic"
        assert api.get(URL).headers["X-Dashboard-Cache"] == "hit"
        # What billing.renewals.stripe_subscription_sync writes when the member cancels in the portal.
        Subscription.objects.filter(pk=subscription.pk).update(auto_renew=False, next_charge_at=None)
        response = api.get(URL)

    assert response.headers["X-Dashboard-Cache"] == "miss"
    assert response.json()["countdown"]["renewal"] == "disabled"
