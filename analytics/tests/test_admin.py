"""The admins' "Tableau de bord" page and the CSV exports of the member and payment lists."""

import csv
import io

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.models import User
from accounts.tests.factories import UserFactory
from analytics.tests import dataset
from payments.models import Payment
from payments.tests.factories import PaymentFactory
from tests.test_content_security_policy import inline_code

pytestmark = pytest.mark.django_db

URL = "/admin/tableau-de-bord/"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def page() -> str:
    with time_machine.travel(dataset.NOW, tick=False):
        dataset.build()
        response = logged_in(UserFactory(is_staff=True)).get(URL)
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_shows_the_figures_in_french(page):
    assert "<h1>Tableau de bord</h1>" in page
    assert "Membres actifs" in page and '<strong class="analytics-card-value">3</strong>' in page
    assert "90,58" in page and "30,44" in page  # MRR in EUR and in USD, apart
    assert "50.0 %" in page or "50,0 %" in page  # renewal rate
    assert "Rétention par cohorte" in page and "janv. 26" in page


def test_the_charts_are_inline_svg_with_no_inline_script_or_style(page):
    assert page.count('<svg viewBox="0 0 640 240" role="img"') == 3  # revenue in EUR, in USD; members
    assert "<title>Mensuel, mars 26 : 98</title>" in page
    assert inline_code(page) == []
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page


def test_the_admin_index_links_the_dashboard():
    response = logged_in(UserFactory(is_staff=True, is_superuser=True)).get("/admin/")

    assert f'href="{URL}"' in response.content.decode()


def test_a_member_and_an_anonymous_visitor_are_sent_to_the_admin_login():
    for client in (Client(), logged_in(UserFactory())):
        response = client.get(URL)

        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:]), delimiter=";"))


def test_members_export_streams_the_selected_members_with_formulas_neutralised():
    admin_client = logged_in(UserFactory(is_staff=True, is_superuser=True))
    tricky = UserFactory(first_name='=HYPERLINK("http://x")', last_name="Dupont")
    other = UserFactory()

    response = admin_client.post(
        "/admin/accounts/user/",
        {"action": "members_export_csv", "_selected_action": [tricky.pk, other.pk]},
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="membres-')
    header, *rows = read_csv(response)
    assert header[:4] == ["id", "e-mail", "prénom", "nom"]
    assert [row[1] for row in rows] == [tricky.email, other.email]
    assert rows[0][2] == '\'=HYPERLINK("http://x")'
    assert User.objects.count() == 3


def test_payments_export_has_french_labels_decimal_commas_and_refunds():
    admin_client = logged_in(UserFactory(is_staff=True, is_superuser=True))
    with time_machine.travel(dataset.NOW, tick=False):
        dataset.build()
    selected = list(Payment.objects.values_list("pk", flat=True))

    response = admin_client.post(
        "/admin/payments/payment/", {"action": "payments_export_csv", "_selected_action": selected}
    )

    header, *rows = read_csv(response)
    assert header == [
        "code",
        "déclaré le",
        "statut",
        "confirmé le",
        "membre",
        "formule",
        "montant",
        "devise",
        "moyen",
        "référence",
        "remboursé",
        "remboursé le",
    ]
    assert len(rows) == len(selected) == 11
    refunded = [row for row in rows if row[2] == "Remboursé"]
    assert [(row[5], row[6], row[8], row[10], row[11]) for row in refunded] == [
        ("Mensuel", "49,00", "Virement bancaire", "49,00", "2026-04-05 12:00")
    ]
    # Alice's first payment: 28 February 23:30 UTC is 1 March 00:30 in Paris.
    assert any(row[3] == "2026-03-01 00:30" for row in rows)


@pytest.mark.parametrize(
    ("list_url", "action", "model_name"),
    [
        ("/admin/accounts/user/", "members_export_csv", "user"),
        ("/admin/payments/payment/", "payments_export_csv", "payment"),
    ],
)
def test_exports_need_the_change_permission_not_only_view(list_url, action, model_name):
    staff = UserFactory(is_staff=True)
    payment = PaymentFactory(user=staff) if model_name == "payment" else None
    pk = payment.pk if payment else staff.pk
    client = logged_in(staff)
    staff.user_permissions.add(Permission.objects.get(codename=f"view_{model_name}"))

    refused = client.post(list_url, {"action": action, "_selected_action": [pk]})

    assert not refused.streaming and refused.status_code in (200, 302)
    staff.user_permissions.add(Permission.objects.get(codename=f"change_{model_name}"))
    staff = User.objects.get(pk=staff.pk)  # permissions are cached on the user object
    allowed = logged_in(staff).post(list_url, {"action": action, "_selected_action": [pk]})
    assert allowed.streaming and allowed["Content-Type"] == "text/csv; charset=utf-8"
