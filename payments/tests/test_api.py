import json
import re

import pytest
from django.core import mail

from accounts.tests.factories import UnverifiedUserFactory, UserFactory
from conftest import client_for
from payments.models import Payment, PaymentKind, PaymentMethod
from payments.tests.factories import PaymentFactory, PaymentMethodFactory
from subscriptions.tests.factories import PlanFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("offered_methods")]

URL = "/api/auth/user/payments/"


def _declare(client, body, **headers):
    return client.post(URL, data=json.dumps(body), content_type="application/json", **headers)


def test_declare_returns_201_with_amount_from_the_plan(auth_client, member):
    plan = PlanFactory(price="49.00")
    response = _declare(auth_client, {"plan": plan.pk, "method": "bank_transfer", "reference": "VIR-1", "amount": "1"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["amount"] == "49.00" and body["currency"] == "EUR"
    assert body["status"] == "pending" and body["plan"]["slug"] == plan.slug
    assert Payment.objects.get(pk=body["id"]).user == member


def test_member_who_cannot_pay_gets_403_with_missing_fields():
    client = client_for(UnverifiedUserFactory())
    response = _declare(client, {"plan": PlanFactory().pk, "method": "paypal"})
    assert response.status_code == 403
    body = response.json()
    assert body["detail"]
    assert set(body["missing_fields"]) == {"first_name", "last_name", "email_verified", "telegram_or_discord"}
    assert not Payment.objects.exists()


def test_idempotency_key_retry_returns_200_with_the_first_payment(auth_client):
    plan = PlanFactory()
    first = _declare(auth_client, {"plan": plan.pk, "method": "paypal"}, HTTP_IDEMPOTENCY_KEY="abc-123")
    retry = _declare(auth_client, {"plan": plan.pk, "method": "paypal"}, HTTP_IDEMPOTENCY_KEY="abc-123")
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json()["id"] == first.json()["id"]
    assert Payment.objects.count() == 1


def test_a_second_declaration_while_one_is_pending_is_409_with_the_pending_one(auth_client):
    plan = PlanFactory()
    first = _declare(auth_client, {"plan": plan.pk, "method": "paypal"})

    second = _declare(auth_client, {"plan": plan.pk, "method": "bank_transfer"})

    assert (first.status_code, second.status_code) == (201, 409)
    body = second.json()
    assert "déjà un paiement en attente" in body["detail"] and first.json()["code"] in body["detail"]
    assert body["payment"] == first.json()
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"plan": 999999, "method": "paypal"}, "plan"),
        ({"plan": "mensuel", "method": "paypal"}, "plan"),
        ({"plan": None, "method": "paypal"}, "plan"),
        ({"method": "paypal"}, "plan"),
        ({"plan": "__PLAN__", "method": "cheque"}, "method"),
        ({"plan": "__PLAN__", "method": ["card"]}, "method"),
        ({"plan": "__PLAN__", "method": "paypal", "reference": "x" * 10_000}, "reference"),
        ({"plan": "__PLAN__", "method": "paypal", "reference": {"a": 1}}, "reference"),
        ({"plan": "__PLAN__", "method": "paypal", "note": "x" * 10_000}, "note"),
        ({"plan": 1.5, "method": "paypal"}, "plan"),
        ({"plan": True, "method": "paypal"}, "plan"),
        ({"plan": "__PLAN_AS_TEXT__", "method": "paypal"}, "plan"),
        ({"plan": "__PLAN__", "method": "paypal", "reference": 123}, "reference"),
        ({"plan": "__PLAN__", "method": "paypal", "note": 4.5}, "note"),
    ],
)
def test_bad_declaration_fields_are_400_naming_the_field(auth_client, body, field):
    plan = PlanFactory()
    placeholders = {"__PLAN__": plan.pk, "__PLAN_AS_TEXT__": str(plan.pk)}
    body = {key: placeholders.get(value, value) if isinstance(value, str) else value for key, value in body.items()}
    response = _declare(auth_client, body)
    assert response.status_code == 400
    assert field in response.json()
    assert not Payment.objects.exists()


def test_inactive_plan_is_400(auth_client):
    response = _declare(auth_client, {"plan": PlanFactory(is_active=False).pk, "method": "paypal"})
    assert response.status_code == 400
    assert "plan" in response.json()


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"text"', "null", "12"])
def test_malformed_or_non_object_body_is_400_json(auth_client, raw):
    response = auth_client.post(URL, data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert not Payment.objects.exists()


def test_oversized_idempotency_key_is_400(auth_client):
    response = _declare(auth_client, {"plan": PlanFactory().pk, "method": "paypal"}, HTTP_IDEMPOTENCY_KEY="k" * 101)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]


def test_history_is_newest_first_paginated_and_only_mine(auth_client, member):
    plan = PlanFactory()
    mine = [PaymentFactory(user=member, plan=plan, status=status) for status in ("confirmed", "rejected", "pending")]
    PaymentFactory(user=UserFactory(), plan=plan)
    response = auth_client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [row["id"] for row in body["results"]] == [p.pk for p in reversed(mine)]
    page = auth_client.get(URL, {"page_size": 2, "page": 2}).json()
    assert [row["id"] for row in page["results"]] == [mine[0].pk]


def test_history_bad_page_is_404_json(auth_client):
    response = auth_client.get(URL, {"page": "abc"})
    assert response.status_code == 404
    assert "detail" in response.json()


def test_another_members_payments_never_appear_in_my_history(auth_client):
    other = PaymentFactory(user=UserFactory(), reference="REF-AUTRE-MEMBRE")

    response = auth_client.get(URL)

    assert response.status_code == 200
    assert response.json()["count"] == 0
    assert other.reference not in response.content.decode()


def test_payments_need_authentication(api_client):
    assert api_client.get(URL).status_code == 401
    assert api_client.post(URL, {}, format="json").status_code == 401


# -- issue 15: methods, codes, instructions, one pending payment, cancellation --------------------------------------

CODE = re.compile(r"^CFI-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$")


def test_the_answer_carries_the_code_the_method_and_the_rendered_instructions(auth_client, offered_methods):
    plan = PlanFactory(name="Trimestriel", price="1449.00")
    transfer = offered_methods[PaymentKind.BANK_TRANSFER]

    response = _declare(auth_client, {"plan": plan.pk, "payment_method": transfer.pk})

    assert response.status_code == 201, response.json()
    body = response.json()
    assert CODE.match(body["code"]) and Payment.objects.get().code == body["code"]
    assert body["payment_method"] == {"id": transfer.pk, "kind": "bank_transfer", "label": transfer.label}
    assert body["method"] == "bank_transfer"
    assert body["instructions"] == f"Payez 1449,00 € pour la formule Trimestriel avec le code {body['code']}."
    assert body["has_proof"] is False and body["cancelled_at"] is None


def test_each_declaration_gets_its_own_code(offered_methods):
    plan = PlanFactory()
    codes = set()
    for _ in range(20):
        member = UserFactory()
        response = _declare(client_for(member), {"plan": plan.pk, "method": "paypal"})
        codes.add(response.json()["code"])
    assert len(codes) == 20 and all(CODE.match(code) for code in codes)


def test_a_code_already_taken_is_drawn_again(auth_client, monkeypatch):
    taken = PaymentFactory(user=UserFactory(), status=Payment.Status.CONFIRMED)
    draws = iter(taken.code[4:] + "XYZ234")  # the first six characters repeat the taken code
    monkeypatch.setattr("payments.models.secrets.choice", lambda alphabet: next(draws))

    response = _declare(auth_client, {"plan": PlanFactory().pk, "method": "paypal"})

    assert response.status_code == 201
    assert response.json()["code"] == "CFI-XYZ234"


def test_the_old_method_field_needs_exactly_one_active_method_of_that_kind(auth_client, offered_methods):
    plan = PlanFactory()
    PaymentMethodFactory(kind=PaymentKind.PAYPAL, label="PayPal bis")
    offered_methods[PaymentKind.CASH].is_active = False
    offered_methods[PaymentKind.CASH].save()

    several = _declare(auth_client, {"plan": plan.pk, "method": "paypal"})
    none = _declare(auth_client, {"plan": plan.pk, "method": "cash"})
    neither = _declare(auth_client, {"plan": plan.pk})

    assert several.status_code == none.status_code == neither.status_code == 400
    assert "choisissez-en un" in several.json()["payment_method"][0]
    assert "pas proposé" in none.json()["payment_method"][0]
    assert neither.json() == {"payment_method": ["Choisissez un moyen de paiement."]}
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("choice", "field", "message"),
    [
        ("inactive", "payment_method", "Moyen de paiement inconnu ou plus proposé."),
        ("unknown", "payment_method", "Moyen de paiement inconnu ou plus proposé."),
        ("as_text", "payment_method", "Identifiant de moyen de paiement invalide."),
        ("other_kind", "method", "Ce type ne correspond pas au moyen de paiement choisi."),
    ],
)
def test_a_method_that_cannot_be_chosen_is_a_french_400(auth_client, offered_methods, choice, field, message):
    transfer = offered_methods[PaymentKind.BANK_TRANSFER]
    body = {
        "inactive": {"payment_method": PaymentMethodFactory(is_active=False).pk},
        "unknown": {"payment_method": 999_999},
        "as_text": {"payment_method": str(transfer.pk)},
        "other_kind": {"payment_method": transfer.pk, "method": "paypal"},
    }[choice]

    response = _declare(auth_client, {"plan": PlanFactory().pk, **body})

    assert response.status_code == 400
    assert response.json() == {field: [message]}
    assert not Payment.objects.exists()


def test_crypto_needs_the_transaction_hash_as_reference(auth_client, offered_methods):
    crypto = offered_methods[PaymentKind.CRYPTO].pk
    plan = PlanFactory()

    missing = _declare(auth_client, {"plan": plan.pk, "payment_method": crypto, "reference": "   "})
    given = _declare(auth_client, {"plan": plan.pk, "payment_method": crypto, "reference": " 9f3a2b7c "})

    assert missing.status_code == 400
    assert missing.json() == {"reference": ["Indiquez le hash (identifiant) de la transaction en référence."]}
    assert given.status_code == 201 and given.json()["reference"] == "9f3a2b7c"


def test_the_reference_stays_optional_for_other_methods(auth_client):
    response = _declare(auth_client, {"plan": PlanFactory().pk, "method": "bank_transfer"})

    assert response.status_code == 201 and response.json()["reference"] == ""


def test_an_idempotent_retry_gets_its_payment_with_200_not_a_409(auth_client):
    plan = PlanFactory()
    first = _declare(auth_client, {"plan": plan.pk, "method": "paypal"}, HTTP_IDEMPOTENCY_KEY="k-15")

    retry = _declare(auth_client, {"plan": plan.pk, "method": "paypal"}, HTTP_IDEMPOTENCY_KEY="k-15")
    other_key = _declare(auth_client, {"plan": plan.pk, "method": "paypal"}, HTTP_IDEMPOTENCY_KEY="k-16")

    assert (retry.status_code, retry.json()["id"]) == (200, first.json()["id"])
    assert other_key.status_code == 409 and other_key.json()["payment"]["id"] == first.json()["id"]


def test_after_cancelling_the_member_can_declare_again(auth_client):
    plan = PlanFactory()
    first = _declare(auth_client, {"plan": plan.pk, "method": "paypal"}).json()

    cancelled = auth_client.post(f"{URL}{first['id']}/cancel/")
    again = _declare(auth_client, {"plan": plan.pk, "method": "paypal"})

    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["cancelled_at"]
    assert again.status_code == 201 and again.json()["code"] != first["code"]


def test_cancelling_records_who_and_when(auth_client, member):
    payment = PaymentFactory(user=member)

    response = auth_client.post(f"{URL}{payment.pk}/cancel/")

    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CANCELLED
    assert payment.cancelled_by == member and payment.cancelled_at is not None


def test_cancelling_another_members_payment_is_404_and_changes_nothing(auth_client):
    other = PaymentFactory(user=UserFactory())

    response = auth_client.post(f"{URL}{other.pk}/cancel/")

    assert response.status_code == 404
    assert Payment.objects.get(pk=other.pk).status == Payment.Status.PENDING


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("confirmed", "Ce paiement est déjà confirmé. Seul un paiement en attente peut être annulé."),
        ("rejected", "Ce paiement a été rejeté. Seul un paiement en attente peut être annulé."),
        ("cancelled", "Ce paiement est déjà annulé. Seul un paiement en attente peut être annulé."),
    ],
)
def test_cancelling_a_payment_that_is_not_pending_is_a_french_409(auth_client, member, status, message):
    payment = PaymentFactory(user=member, status=status)

    response = auth_client.post(f"{URL}{payment.pk}/cancel/")

    assert response.status_code == 409
    assert response.json() == {"detail": message}
    assert Payment.objects.get(pk=payment.pk).status == status


def test_cancel_needs_authentication(api_client):
    assert api_client.post(f"{URL}{PaymentFactory().pk}/cancel/").status_code == 401


def test_history_items_carry_code_method_instructions_and_proof_flag(auth_client, member):
    plan = PlanFactory(name="Mensuel", price="49.00")
    new = PaymentFactory(user=member, plan=plan, proof_name="proofs/x.pdf", proof_type="application/pdf")
    old = PaymentFactory(user=member, plan=plan, payment_method=None, status=Payment.Status.CONFIRMED)

    rows = {row["id"]: row for row in auth_client.get(URL).json()["results"]}

    assert rows[new.pk]["code"] == new.code and rows[new.pk]["has_proof"] is True
    assert rows[new.pk]["payment_method"]["id"] == new.payment_method_id
    assert rows[new.pk]["instructions"] == f"Payez 49,00 € pour la formule Mensuel avec le code {new.code}."
    assert rows[old.pk]["payment_method"] is None and rows[old.pk]["instructions"] == ""
    assert rows[old.pk]["has_proof"] is False


def test_the_instructions_email_leaves_after_commit_with_everything_needed_to_pay(
    auth_client, member, offered_methods, django_capture_on_commit_callbacks, settings
):
    plan = PlanFactory(name="Annuel", price="449.00")
    transfer = offered_methods[PaymentKind.BANK_TRANSFER]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        body = _declare(auth_client, {"plan": plan.pk, "payment_method": transfer.pk}).json()
    assert mail.outbox == []  # nothing before the commit
    for callback in callbacks:
        callback()

    [message] = mail.outbox
    assert message.to == [member.email]
    assert message.subject == f"Instructions de paiement – {body['code']}"
    html = message.alternatives[0][0]
    for text in (message.body, html):
        assert "Annuel" in text and "449,00 €" in text and body["code"] in text
        assert transfer.label in text and "FR7630006000011234567890189" in text and "DEMOFRPPXXX" in text
        assert f"Payez 449,00 € pour la formule Annuel avec le code {body['code']}." in text
        assert f"{settings.FRONTEND_URL}/paiements/" in text


def test_no_instructions_email_for_a_retry_or_a_refused_declaration(auth_client, django_capture_on_commit_callbacks):
    plan = PlanFactory()
    with django_capture_on_commit_callbacks(execute=True):
        _declare(auth_client, {"plan": plan.pk, "method": "paypal"}, HTTP_IDEMPOTENCY_KEY="once")
        _declare(auth_client, {"plan": plan.pk, "method": "paypal"}, HTTP_IDEMPOTENCY_KEY="once")
        _declare(auth_client, {"plan": plan.pk, "method": "paypal"})

    assert len(mail.outbox) == 1


def test_payment_methods_are_public_active_only_in_the_admins_order(api_client):
    PaymentMethod.objects.update(is_active=False)  # given only the methods below
    later = PaymentMethodFactory(kind=PaymentKind.CRYPTO, label="USDT", position=20)
    first = PaymentMethodFactory(kind=PaymentKind.BANK_TRANSFER, label="Virement", position=10)
    PaymentMethodFactory(label="Ancien compte", position=1, is_active=False)

    response = api_client.get("/api/payment-methods/")

    assert response.status_code == 200
    offered = response.json()
    assert [row["id"] for row in offered] == [first.pk, later.pk]
    assert offered[0] == {
        "id": first.pk,
        "kind": "bank_transfer",
        "label": "Virement",
        "details": first.details,
        "instructions": "Payez {amount} {currency} pour la formule {plan} avec le code {code}.",
    }
    assert offered[1]["details"] == {"network": "TRC20", "address": "TG7Uz21UfGtY2s6w9eQ2sxfw35iDu4fUMo"}
