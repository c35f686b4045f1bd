"""The staff API: create and publish, change the status, correct. Members get 403, strangers 401."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from accounts.tests.factories import UserFactory
from conftest import client_for
from trading_signals.models import Signal, SignalEvent, SignalRevision
from trading_signals.tests.factories import SignalFactory

pytestmark = pytest.mark.django_db

CREATE_URL = "/api/admin/signals/"
NEW_SIGNAL = {
    "market": "forex",
    "instrument": "EUR/USD",
    "direction": "buy",
    "entry_price": "1.0850",
    "stop_loss": "1.0810",
    "take_profits": ["1.0900", "1.0950"],
    "comment": "Rebond sur support.",
}


def correct_url(signal: Signal) -> str:
    return f"/api/admin/signals/{signal.pk}/"


def events_url(signal: Signal) -> str:
    return f"/api/admin/signals/{signal.pk}/events/"


def grant(user, *codenames: str):
    """Real Permission rows of trading_signals, as the admin checks them."""
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="trading_signals", codename__in=codenames)
    )
    return user


def staff_with(*codenames: str):
    return client_for(grant(UserFactory(is_staff=True), *codenames))


@pytest.fixture
def staff():
    return staff_with("add_signal", "change_signal", "view_signal")


def test_staff_creates_and_publishes_a_signal(staff):
    response = staff.post(CREATE_URL, NEW_SIGNAL, format="json")

    assert response.status_code == 201
    body = response.json()
    signal = Signal.objects.get(pk=body["id"])
    assert signal.is_published is True
    assert body["take_profits"] == ["1.090000", "1.095000"]
    assert [(entry["type"], entry["kind"]) for entry in body["history"]] == [("event", "published")]
    assert signal.events.get().kind == SignalEvent.Kind.PUBLISHED


def test_a_draft_is_created_unpublished(staff):
    body = staff.post(CREATE_URL, {**NEW_SIGNAL, "draft": True}, format="json").json()

    signal = Signal.objects.get(pk=body["id"])
    assert (signal.is_published, body["history"]) == (False, [])
    assert not SignalEvent.objects.exists()


def test_fields_not_listed_are_not_written(staff):
    body = staff.post(
        CREATE_URL, {**NEW_SIGNAL, "status": "tp_hit", "result_r": "9.00", "version": 40}, format="json"
    ).json()

    signal = Signal.objects.get(pk=body["id"])
    assert (signal.status, signal.result_r, signal.version) == ("open", None, 2)


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"stop_loss": "1.0850"}, "stop_loss", "égal au prix d'entrée"),
        ({"take_profits": ["1.0950", "1.0900"]}, "take_profits", "TP1 d'abord"),
        ({"take_profits": []}, "take_profits", "au moins 1"),
        ({"market": "actions"}, "market", "n'est pas un choix valide"),
        ({"entry_price": "abc"}, "entry_price", "nombre"),
    ],
)
def test_an_impossible_signal_is_a_400_in_french(staff, changes, field, fragment):
    response = staff.post(CREATE_URL, {**NEW_SIGNAL, **changes}, format="json")

    assert response.status_code == 400
    assert fragment in response.json()[field][0]
    assert not Signal.objects.exists()


def test_staff_reaches_targets_in_order_and_a_repeat_returns_the_same_event(staff):
    signal = SignalFactory(take_profits=[Decimal("1.09"), Decimal("1.1")])

    first = staff.post(events_url(signal), {"kind": "tp_reached", "take_profit_order": 1}, format="json")
    again = staff.post(events_url(signal), {"kind": "tp_reached", "take_profit_order": 1}, format="json")
    last = staff.post(events_url(signal), {"kind": "tp_reached", "take_profit_order": 2}, format="json")

    assert first.status_code == again.status_code == last.status_code == 200
    assert first.json()["event"]["id"] == again.json()["event"]["id"]
    body = last.json()
    assert (body["event"]["kind"], body["event"]["take_profit_order"]) == ("tp_reached", 2)
    # Entry 1.085, stop 1.080, TP2 1.100: 3 R.
    assert (body["signal"]["status"], body["signal"]["result_r"]) == ("tp_hit", "3.00")
    assert SignalEvent.objects.filter(signal=signal).count() == 2


@pytest.mark.parametrize(
    ("payload", "status", "result_r"),
    [
        ({"kind": "sl_hit"}, "sl_hit", "-1.00"),
        ({"kind": "closed", "exit_price": "1.0875"}, "closed", "0.50"),
        ({"kind": "cancelled"}, "cancelled", None),
    ],
)
def test_staff_ends_a_signal(staff, payload, status, result_r):
    signal = SignalFactory()

    body = staff.post(events_url(signal), payload, format="json").json()

    assert (body["signal"]["status"], body["signal"]["result_r"]) == (status, result_r)


def test_impossible_transitions_are_400_in_french(staff):
    signal = SignalFactory(take_profits=[Decimal("1.09"), Decimal("1.1")])

    tp2_first = staff.post(events_url(signal), {"kind": "tp_reached", "take_profit_order": 2}, format="json")
    staff.post(events_url(signal), {"kind": "cancelled"}, format="json")
    close_cancelled = staff.post(events_url(signal), {"kind": "closed", "exit_price": "1.09"}, format="json")

    assert tp2_first.status_code == close_cancelled.status_code == 400
    assert tp2_first.json()["detail"] == "Le TP1 doit être atteint avant le TP2."
    assert "annulé" in close_cancelled.json()["detail"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"kind": "tp_reached"}, "take_profit_order"), ({"kind": "closed"}, "exit_price"), ({"kind": "won"}, "kind")],
)
def test_an_event_without_what_it_needs_is_a_400(staff, payload, field):
    response = staff.post(events_url(SignalFactory()), payload, format="json")

    assert response.status_code == 400
    assert field in response.json()


def test_staff_publishes_a_draft_through_events(staff):
    signal = SignalFactory(is_published=False)

    body = staff.post(events_url(signal), {"kind": "published"}, format="json").json()

    assert body["event"]["kind"] == "published"
    assert Signal.objects.get(pk=signal.pk).is_published is True


def test_staff_corrects_a_published_signal_and_the_history_says_so(staff):
    signal = SignalFactory()

    response = staff.patch(correct_url(signal), {"stop_loss": "1.0820"}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["stop_loss"] == "1.082000"
    assert body["corrected_at"] is not None
    [entry] = body["history"]
    assert (entry["type"], entry["field"], entry["old_value"], entry["new_value"]) == (
        "revision",
        "stop_loss",
        "1,0800",
        "1,0820",
    )
    assert SignalRevision.objects.get().changed_by.is_staff


def test_an_impossible_correction_is_a_400_and_an_empty_one_too(staff):
    signal = SignalFactory()

    equal = staff.patch(correct_url(signal), {"stop_loss": "1.0850"}, format="json")
    empty = staff.patch(correct_url(signal), {}, format="json")

    assert equal.status_code == empty.status_code == 400
    assert "égal au prix d'entrée" in equal.json()["stop_loss"][0]
    assert "au moins une valeur" in empty.json()["non_field_errors"][0]
    assert not SignalRevision.objects.exists()


def test_unknown_signal_is_404(staff):
    assert staff.patch("/api/admin/signals/999999/", {"stop_loss": "1"}, format="json").status_code == 404
    assert staff.post("/api/admin/signals/999999/events/", {"kind": "sl_hit"}, format="json").status_code == 404


def test_members_get_403_and_strangers_401(auth_client, api_client):
    signal = SignalFactory()

    for client, code in ((auth_client, 403), (api_client, 401)):
        assert client.post(CREATE_URL, NEW_SIGNAL, format="json").status_code == code
        assert client.patch(correct_url(signal), {"stop_loss": "1.082"}, format="json").status_code == code
        assert client.post(events_url(signal), {"kind": "sl_hit"}, format="json").status_code == code
    assert not SignalEvent.objects.exists()
    assert Signal.objects.count() == 1


def test_staff_who_may_only_view_signals_get_403(admin_user):
    reader = staff_with("view_signal")
    adder = staff_with("add_signal")
    signal = SignalFactory()

    assert reader.post(CREATE_URL, NEW_SIGNAL, format="json").status_code == 403
    assert reader.patch(correct_url(signal), {"stop_loss": "1.082"}, format="json").status_code == 403
    assert reader.post(events_url(signal), {"kind": "sl_hit"}, format="json").status_code == 403
    assert adder.post(events_url(signal), {"kind": "sl_hit"}, format="json").status_code == 403
    assert adder.post(CREATE_URL, NEW_SIGNAL, format="json").status_code == 201
    assert client_for(admin_user).post(events_url(signal), {"kind": "sl_hit"}, format="json").status_code == 200
