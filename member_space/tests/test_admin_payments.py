"""The admin's side of payments (issue 15): the index opens on the payments to check, the payment's page shows its
member and proof, a confirmation says what became of the member's channel access (real sync through the fake
Telegram and Discord servers), the list finds a payment by its code."""

import time
from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.timezone import localtime
from PIL import Image

from accounts.tests.factories import UserFactory
from channels_sync.models import ChannelMembership, Platform
from channels_sync.tests.factories import link_discord, link_telegram, membership
from core import clock
from member_space.admin import MemberPaymentAdmin
from payments.admin import time_ago
from payments.models import Payment
from payments.services import payment_proof_attach
from payments.tests.factories import PaymentFactory, PaymentMethodFactory
from subscriptions.models import Subscription
from subscriptions.tests.factories import PlanFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")
CHANGELIST = reverse("admin:payments_payment_changelist")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def png() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def change_url(payment) -> str:
    return reverse("admin:payments_payment_change", args=[payment.pk])


def confirm_url(payment) -> str:
    return reverse("admin:payments_payment_confirm", args=[payment.pk])


def reject_url(payment) -> str:
    return reverse("admin:payments_payment_reject", args=[payment.pk])


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private_media"


def staff_with(client, *codenames: str) -> Client:
    staff = UserFactory.create(is_staff=True)
    for codename in codenames:
        staff.user_permissions.add(Permission.objects.get(content_type__app_label="payments", codename=codename))
    client.force_login(staff)
    return client


def declared(hours_ago: float, **fields) -> Payment:
    """A pending payment declared `hours_ago` hours ago."""
    with time_machine.travel(clock.now() - timedelta(hours=hours_ago), tick=False):
        return PaymentFactory.create(**fields)


# -- the index ------------------------------------------------------------------------------------------------


def test_the_index_lists_pending_payments_oldest_first_with_count_totals_and_buttons(admin_client):
    newest = declared(0.5, user=UserFactory(first_name="Ada", last_name="Lovelace"))
    oldest = declared(26, plan=PlanFactory(price=Decimal("1234.50")))
    middle = declared(3, plan=PlanFactory(price=Decimal("20.00"), currency="USD"))
    PaymentFactory(status=Payment.Status.CONFIRMED)  # decided: not listed

    page = admin_client.get(INDEX).content.decode()

    panel = page[page.index('class="payment-review"') : page.index("</section>")]
    assert "3 en attente · 1\xa0283,50\xa0€ · 20,00\xa0USD" in panel  # totals by currency, codes in order
    assert [panel.index(p.code) for p in (oldest, middle, newest)] == sorted(
        panel.index(p.code) for p in (oldest, middle, newest)
    )
    assert "il y a 26 h" in panel and "il y a 3 h" in panel and "il y a 30 min" in panel
    assert "Ada Lovelace" in panel and newest.user.email in panel
    assert reverse("admin:accounts_user_change", args=[newest.user_id]) in panel
    assert "1\xa0234,50\xa0€" in panel and oldest.payment_method.label in panel
    assert panel.count("Confirmer</button>") == 3 and panel.count(">Rejeter</a>") == 3
    assert confirm_url(oldest) in panel and f"{reject_url(oldest)}?next=/admin/" in panel
    assert 'name="csrfmiddlewaretoken"' in panel
    assert f"{CHANGELIST}?status__exact=pending" in panel and "Voir tous les paiements en attente (3)" in panel
    assert "aucune" in panel  # no proof attached


def test_the_index_shows_a_proof_thumbnail_or_a_pdf_link(admin_client):
    with_image, with_pdf = PaymentFactory(), PaymentFactory()
    payment_proof_attach(payment=with_image, content=png())
    payment_proof_attach(payment=with_pdf, content=PDF)
    image_url = reverse("admin:payments_payment_proof", args=[with_image.pk])
    pdf_url = reverse("admin:payments_payment_proof", args=[with_pdf.pk])

    page = admin_client.get(INDEX).content.decode()

    assert f'<img src="{image_url}"' in page
    assert f'href="{pdf_url}"' in page and f'<img src="{pdf_url}"' not in page
    assert admin_client.get(image_url)["Content-Type"] == "image/png"


def test_the_index_lists_at_most_20_and_links_to_all_of_them(admin_client):
    payments = [declared(hours) for hours in range(22, 0, -1)]  # oldest first

    page = admin_client.get(INDEX).content.decode()

    assert "22 en attente" in page and "Voir tous les paiements en attente (22)" in page
    assert all(payment.code in page for payment in payments[:20])
    assert payments[20].code not in page and payments[21].code not in page


def test_view_only_staff_see_the_pending_payments_without_buttons(client):
    payment = PaymentFactory()
    staff_client = staff_with(client, "view_payment")

    page = staff_client.get(INDEX).content.decode()

    assert payment.code in page and "Paiements à vérifier" in page
    assert confirm_url(payment) not in page and reject_url(payment) not in page
    assert "Confirmer</button>" not in page


def test_staff_with_the_change_permission_see_the_buttons_and_staff_without_payments_no_panel(client):
    payment = PaymentFactory()
    page = staff_with(client, "view_payment", "change_payment").get(INDEX).content.decode()
    assert confirm_url(payment) in page and reject_url(payment) in page

    other = Client()
    other.force_login(UserFactory(is_staff=True))
    assert "Paiements à vérifier" not in other.get(INDEX).content.decode()


def test_the_index_says_when_nothing_waits(admin_client):
    PaymentFactory(status=Payment.Status.REJECTED)

    page = admin_client.get(INDEX).content.decode()

    assert "Aucun paiement en attente" in page and "Voir tous les paiements en attente" not in page


def _index_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(INDEX).status_code == 200
    return len(queries)


def test_the_index_costs_the_same_queries_for_1_and_10_pending_payments(client):
    staff_client = staff_with(client, "view_payment", "change_payment")
    PaymentFactory()
    staff_client.get(INDEX)  # the session and the permissions' caches, as for any page after the first
    one = _index_queries(staff_client)

    PaymentFactory.create_batch(9)
    ten = _index_queries(staff_client)

    assert "10 en attente" in staff_client.get(INDEX).content.decode()
    assert one == ten


def test_the_index_says_which_platforms_are_not_configured(client, admin_client, settings, fake_telegram):
    settings.DISCORD_BOT_TOKEN = ""

    page = admin_client.get(INDEX).content.decode()

    assert "Discord : non configuré sur ce serveur" in page
    assert "Telegram : non configuré" not in page


def test_a_confirmation_from_the_index_comes_back_to_the_index(admin_client):
    payment = PaymentFactory()

    response = admin_client.post(confirm_url(payment), {"next": INDEX})
    elsewhere = admin_client.post(confirm_url(PaymentFactory()), {"next": "https://ailleurs.example/"})

    assert response.status_code == 302 and response["Location"] == INDEX
    assert elsewhere["Location"] != "https://ailleurs.example/"  # only pages of this site
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.CONFIRMED


def test_a_rejection_from_the_index_keeps_next_and_comes_back(admin_client):
    payment = PaymentFactory()

    form = admin_client.get(reject_url(payment), {"next": INDEX}).content.decode()
    response = admin_client.post(reject_url(payment), {"reason": "Aucun virement reçu", "next": INDEX})

    assert 'name="next" value="/admin/"' in form and payment.code in form
    assert response["Location"] == INDEX
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.REJECTED


# -- the payment's page ------------------------------------------------------------------------------------------


def test_the_payment_page_shows_the_member_their_access_history_and_coverage(admin_client, member):
    member.whatsapp_number = "+33612345678"
    member.save(update_fields=["whatsapp_number"])
    earlier = PaymentFactory(user=member, status=Payment.Status.CONFIRMED)
    refused = PaymentFactory(user=member, status=Payment.Status.REJECTED)
    current = SubscriptionFactory(user=member, plan=PlanFactory(name="Trimestriel", duration_days=90))
    queued = SubscriptionFactory(user=member, starts_at=current.ends_at)
    link_telegram(member, 4242)
    ChannelMembership.objects.filter(user=member, platform=Platform.TELEGRAM).update(
        state=ChannelMembership.State.INVITED, has_access=True, invite_link="https://t.me/+invitation-4242"
    )
    payment = PaymentFactory(user=member)

    page = admin_client.get(change_url(payment)).content.decode()

    panel = page[page.index("payment-member-panel") :]
    assert "Marie Curie" in panel and member.email in panel and "+33612345678" in panel
    assert "4242" in panel and "Invité" in panel and "https://t.me/+invitation-4242" in panel
    assert "Discord" in panel and "compte non lié" in panel
    assert earlier.code in panel and refused.code in panel and "Rejeté" in panel
    assert f"Trimestriel, jusqu'au {localtime(current.ends_at):%d/%m/%Y}" in panel
    assert f"{localtime(queued.ends_at):%d/%m/%Y %H:%M}" in panel  # the coverage ends with the queued renewal


def test_the_payment_page_has_large_buttons_and_no_save_button(admin_client):
    payment = PaymentFactory()

    page = admin_client.get(change_url(payment)).content.decode()

    assert "payment-button-confirm" in page and confirm_url(payment) in page and reject_url(payment) in page
    assert 'name="_save"' not in page and 'name="_continue"' not in page
    assert 'name="reference"' not in page and 'name="note"' not in page  # a record: nothing to edit
    assert admin_client.post(change_url(payment), {"reference": "changée"}).status_code == 403
    assert Payment.objects.get(pk=payment.pk).reference == payment.reference


def test_the_payment_page_previews_an_image_proof_inline_and_links_a_pdf(admin_client):
    image_payment, pdf_payment = PaymentFactory(), PaymentFactory()
    payment_proof_attach(payment=image_payment, content=png())
    payment_proof_attach(payment=pdf_payment, content=PDF)

    image_page = admin_client.get(change_url(image_payment)).content.decode()
    pdf_page = admin_client.get(change_url(pdf_payment)).content.decode()

    image_proof = reverse("admin:payments_payment_proof", args=[image_payment.pk])
    pdf_proof = reverse("admin:payments_payment_proof", args=[pdf_payment.pk])
    assert f'<img src="{image_proof}"' in image_page
    assert f'href="{pdf_proof}"' in pdf_page and "<img" not in pdf_page[pdf_page.index("payment-proof") :]
    assert "Ouvrir la preuve" in pdf_page


def test_a_payment_without_proof_says_so(admin_client):
    page = admin_client.get(change_url(PaymentFactory())).content.decode()

    assert "aucune : le membre n'a pas joint de preuve." in page


def test_a_decided_payment_shows_its_decision_and_no_buttons(admin_client):
    payment = PaymentFactory(
        status=Payment.Status.REJECTED, rejected_at=clock.now(), rejection_reason="Montant incomplet"
    )

    page = admin_client.get(change_url(payment)).content.decode()

    assert "Montant incomplet" in page and "Rejeté" in page
    assert confirm_url(payment) not in page


# -- confirming says what became of the member's access (the task runs at commit: ImmediateBackend) -------------


def _confirm(client, payment) -> str:
    response = client.post(confirm_url(payment), follow=True)
    [message] = messages_of(response)
    return message


@pytest.mark.django_db(transaction=True)
def test_confirming_says_the_telegram_invite_left_and_the_member_was_added_to_discord(
    admin_client, member, fake_telegram, fake_discord
):
    link_telegram(member, 5551)
    link_discord(member, fake_discord, "400000000000000001")
    payment = PaymentFactory(user=member)

    message = _confirm(admin_client, payment)

    assert message.startswith("Paiement confirmé : abonnement du")
    assert "Accès aux canaux — invitation Telegram envoyée ; ajouté au serveur Discord." in message
    [invite] = fake_telegram.messages
    assert invite["chat_id"] == 5551
    assert membership(member, Platform.TELEGRAM).state == ChannelMembership.State.INVITED
    assert membership(member, Platform.DISCORD).state == ChannelMembership.State.MEMBER


@pytest.mark.django_db(transaction=True)
def test_confirming_for_a_member_without_linked_accounts_says_access_follows_the_link(
    admin_client, member, fake_telegram, fake_discord
):
    payment = PaymentFactory(user=member)

    message = _confirm(admin_client, payment)

    assert (
        "le membre n'a pas encore lié son compte Telegram : l'invitation partira dès la liaison ; "
        "le membre n'a pas encore lié son compte Discord : l'ajout se fera dès la liaison." in message
    )
    assert fake_telegram.messages == []


@pytest.mark.django_db(transaction=True)
def test_confirming_on_a_server_without_platforms_says_so(admin_client, member):
    link_telegram(member, 5551)

    message = _confirm(admin_client, PaymentFactory(user=member))

    assert "Telegram : plateforme non configurée ; Discord : plateforme non configurée." in message


@pytest.mark.django_db(transaction=True)
def test_confirming_a_plan_without_discord_says_it_is_not_included(admin_client, member, fake_telegram, fake_discord):
    link_telegram(member, 5551)
    link_discord(member, fake_discord, "400000000000000001")

    message = _confirm(admin_client, PaymentFactory(user=member, plan=PlanFactory(grants_discord=False)))

    assert "invitation Telegram envoyée ; Discord : non inclus dans la formule." in message


@pytest.mark.django_db(transaction=True)
def test_access_not_granted_within_the_wait_is_left_to_the_next_sync(admin_client, member, fake_telegram, monkeypatch):
    # Another sync run holds the member's row: the task skips it, and the wait ends without the invitation.
    link_telegram(member, 5551)
    ChannelMembership.objects.filter(user=member, platform=Platform.TELEGRAM).update(
        lease_owner="another-run", lease_until=clock.now() + timedelta(minutes=10)
    )
    monkeypatch.setattr(MemberPaymentAdmin, "access_wait_seconds", 0.5)
    monkeypatch.setattr(MemberPaymentAdmin, "access_poll_seconds", 0.1)

    started = time.monotonic()
    message = _confirm(admin_client, PaymentFactory(user=member))
    waited = time.monotonic() - started

    assert "Telegram : sera fait par la prochaine synchronisation" in message
    assert fake_telegram.messages == []
    assert 0.5 <= waited < 3  # waited, but no longer than allowed


@pytest.mark.django_db(transaction=True)
def test_a_refused_member_reads_as_action_required(admin_client, member, fake_telegram, fake_discord):
    link_discord(member, fake_discord, "400000000000000002")
    fake_discord.ban(user_id="400000000000000002")

    message = _confirm(admin_client, PaymentFactory(user=member, plan=PlanFactory(grants_telegram=False)))

    assert "Discord : action requise (Banni du serveur)" in message


@pytest.mark.django_db(transaction=True)
def test_the_list_action_sums_the_outcomes_up_in_one_message(admin_client, fake_telegram, fake_discord):
    linked, unlinked = UserFactory(), UserFactory()
    link_telegram(linked, 5551)
    plan = PlanFactory(grants_discord=False)
    payments = [PaymentFactory(user=linked, plan=plan), PaymentFactory(user=unlinked, plan=plan)]

    response = admin_client.post(
        CHANGELIST, {"action": "confirm_selected", ACTION_CHECKBOX_NAME: [p.pk for p in payments]}, follow=True
    )

    [message] = messages_of(response)
    assert message.startswith("2 paiements confirmés. Accès aux canaux — ")
    assert "invitation Telegram envoyée (1 membre)" in message
    assert (
        "le membre n'a pas encore lié son compte Telegram : l'invitation partira dès la liaison (1 membre)" in message
    )
    assert "Discord : non inclus dans la formule (2 membres)" in message
    assert Subscription.objects.count() == 2


# -- the list ----------------------------------------------------------------------------------------------------


def test_the_list_finds_a_payment_by_its_code_without_prefix_or_case(admin_client):
    wanted, _other = PaymentFactory(), PaymentFactory()

    response = admin_client.get(CHANGELIST, {"q": wanted.code.removeprefix("CFI-").lower()})

    assert list(response.context["cl"].result_list) == [wanted]


def test_the_list_shows_code_member_money_method_status_age_and_proof_pending_oldest_first(admin_client):
    method = PaymentMethodFactory(label="Virement SEPA")
    recent = declared(2, payment_method=method)
    old = declared(50)
    confirmed_old = declared(100, status=Payment.Status.CONFIRMED)
    confirmed_new = declared(1, status=Payment.Status.CONFIRMED)
    payment_proof_attach(payment=recent, content=png())

    response = admin_client.get(CHANGELIST)

    assert list(response.context["cl"].result_list) == [old, recent, confirmed_new, confirmed_old]
    page = response.content.decode()
    assert recent.code in page and recent.user.email in page and "Marie Curie" in page
    assert "49,00\xa0€" in page and "Virement SEPA" in page and "En attente" in page
    assert "il y a 2 h" in page and "il y a 2 jours" in page
    assert 'alt="True"' in page and 'alt="False"' in page  # proof yes / no


def test_time_ago_reads_minutes_hours_then_days():
    now = clock.now()

    assert time_ago(now - timedelta(seconds=20), now=now) == "à l'instant"
    assert time_ago(now - timedelta(minutes=59), now=now) == "il y a 59 min"
    assert time_ago(now - timedelta(hours=3, minutes=50), now=now) == "il y a 3 h"
    assert time_ago(now - timedelta(hours=47), now=now) == "il y a 47 h"
    assert time_ago(now - timedelta(days=5, hours=2), now=now) == "il y a 5 jours"
