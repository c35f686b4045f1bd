"""/espace/paiements/: the checkout (plan, method, declaration), every refusal in French next to its field, the
pending payment (code, details, instructions, copy buttons, proof, cancellation) and the history."""

import re
from decimal import Decimal
from io import BytesIO

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from accounts.tests.factories import UnverifiedUserFactory, UserFactory
from payments.models import Payment, PaymentKind
from payments.proofs import MAX_PROOF_BYTES
from payments.services import payment_confirm, payment_reject
from payments.tests.factories import PaymentFactory, PaymentMethodFactory
from subscriptions.tests.factories import PlanFactory

pytestmark = pytest.mark.django_db

URL = "/espace/paiements/"
NBSP = "\xa0"
IBAN = "FR7630006000011234567890189"
WALLET = "TG7Uz21UfGtY2s6w9eQ2sxfw35iDu4fUMo"
# DRF's own wording, which no member must read (what the page showed before issue 15, and its kin).
DRF_WORDING = [
    "Ce champ",
    "n&#x27;est pas un choix valide",
    "n'est pas un choix valide",
    "Assurez-vous",
    "Type incorrect",
    "Clé primaire",
    "Identifiant de formule invalide",
    "Identifiant de moyen de paiement invalide",
    "Formule inconnue ou plus proposée",
]


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """Proofs go to a folder of the test's own."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private_media"
    return settings.PRIVATE_MEDIA_ROOT


@pytest.fixture
def monthly():
    return PlanFactory(name="Mensuel", slug="mensuel", price="49.00", duration_days=30)


@pytest.fixture
def transfer():
    return PaymentMethodFactory(kind=PaymentKind.BANK_TRANSFER, label="Virement SEPA", position=1)


@pytest.fixture
def crypto():
    return PaymentMethodFactory(kind=PaymentKind.CRYPTO, label="USDT TRC20", position=2)


def text(response) -> str:
    return response.content.decode()


def errors_of(html: str, field: str) -> list[str]:
    """The messages listed next to a field (templates/member_space/_field_errors.html)."""
    block = re.search(rf'<ul class="field-errors[^"]*" id="{field}-errors">(.*?)</ul>', html, re.S)
    return re.findall(r"<li>(.*?)</li>", block.group(1), re.S) if block else []


def declare(browser, **fields):
    data = {"reference": "", "note": "", "idempotency_key": "cle-1", **fields}
    return browser.post(URL, {key: value for key, value in data.items() if value is not None})


def png_bytes() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (40, 30), (20, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(browser, payment, content: bytes, name: str = "preuve.png", **extra):
    return browser.post(f"/espace/paiements/{payment.pk}/preuve/", {"file": SimpleUploadedFile(name, content)}, **extra)


# --- step 1: the plan ---------------------------------------------------------------------------------------


def test_the_formule_in_the_address_is_preselected_as_a_summary(browser, monthly, transfer):
    PlanFactory(name="Annuel", slug="annuel", price="449.00", duration_days=365)

    html = text(browser.get(f"{URL}?formule=mensuel"))

    summary = html[html.index('<div class="plan-summary" data-slug="mensuel">') : html.index('id="step-method"')]
    assert "Mensuel" in summary and f"49,00{NBSP}€" in summary and "30 jours d'accès" in summary
    assert 'href="/espace/formules/">Changer de formule</a>' in summary
    assert f'<input type="hidden" name="plan" value="{monthly.pk}">' in html
    assert 'name="plan" value="' + str(monthly.pk) + '" id=' not in html  # no plan radio: the choice is made
    assert "Annuel" not in html


def test_an_unknown_formule_is_said_in_french_and_the_plans_are_offered(browser, monthly, transfer):
    response = browser.get(f"{URL}?formule=platine")

    html = text(response)
    assert response.status_code == 200
    assert "La formule «&nbsp;platine&nbsp;» n'existe pas ou n'est plus proposée" in html
    assert f'type="radio" name="plan" value="{monthly.pk}"' in html


@pytest.mark.parametrize("formule", ["%00", "x" * 200, "%C3%A9t%C3%A9%07"])
def test_a_formule_that_is_no_name_is_refused_without_being_echoed(browser, monthly, transfer, formule):
    response = browser.get(f"{URL}?formule={formule}")

    html = text(response)
    assert response.status_code == 200
    assert "Cette formule n'existe pas ou n'est plus proposée" in html
    assert "\x00" not in html and "x" * 60 not in html


def test_without_a_formule_the_plans_are_a_compact_choice(browser, monthly, transfer):
    PlanFactory(name="Annuel", slug="annuel", price="1449.50", duration_days=365)

    html = text(browser.get(URL))

    assert html.count('type="radio" name="plan"') == 2
    assert f"1{NBSP}449,50{NBSP}€" in html and "365 jours" in html
    assert "formule-unknown" not in html


# --- step 2: the method -------------------------------------------------------------------------------------


def test_without_a_method_configured_the_page_says_so_and_offers_no_form(browser, monthly):
    html = text(browser.get(f"{URL}?formule=mensuel"))

    assert "Aucun moyen de paiement n'est encore configuré" in html
    assert '<form method="post" action="/espace/paiements/"' not in html
    assert "Déclarer le paiement" not in html


def test_each_method_shows_its_details_before_declaring(browser, monthly):
    for kind in PaymentKind:
        PaymentMethodFactory(kind=kind, label=f"Moyen {kind.value}")
    PaymentMethodFactory(kind=PaymentKind.CARD, label="Ancien moyen", is_active=False)

    html = text(browser.get(f"{URL}?formule=mensuel"))

    # Every kind but the card, which is paid online (the "Payer par carte" option), never declared.
    assert html.count('type="radio" name="payment_method"') == len(PaymentKind) - 1
    assert "Moyen card" not in html and "Ancien moyen" not in html
    assert "FR76 3000 6000 0112 3456 7890 189" in html and f'data-copy="{IBAN}"' in html
    assert "DEMOFRPPXXX" in html and "Titulaire du compte" in html
    assert "TRON (TRC20)" in html and f'data-copy="{WALLET}"' in html
    assert "paiements@example.com" in html
    assert "Orange Money" in html and 'data-copy="+2250707070707"' in html
    assert "Bureau CalmnessFi" in html
    assert "Crypto-monnaie : obligatoire" in html  # the reference's hint
    assert 'name="idempotency_key" value="' in html


def test_the_only_method_offered_is_already_chosen(browser, monthly, transfer):
    html = text(browser.get(f"{URL}?formule=mensuel"))

    assert f'value="{transfer.pk}" id="id_payment_method_{transfer.pk}" checked' in html


# --- declaring ----------------------------------------------------------------------------------------------


def test_declaring_creates_one_pending_payment_and_shows_it(
    browser, member, monthly, transfer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = declare(browser, plan=monthly.pk, payment_method=transfer.pk, reference="VIR-1")

    assert response.status_code == 302 and response["Location"] == URL
    payment = Payment.objects.get(user=member)
    assert (payment.status, payment.amount, payment.payment_method, payment.reference) == (
        Payment.Status.PENDING, Decimal("49.00"), transfer, "VIR-1",
    )  # fmt: skip
    html = text(browser.get(URL))
    assert f"Paiement de 49,00{NBSP}€ déclaré pour la formule Mensuel. Indiquez le code {payment.code}" in html
    assert [message.subject for message in mail.outbox] == [f"Instructions de paiement – {payment.code}"]
    assert f"Montant : 49,00{NBSP}€" in mail.outbox[0].body


def test_the_pending_payment_shows_code_amount_details_instructions_and_copy_buttons(
    browser, member, monthly, transfer
):
    payment = PaymentFactory(user=member, plan=monthly, payment_method=transfer, reference="")

    html = text(browser.get(URL))

    assert "Paiement en attente de vérification" in html
    assert f'<code class="pay-code copy-value" id="pending-code">{payment.code}</code>' in html
    assert f'<span class="pay-amount copy-value" id="pending-amount">49,00{NBSP}€</span>' in html
    assert f'data-copy="{payment.code}"' in html and 'data-copy="49,00"' in html and f'data-copy="{IBAN}"' in html
    assert html.count("hidden>Copier") >= 3  # shown by payments.js; without it the values stay plain text
    assert f"Payez 49,00 € pour la formule Mensuel avec le code {payment.code}." in html
    assert "Un administrateur vérifie votre paiement, généralement sous 24 h ouvrées." in html
    assert "puis votre invitation Telegram/Discord." in html
    assert f'action="/espace/paiements/{payment.pk}/preuve/"' in html
    assert f'action="/espace/paiements/{payment.pk}/annuler/"' in html
    assert "Oui, annuler ce paiement" in html
    assert 'id="declare"' not in html  # no second declaration while one waits
    assert '<script src="/static/member_space/payments.js" defer></script>' in html
    assert "<script>" not in html


def test_a_double_submit_gives_one_payment(browser, member, monthly, transfer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = declare(browser, plan=monthly.pk, payment_method=transfer.pk, idempotency_key="meme-cle")
        again = declare(browser, plan=monthly.pk, payment_method=transfer.pk, idempotency_key="meme-cle")

    assert first.status_code == again.status_code == 302
    assert Payment.objects.filter(user=member).count() == 1
    assert len(mail.outbox) == 1


def test_a_second_declaration_while_one_is_pending_shows_the_pending_one(browser, member, monthly, transfer):
    pending = PaymentFactory(user=member, plan=monthly, payment_method=transfer)

    response = declare(browser, plan=monthly.pk, payment_method=transfer.pk, idempotency_key="autre-cle")

    assert response.status_code == 302
    html = text(browser.get(URL))
    assert f"Vous avez déjà un paiement en attente ({pending.code}) : le voici." in html
    assert f'id="pending-code">{pending.code}</code>' in html
    assert Payment.objects.filter(user=member).count() == 1


def test_a_stale_form_posted_while_a_payment_waits_shows_the_waiting_one(browser, member, monthly, transfer):
    pending = PaymentFactory(user=member, plan=monthly, payment_method=transfer)

    response = declare(browser, plan=monthly.pk, payment_method=None, idempotency_key="vieil-onglet")

    html = text(response)
    assert response.status_code == 400
    assert f"Vous avez déjà un paiement en attente ({pending.code}) : le voici." in html
    assert f'id="pending-code">{pending.code}</code>' in html


def test_a_throttled_member_with_a_waiting_payment_reads_the_limit_too(browser, member, monthly, transfer, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "payment_declare": "1/hour"}
    PaymentFactory(user=member, plan=monthly, payment_method=transfer)
    declare(browser, plan=monthly.pk, payment_method=transfer.pk)

    response = declare(browser, plan=monthly.pk, payment_method=transfer.pk, idempotency_key="encore")

    assert response.status_code == 429
    assert errors_of(text(response), "form")[0].startswith("Trop de tentatives.")


REFUSALS = [
    pytest.param({"plan": None}, "plan", "Choisissez une formule.", id="no-plan"),
    pytest.param({"plan": ""}, "plan", "Choisissez une formule.", id="empty-plan"),
    pytest.param(
        {"plan": "999999"}, "plan", "Cette formule n&#x27;existe pas ou n&#x27;est plus proposée", id="unknown-plan"
    ),
    pytest.param({"plan": "abc"}, "plan", "Cette formule n&#x27;existe pas", id="plan-not-a-number"),
    pytest.param({"plan": "²"}, "plan", "Cette formule n&#x27;existe pas", id="plan-superscript-digit"),
    pytest.param({"payment_method": None}, "payment_method", "Choisissez un moyen de paiement.", id="no-method"),
    pytest.param({"payment_method": ""}, "payment_method", "Choisissez un moyen de paiement.", id="empty-method"),
    pytest.param(
        {"payment_method": "999999"},
        "payment_method",
        "Ce moyen de paiement n&#x27;existe pas ou n&#x27;est plus proposé",
        id="unknown-method",
    ),
    pytest.param(
        {"payment_method": None, "method": ""}, "payment_method", "Choisissez un moyen de paiement.", id="blank-kind"
    ),
    pytest.param(
        {"payment_method": None, "method": "virement"},
        "payment_method",
        "Ce moyen de paiement n&#x27;existe pas",
        id="unknown-kind",
    ),
    pytest.param(
        {"reference": "R" * 101}, "reference", "La référence ne doit pas dépasser 100 caractères.", id="long-ref"
    ),
    pytest.param({"note": "N" * 1001}, "note", "La note ne doit pas dépasser 1000 caractères.", id="long-note"),
    pytest.param({"reference": "a\x00b"}, "reference", "Le caractère nul n’est pas autorisé.", id="nul-reference"),
    pytest.param({"note": "\x00"}, "note", "Le caractère nul n’est pas autorisé.", id="nul-note"),
    pytest.param({"plan": "\x00"}, "plan", "Le caractère nul n’est pas autorisé.", id="nul-plan"),
    pytest.param(
        {"payment_method": "1\x00"}, "payment_method", "Le caractère nul n’est pas autorisé.", id="nul-method"
    ),
    pytest.param(
        {"payment_method": None, "method": "card\x00"},
        "payment_method",
        "Le caractère nul n’est pas autorisé.",
        id="nul-kind",
    ),
]


@pytest.mark.parametrize(("change", "field", "message"), REFUSALS)
def test_each_refusal_is_a_french_sentence_next_to_its_field(
    browser, member, monthly, transfer, change, field, message
):
    form = {"plan": str(monthly.pk), "payment_method": str(transfer.pk), **change}

    response = declare(browser, **form)

    html = text(response)
    assert response.status_code == 400
    assert any(message in error for error in errors_of(html, field)), errors_of(html, field)
    for wording in DRF_WORDING:
        assert wording not in html, wording
    assert not Payment.objects.filter(user=member).exists()


def test_a_crypto_payment_without_its_hash_is_refused_next_to_the_reference(browser, member, monthly, crypto):
    response = declare(browser, plan=monthly.pk, payment_method=crypto.pk, reference="   ", note="Merci")

    html = text(response)
    assert response.status_code == 400
    assert errors_of(html, "reference") == ["Indiquez le hash (identifiant) de la transaction en référence."]
    assert f'value="{crypto.pk}" id="id_payment_method_{crypto.pk}" checked' in html  # what the member chose stays
    assert ">Merci</textarea>" in html
    assert not Payment.objects.exists()


def test_a_method_deactivated_meanwhile_is_refused_in_french(browser, monthly, transfer):
    PaymentMethodFactory(kind=PaymentKind.PAYPAL)
    transfer.is_active = False
    transfer.save()

    html = text(declare(browser, plan=monthly.pk, payment_method=transfer.pk))

    assert errors_of(html, "payment_method") == [
        "Ce moyen de paiement n&#x27;existe pas ou n&#x27;est plus proposé : choisissez-en un autre."
    ]


def test_a_throttled_member_reads_when_to_try_again(browser, member, monthly, transfer, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "payment_declare": "1/hour"}
    declare(browser, plan=monthly.pk, payment_method=None)  # refused, but it counts

    response = declare(browser, plan=monthly.pk, payment_method=transfer.pk)

    assert response.status_code == 429
    assert re.search(r"Trop de tentatives\. Réessayez dans \d+ secondes\.", errors_of(text(response), "form")[0])
    assert not Payment.objects.exists()


def test_an_incomplete_profile_lists_what_is_missing_with_links_and_keeps_the_plan(client, monthly, transfer):
    client.force_login(UnverifiedUserFactory())

    html = text(client.get(f"{URL}?formule=mensuel"))
    response = client.post(URL, {"plan": monthly.pk, "payment_method": transfer.pk, "idempotency_key": "k"})

    assert 'data-slug="mensuel"' in html  # the chosen plan is still shown
    assert 'href="/espace/profil/#id_first_name"' in html and 'href="/espace/profil/#id_telegram_username"' in html
    assert 'data-field="email_verified"' in html
    assert 'name="payment_method"' not in html
    assert response.status_code == 302
    assert "Complétez votre profil avant de payer" in text(client.get(URL))
    assert not Payment.objects.exists()


def test_a_nul_byte_in_the_hidden_key_asks_to_reload(browser, monthly, transfer):
    response = declare(browser, plan=monthly.pk, payment_method=transfer.pk, idempotency_key="a\x00b")

    assert response.status_code == 400
    assert errors_of(text(response), "form") == ["Requête invalide : rechargez la page et recommencez."]
    assert not Payment.objects.exists()


# --- cancelling ---------------------------------------------------------------------------------------------


def test_the_member_cancels_the_pending_payment_and_may_declare_again(browser, member, monthly, transfer):
    payment = PaymentFactory(user=member, plan=monthly, payment_method=transfer)

    response = browser.post(f"/espace/paiements/{payment.pk}/annuler/")

    assert response.status_code == 302 and response["Location"] == URL
    payment.refresh_from_db()
    assert (payment.status, payment.cancelled_by) == (Payment.Status.CANCELLED, member)
    html = text(browser.get(URL))
    assert f"Paiement {payment.code} annulé." in html
    assert 'id="declare"' in html and 'id="pending"' not in html
    assert '<span class="badge badge-cancelled">Annulé</span>' in html


def test_cancelling_a_confirmed_payment_is_refused_in_french(browser, member, monthly, transfer):
    payment = PaymentFactory(user=member, plan=monthly, payment_method=transfer, status=Payment.Status.CONFIRMED)

    browser.post(f"/espace/paiements/{payment.pk}/annuler/")

    payment.refresh_from_db()
    assert payment.status == Payment.Status.CONFIRMED
    assert "Ce paiement est déjà confirmé. Seul un paiement en attente peut être annulé." in text(browser.get(URL))


def test_another_members_payment_cannot_be_cancelled_nor_its_proof_seen_or_replaced(browser, monthly):
    other = PaymentFactory(user=UserFactory(), plan=monthly)
    owner = Client()
    owner.force_login(other.user)
    assert upload(owner, other, png_bytes()).status_code == 302

    cancel = browser.post(f"/espace/paiements/{other.pk}/annuler/")
    seen = browser.get(f"/espace/paiements/{other.pk}/preuve/")
    replaced = upload(browser, other, png_bytes())

    assert (cancel.status_code, seen.status_code, replaced.status_code) == (404, 404, 404)
    other.refresh_from_db()
    assert other.status == Payment.Status.PENDING
    assert owner.get(f"/espace/paiements/{other.pk}/preuve/").status_code == 200


def test_cancelling_takes_a_post(browser, member, monthly):
    payment = PaymentFactory(user=member, plan=monthly)

    assert browser.get(f"/espace/paiements/{payment.pk}/annuler/").status_code == 405
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING


# --- proof of payment ---------------------------------------------------------------------------------------


def test_a_png_proof_is_received_and_shown_to_its_owner(browser, member, monthly, private_media):
    payment = PaymentFactory(user=member, plan=monthly)
    image = png_bytes()

    response = upload(browser, payment, image)

    assert response.status_code == 302 and response["Location"] == f"{URL}#preuve"
    payment.refresh_from_db()
    assert payment.proof_type == "image/png"
    html = text(browser.get(URL))
    assert "Preuve reçue" in html
    assert f'href="/espace/paiements/{payment.pk}/preuve/"' in html and "Remplacer la preuve" in html
    shown = browser.get(f"/espace/paiements/{payment.pk}/preuve/")
    assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
    assert shown["X-Content-Type-Options"] == "nosniff"
    assert b"".join(shown.streaming_content) == image


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        pytest.param(
            b"Ceci est un recu, promis.\n",
            "recu.pdf",
            "Fichier refusé : envoyez une image PNG ou JPEG, ou un PDF, lisible et non endommagé.",
            id="text-named-pdf",
        ),
        pytest.param(
            b"%PDF-" + b"0" * MAX_PROOF_BYTES, "gros.pdf", "Fichier trop volumineux : 5 Mo au maximum.", id="5mb-and-5"
        ),
        pytest.param(
            b"%PDF-" + b"0" * (MAX_PROOF_BYTES * 2),
            "enorme.pdf",
            "Fichier trop volumineux : 5 Mo au maximum.",
            id="10mb-refused-unread",
        ),
        pytest.param(b"", "vide.png", "Ce fichier est vide : choisissez-en un autre.", id="empty"),
    ],
)
def test_a_bad_proof_is_refused_in_french_next_to_the_file_field(
    browser, member, monthly, private_media, content, name, message
):
    payment = PaymentFactory(user=member, plan=monthly)

    response = upload(browser, payment, content, name=name)

    html = text(response)
    assert response.status_code == 400
    assert errors_of(html, "file") == [message.replace("'", "&#x27;")]
    assert 'id="pending"' in html  # the page is still the pending payment's
    payment.refresh_from_db()
    assert payment.proof_name == ""
    assert not private_media.exists() or not any(private_media.rglob("*.*"))


def test_sending_the_proof_form_without_a_file_says_what_to_choose(browser, member, monthly):
    payment = PaymentFactory(user=member, plan=monthly)

    response = browser.post(f"/espace/paiements/{payment.pk}/preuve/", {})

    assert response.status_code == 400
    assert "Choisissez un fichier" in errors_of(text(response), "file")[0]


def test_a_proof_for_a_payment_no_longer_pending_is_refused_in_french(browser, member, monthly):
    payment = PaymentFactory(user=member, plan=monthly, status=Payment.Status.CANCELLED)

    response = upload(browser, payment, png_bytes(), follow=True)

    assert "Ce paiement est déjà annulé. La preuve ne peut plus être modifiée." in text(response)
    payment.refresh_from_db()
    assert payment.proof_name == ""


def test_proof_uploads_share_the_apis_budget_per_member(browser, member, monthly, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "payment_proof": "1/hour"}
    payment = PaymentFactory(user=member, plan=monthly)
    assert upload(browser, payment, png_bytes()).status_code == 302

    response = upload(browser, payment, png_bytes())

    assert response.status_code == 429
    assert errors_of(text(response), "file")[0].startswith("Trop de tentatives.")


def test_a_proof_form_without_its_csrf_token_is_refused_and_spends_no_upload(member, monthly, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "payment_proof": "1/hour"}
    payment = PaymentFactory(user=member, plan=monthly)
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)

    forged = [upload(client, payment, png_bytes()).status_code for _ in range(3)]

    assert forged == [403, 403, 403]
    payment.refresh_from_db()
    assert payment.proof_name == ""
    page = client.get(URL)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text(page)).group(1)

    sent = client.post(
        f"/espace/paiements/{payment.pk}/preuve/",
        {"file": SimpleUploadedFile("p.png", png_bytes()), "csrfmiddlewaretoken": token},
    )
    assert sent.status_code == 302  # the member's own upload still has its budget


# --- history ------------------------------------------------------------------------------------------------


def test_the_history_shows_each_payment_with_its_status_in_french(browser, member, monthly, transfer):
    confirmed = PaymentFactory(user=member, plan=monthly, payment_method=transfer)
    payment_confirm(payment=confirmed, by=None)
    rejected = PaymentFactory(user=member, plan=monthly, payment_method=transfer)
    payment_reject(payment=rejected, by=None, reason="Virement introuvable")
    old = PaymentFactory(user=member, plan=monthly, payment_method=None, method=PaymentKind.PAYPAL)
    Payment.objects.filter(pk=old.pk).update(status=Payment.Status.CANCELLED)

    html = text(browser.get(URL))

    rows = re.findall(r'<tr data-code="([^"]+)">(.*?)</tr>', html, re.S)
    assert [code for code, _ in rows] == [old.code, rejected.code, confirmed.code]
    cells = dict(rows)
    assert f"49,00{NBSP}€" in cells[confirmed.code] and "Virement SEPA" in cells[confirmed.code]
    assert '<span class="badge badge-confirmed">Confirmé</span>' in cells[confirmed.code]
    assert '<span class="badge badge-rejected">Rejeté</span>' in cells[rejected.code]
    assert "Motif : Virement introuvable" in cells[rejected.code]
    assert '<span class="badge badge-cancelled">Annulé</span>' in cells[old.code] and "PayPal" in cells[old.code]
    assert "Motif" not in cells[confirmed.code]


def test_the_page_takes_the_same_queries_whatever_the_history(browser, member, monthly, transfer,
                                                               django_assert_num_queries):  # fmt: skip
    PaymentFactory(user=member, plan=monthly, payment_method=transfer)
    browser.get(URL)  # the session's first read
    with django_assert_num_queries(5) as few:  # session, member, pending payment, history count, history page
        browser.get(URL)
    for _ in range(30):
        PaymentFactory(user=member, plan=PlanFactory(), payment_method=PaymentMethodFactory(),
                       status=Payment.Status.CANCELLED)  # fmt: skip

    with django_assert_num_queries(len(few.captured_queries)):
        response = browser.get(URL)

    assert text(response).count("<tr data-code=") == 20  # paginated


def test_the_checkout_takes_the_same_queries_whatever_the_plans_and_methods(browser, member,
                                                                            django_assert_num_queries):  # fmt: skip
    PlanFactory()
    PaymentMethodFactory()
    browser.get(URL)
    with django_assert_num_queries(6) as few:  # session, member, pending payment, history count, plans, methods
        browser.get(URL)
    for _ in range(4):
        PlanFactory()
        PaymentMethodFactory(kind=PaymentKind.CRYPTO)
    PaymentFactory(user=member, status=Payment.Status.CANCELLED)

    with django_assert_num_queries(len(few.captured_queries) + 1):  # the history's page, now that it has a row
        browser.get(URL)


# --- e-mails ------------------------------------------------------------------------------------------------


def test_the_payment_emails_write_amounts_with_the_money_filter(member, transfer, django_capture_on_commit_callbacks):
    big = PlanFactory(name="Annuel", price="1449.50", currency="EUR")
    confirmed = PaymentFactory(user=member, plan=big, payment_method=transfer)
    with django_capture_on_commit_callbacks(execute=True):
        payment_confirm(payment=confirmed, by=None)
    rejected = PaymentFactory(user=member, plan=PlanFactory(currency="USD", price="100.00"), payment_method=transfer)
    with django_capture_on_commit_callbacks(execute=True):
        payment_reject(payment=rejected, by=None, reason="Montant incomplet")

    confirmation, rejection = mail.outbox
    for message in (confirmation, rejection):
        for body in (message.body, message.alternatives[0][0]):
            assert "1449.50" not in body and "EUR" not in body and "100.00" not in body
    assert f"1{NBSP}449,50{NBSP}€" in confirmation.body and confirmed.code in confirmation.body
    assert f"1{NBSP}449,50{NBSP}€" in confirmation.alternatives[0][0]
    assert f"100,00{NBSP}USD" in rejection.body and f"100,00{NBSP}USD" in rejection.alternatives[0][0]
