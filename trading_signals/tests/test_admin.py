"""The signals' admin through Django's test client: a draft is edited and published through signal_publish; once
published, its status changes only through the change page's forms (each calling its service, refusals shown in
French), its trade only through "Corriger le signal" (signal_correct: revisions), and it cannot be deleted."""

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from trading_signals import services
from trading_signals.models import Signal, SignalEvent, SignalRevision
from trading_signals.tests.factories import SignalFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/trading_signals/signal/"


@pytest.fixture
def admin_user():
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def staff(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def change_url(signal) -> str:
    return reverse("admin:trading_signals_signal_change", args=[signal.pk])


def follow_up(staff, signal, **data):
    return staff.post(reverse("admin:trading_signals_signal_follow_up", args=[signal.pk]), data, follow=True)


def page_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_the_list_shows_the_result_in_r_and_the_publication_state(staff):
    SignalFactory(instrument="DRAFT/USD", is_published=False)
    SignalFactory(
        instrument="WON/USD",
        status=Signal.Status.TP_HIT,
        take_profits_reached=1,
        exit_price=Decimal("1.09"),
        result_r=Decimal("1.00"),
    )

    html = staff.get(CHANGELIST).content.decode()

    assert "+1,00\xa0R" in html
    assert "Brouillon" in html
    assert "Publié" in html


def test_publishing_from_the_list_goes_through_the_service_and_records_the_event(staff, admin_user):
    draft = SignalFactory(is_published=False)

    response = staff.post(CHANGELIST, {"action": "publish", ACTION_CHECKBOX_NAME: [draft.pk]}, follow=True)

    draft.refresh_from_db()
    assert draft.is_published
    event = SignalEvent.objects.get(signal=draft)
    assert (event.kind, event.created_by) == (SignalEvent.Kind.PUBLISHED, admin_user)
    assert "1 signal publié." in page_messages(response)


def test_the_publish_button_on_a_draft_publishes_it_and_a_refusal_is_shown_in_french(staff):
    draft = SignalFactory(is_published=False)
    assert 'id="signal-publish"' in staff.get(change_url(draft)).content.decode()

    response = staff.post(reverse("admin:trading_signals_signal_publish", args=[draft.pk]), follow=True)

    draft.refresh_from_db()
    assert draft.is_published
    assert any("Signal publié" in message for message in page_messages(response))

    cancelled = SignalFactory(is_published=False, status=Signal.Status.CANCELLED)
    refused = staff.post(reverse("admin:trading_signals_signal_publish", args=[cancelled.pk]), follow=True)

    assert not Signal.objects.get(pk=cancelled.pk).is_published
    assert "Seul un signal en cours peut être publié." in page_messages(refused)


def test_a_get_on_an_action_url_changes_nothing(staff):
    draft = SignalFactory(is_published=False)

    assert staff.get(reverse("admin:trading_signals_signal_publish", args=[draft.pk])).status_code == 405
    assert not Signal.objects.get(pk=draft.pk).is_published


def test_take_profits_then_the_last_one_closes_the_signal_with_its_result(staff):
    signal = SignalFactory(take_profits=[Decimal("1.090"), Decimal("1.095")])
    page = staff.get(change_url(signal)).content.decode()
    assert 'value="TP1 atteint"' in page

    follow_up(staff, signal, action="tp", order="1")
    assert 'value="TP2 atteint"' in staff.get(change_url(signal)).content.decode()
    response = follow_up(staff, signal, action="tp", order="2")

    signal.refresh_from_db()
    assert (signal.status, signal.take_profits_reached) == (Signal.Status.TP_HIT, 2)
    assert (signal.exit_price, signal.result_r) == (Decimal("1.095"), Decimal("2.00"))
    assert list(signal.events.values_list("kind", "take_profit_order")) == [
        ("tp_reached", 1),
        ("tp_reached", 2),
    ]
    assert "TP2 atteint, enregistré." in page_messages(response)
    assert 'id="signal-sl"' not in response.content.decode()  # closed: no more follow-up forms


def test_stop_loss_hit_is_minus_one_r_and_a_second_click_records_nothing_more(staff):
    signal = SignalFactory()

    follow_up(staff, signal, action="sl")
    response = follow_up(staff, signal, action="sl")

    signal.refresh_from_db()
    assert (signal.status, signal.result_r) == (Signal.Status.SL_HIT, Decimal("-1.00"))
    assert signal.events.filter(kind=SignalEvent.Kind.SL_HIT).count() == 1
    assert response.status_code == 200


def test_closing_at_a_price_and_a_bad_price_is_refused_in_french(staff):
    signal = SignalFactory()

    refused = follow_up(staff, signal, action="close", exit_price="abc")
    assert Signal.objects.get(pk=signal.pk).status == Signal.Status.OPEN
    assert any(message.startswith("Prix de sortie") for message in page_messages(refused))

    follow_up(staff, signal, action="close", exit_price="1.0875")

    signal.refresh_from_db()
    assert (signal.status, signal.exit_price, signal.result_r) == (
        Signal.Status.CLOSED,
        Decimal("1.0875"),
        Decimal("0.50"),
    )


def test_cancelling_a_closed_signal_is_refused_with_the_services_message(staff):
    signal = SignalFactory()
    follow_up(staff, signal, action="sl")

    response = follow_up(staff, signal, action="cancel")

    assert Signal.objects.get(pk=signal.pk).status == Signal.Status.SL_HIT
    assert "Un signal clôturé ne peut pas être annulé : son résultat compte." in page_messages(response)


def test_a_published_signals_status_and_trade_are_read_only_on_its_change_form(staff):
    signal = SignalFactory(comment="Avant")
    form = staff.get(change_url(signal)).context["adminform"].form

    assert {"status", "result_r", "exit_price", "entry_price", "stop_loss", "direction"}.isdisjoint(form.fields)

    staff.post(
        change_url(signal),
        {
            "comment": "Après",
            "entry_price": "2",
            "status": "tp_hit",
            "take_profits-TOTAL_FORMS": "0",
            "take_profits-INITIAL_FORMS": "0",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
            "revisions-TOTAL_FORMS": "0",
            "revisions-INITIAL_FORMS": "0",
        },
    )

    signal.refresh_from_db()
    assert signal.comment == "Après"
    assert (signal.entry_price, signal.status) == (Decimal("1.085"), Signal.Status.OPEN)
    assert not SignalRevision.objects.exists()


def test_correcting_a_published_signal_records_each_change_and_shows_it(staff, admin_user):
    signal = SignalFactory(stop_loss=Decimal("1.0810"), take_profits=[Decimal("1.090"), Decimal("1.095")])
    url = reverse("admin:trading_signals_signal_correct", args=[signal.pk])
    assert staff.get(url).context["form"].initial["take_profits"] == "1.09\n1.095"

    response = staff.post(
        url,
        {"direction": "buy", "entry_price": "1.085", "stop_loss": "1,0830", "take_profits": "1.090\n1.095\n1,1"},
        follow=True,
    )

    signal.refresh_from_db()
    assert signal.stop_loss == Decimal("1.083") and signal.corrected_at is not None
    revisions = list(
        signal.revisions.order_by("id").values_list("field", "take_profit_order", "old_value", "new_value")
    )
    assert revisions == [("stop_loss", 0, "1,0810", "1,0830"), ("take_profit", 3, "", "1,1000")]
    assert signal.revisions.first().changed_by == admin_user
    assert any(message.startswith("Signal corrigé") for message in page_messages(response))
    assert "1,0810" in response.content.decode()  # the revisions inline


def test_a_refused_correction_shows_the_services_message_next_to_the_field(staff):
    signal = SignalFactory()

    response = staff.post(
        reverse("admin:trading_signals_signal_correct", args=[signal.pk]),
        {"direction": "buy", "entry_price": "1.085", "stop_loss": "1.090", "take_profits": "1.095"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["stop_loss"] == [
        "Pour un achat, le stop-loss doit être sous le prix d'entrée."
    ]
    assert Signal.objects.get(pk=signal.pk).stop_loss == Decimal("1.08")


def test_a_published_signal_cannot_be_deleted_a_draft_can(staff):
    published = SignalFactory()
    draft = SignalFactory(is_published=False)

    assert (
        staff.post(reverse("admin:trading_signals_signal_delete", args=[published.pk]), {"post": "yes"}).status_code
        == 403
    )
    staff.post(CHANGELIST, {"action": "delete_selected", ACTION_CHECKBOX_NAME: [published.pk], "post": "yes"})
    assert Signal.objects.filter(pk=published.pk).exists()

    staff.post(reverse("admin:trading_signals_signal_delete", args=[draft.pk]), {"post": "yes"})
    assert not Signal.objects.filter(pk=draft.pk).exists()


def test_staff_without_the_change_permission_gets_403_from_the_buttons(admin_user):
    from django.contrib.auth.models import Permission

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_signal"))
    client = Client()
    client.force_login(viewer)
    signal = SignalFactory()

    assert 'id="signal-actions"' not in client.get(change_url(signal)).content.decode()
    assert (
        client.post(reverse("admin:trading_signals_signal_follow_up", args=[signal.pk]), {"action": "sl"}).status_code
        == 403
    )
    assert Signal.objects.get(pk=signal.pk).status == Signal.Status.OPEN


def test_the_change_page_shows_each_platforms_messages_with_their_state_and_error(staff, admin_user):
    signal = SignalFactory(is_published=False)
    event = services.signal_publish(signal_id=signal.pk, by=admin_user)
    # The publishing app's rows, reached through their relation (this app never imports the one above it).
    signal.channel_posts.update_or_create(
        event=event, platform="telegram", defaults={"chat_id": "-100", "message_id": "4242", "state": "sent"}
    )
    signal.channel_posts.update_or_create(
        event=event,
        platform="discord",
        defaults={"chat_id": "77", "message_id": "", "state": "failed", "last_error": "403 Missing Access"},
    )

    html = staff.get(change_url(signal)).content.decode()
    listed = staff.get(CHANGELIST).content.decode()

    assert "Discord : Échec · Telegram : Publié" in listed
    assert "4242" in html
    assert "403 Missing Access" in html
    assert "Telegram" in html and "Discord" in html
    assert "Échec" in html


def test_a_drafts_form_saves_its_trade_and_take_profits_and_leaves_the_rest_to_the_services(staff):
    draft = SignalFactory(is_published=False)
    tp = draft.take_profits.get()
    data = {
        "market": "forex",
        "instrument": "EUR/USD",
        "direction": "buy",
        "entry_price": "1,0860",  # typed the French way
        "stop_loss": "1.0810",
        "comment": "Corrigé avant publication",
        "take_profits-TOTAL_FORMS": "1",
        "take_profits-INITIAL_FORMS": "1",
        "take_profits-0-id": str(tp.pk),
        "take_profits-0-signal": str(draft.pk),
        "take_profits-0-order": "1",
        "take_profits-0-price": "1.0950",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
        "revisions-TOTAL_FORMS": "0",
        "revisions-INITIAL_FORMS": "0",
        "status": "tp_hit",  # not a field of the form: ignored
        "is_published": "on",
    }

    response = staff.post(change_url(draft), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    draft.refresh_from_db()
    assert (draft.entry_price, draft.stop_loss, draft.comment) == (
        Decimal("1.086"),
        Decimal("1.081"),
        "Corrigé avant publication",
    )
    assert [tp.price for tp in draft.take_profits.all()] == [Decimal("1.095")]
    assert (draft.status, draft.is_published) == (Signal.Status.OPEN, False)
    assert not SignalRevision.objects.exists()  # a draft is edited freely


def test_the_list_takes_the_same_number_of_queries_for_more_signals(staff, admin_user):
    def published(count: int) -> None:
        for _ in range(count):
            draft: Signal = SignalFactory.create(is_published=False)
            services.signal_publish(signal_id=draft.pk, by=admin_user)

    published(2)
    with CaptureQueriesContext(connection) as few:
        staff.get(CHANGELIST)
    published(4)
    with CaptureQueriesContext(connection) as more:
        staff.get(CHANGELIST)

    assert len(more) == len(few)
