"""Payment methods: every check in PaymentMethod.clean() (payments/validators.py), the admin's form, the demo seed."""

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from payments.models import DETAIL_FIELDS, PaymentKind, PaymentMethod
from payments.tests.factories import DETAILS, PaymentFactory, PaymentMethodFactory

pytestmark = pytest.mark.django_db

TRON = "TG7Uz21UfGtY2s6w9eQ2sxfw35iDu4fUMo"


def errors_of(kind: str, details, instructions: str = "") -> dict:
    method = PaymentMethod(kind=kind, label="Test", details=details, instructions=instructions)
    try:
        method.full_clean()
    except ValidationError as exc:
        return exc.message_dict
    return {}


@pytest.mark.parametrize("kind", list(PaymentKind))
def test_each_kinds_sample_details_are_valid(kind):
    assert errors_of(kind, dict(DETAILS[kind])) == {}


def test_details_are_normalised():
    method = PaymentMethod(
        kind=PaymentKind.BANK_TRANSFER,
        label="Virement",
        details={"iban": "fr76 3000 6000 0112 3456 7890 189", "bic": "demo fr pp", "holder": " A  B ", "bank": "C"},
    )
    method.full_clean()
    assert method.details == {"iban": "FR7630006000011234567890189", "bic": "DEMOFRPP", "holder": "A B", "bank": "C"}


@pytest.mark.parametrize(
    ("kind", "details", "key", "message"),
    [
        (PaymentKind.BANK_TRANSFER, {**DETAILS[PaymentKind.BANK_TRANSFER], "iban": "FR7630006000011234567890188"},
         "iban", "IBAN invalide"),
        (PaymentKind.BANK_TRANSFER, {**DETAILS[PaymentKind.BANK_TRANSFER], "iban": "FR76300060000112345678901"},
         "iban", "IBAN invalide"),
        (PaymentKind.BANK_TRANSFER, {**DETAILS[PaymentKind.BANK_TRANSFER], "bic": "DEMO12PP"}, "bic", "BIC invalide"),
        (PaymentKind.BANK_TRANSFER, {**DETAILS[PaymentKind.BANK_TRANSFER], "holder": "  "}, "holder", "obligatoire"),
        (PaymentKind.PAYPAL, {"address": "pas-un-email"}, "address", "Adresse PayPal invalide"),
        (PaymentKind.CRYPTO, {"network": "TRC20", "address": TRON[:-1] + "p"}, "address", "réseau TRC20"),
        (PaymentKind.CRYPTO, {"network": "TRC20", "address": "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"}, "address",
         "commençant par T"),
        (PaymentKind.CRYPTO, {"network": "ERC20", "address": TRON}, "address", "0x suivi de 40"),
        (PaymentKind.CRYPTO, {"network": "ERC20", "address": "0x" + "g" * 40}, "address", "réseau ERC20"),
        (PaymentKind.CRYPTO, {"network": "BTC", "address": "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5"}, "address",
         "réseau BTC"),
        (PaymentKind.CRYPTO, {"network": "BTC", "address": "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3"}, "address",
         "réseau BTC"),
        (PaymentKind.CRYPTO, {"network": "SOL", "address": TRON}, "network", "Réseau inconnu"),
        (PaymentKind.MOBILE_MONEY, {"operator": "Wave", "number": "0707"}, "number", "Numéro invalide"),
        (PaymentKind.CASH, {}, "place", "obligatoire"),
        (PaymentKind.CARD, {"iban": "x"}, "details", "Champ inconnu pour ce type : iban."),
        (PaymentKind.PAYPAL, ["a@example.com"], "details", "objet JSON"),
    ],
)  # fmt: skip
def test_wrong_details_are_refused_in_french_naming_the_detail(kind, details, key, message):
    errors = errors_of(kind, details)

    assert list(errors) == [key]
    assert message in errors[key][0]


@pytest.mark.parametrize(
    "address",
    [
        "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",  # pay to public key hash
        "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",  # pay to script hash
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",  # segwit v0 (bech32)
        "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",  # BIP-173 vector, upper case
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",  # taproot (bech32m, BIP-350)
    ],
)
def test_bitcoin_addresses_of_every_kind_are_accepted(address):
    assert errors_of(PaymentKind.CRYPTO, {"network": "BTC", "address": address}) == {}


@pytest.mark.parametrize("network", ["ERC20", "BEP20"])
def test_ethereum_style_addresses_are_accepted_for_erc20_and_bep20(network):
    address = "0x52908400098527886E0F7030069857D2E4169EE7"
    assert errors_of(PaymentKind.CRYPTO, {"network": network, "address": address}) == {}


def test_a_segwit_v0_address_with_a_bech32m_checksum_is_refused():
    details = {"network": "BTC", "address": "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh"}  # BIP-350 invalid vector
    assert "address" in errors_of(PaymentKind.CRYPTO, details)


def test_the_four_placeholders_are_accepted_and_a_lone_brace_stays_text():
    instructions = "Payez {amount} {currency} ({plan}), code {code}. Une accolade seule : {"
    assert errors_of(PaymentKind.CARD, {}, instructions) == {}


def test_an_unknown_placeholder_is_refused_in_french():
    errors = errors_of(PaymentKind.CARD, {}, "Payez {montant} {currency} avec {x} et {code}")

    assert errors == {
        "instructions": [
            "Variable inconnue dans les instructions : {montant}, {x}. "
            "Variables possibles : {amount}, {currency}, {code}, {plan}."
        ]
    }


# -- the admin ---------------------------------------------------------------------------------------------------

ADD = reverse("admin:payments_paymentmethod_add")
CHANGELIST = reverse("admin:payments_paymentmethod_changelist")
EMPTY_DETAILS = dict.fromkeys(
    ["iban", "bic", "holder", "bank", "address", "network", "operator", "number", "place"], ""
)


def form_data(**values) -> dict:
    return {"label": "Virement", "kind": "bank_transfer", "is_active": "on", "position": "1", "instructions": "",
            **EMPTY_DETAILS, **values}  # fmt: skip


def test_the_admin_creates_a_bank_transfer_from_plain_fields(admin_client):
    response = admin_client.post(
        ADD,
        form_data(
            iban="FR76 3000 6000 0112 3456 7890 189",
            bic="demofrpp",
            holder="CalmnessFi",
            bank="Banque",
            address="ignoré@example.com",  # another kind's field: not kept
            instructions="Virez {amount} {currency} avec le code {code}.",
        ),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    method = PaymentMethod.objects.get(label="Virement")
    assert method.details == {"iban": "FR7630006000011234567890189", "bic": "DEMOFRPP", "holder": "CalmnessFi",
                              "bank": "Banque"}  # fmt: skip


def test_the_admin_shows_each_error_next_to_its_field(admin_client):
    response = admin_client.post(
        ADD, form_data(iban="FR7630006000011234567890188", bic="DEMOFRPP", holder="", bank="B", instructions="{x}")
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "IBAN invalide" in errors["iban"][0]
    assert errors["holder"] == ["Ce champ est obligatoire."]
    assert "Variable inconnue" in errors["instructions"][0]
    assert not PaymentMethod.objects.exists()


def test_the_admin_creates_a_crypto_method_and_refuses_an_address_of_another_network(admin_client):
    refused = admin_client.post(ADD, form_data(label="USDT", kind="crypto", network="ERC20", address=TRON))
    created = admin_client.post(ADD, form_data(label="USDT", kind="crypto", network="TRC20", address=TRON))

    assert "réseau ERC20" in refused.context["adminform"].form.errors["address"][0]
    assert created.status_code == 302
    assert PaymentMethod.objects.get().details == {"network": "TRC20", "address": TRON}


def test_the_admin_change_form_shows_the_stored_details(admin_client):
    method = PaymentMethodFactory(kind=PaymentKind.MOBILE_MONEY)

    page = admin_client.get(reverse("admin:payments_paymentmethod_change", args=[method.pk]))

    form = page.context["adminform"].form
    assert form.initial["operator"] == "Orange Money" and form.initial["number"] == "+2250707070707"


def test_the_admin_list_edits_position_and_active_in_place(admin_client):
    method = PaymentMethodFactory(position=5)

    page = admin_client.get(CHANGELIST)
    response = admin_client.post(
        CHANGELIST,
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(method.pk),
            "form-0-position": "2",
            "_save": "Enregistrer",
        },
    )

    assert page.status_code == 200 and method.label in page.content.decode()
    assert response.status_code == 302
    method.refresh_from_db()
    assert (method.position, method.is_active) == (2, False)


def test_a_method_used_by_a_payment_is_not_deleted_by_the_admin(admin_client):
    method = PaymentFactory().payment_method
    unused = PaymentMethodFactory()

    admin_client.post(reverse("admin:payments_paymentmethod_delete", args=[method.pk]), {"post": "yes"})
    admin_client.post(reverse("admin:payments_paymentmethod_delete", args=[unused.pk]), {"post": "yes"})

    assert PaymentMethod.objects.filter(pk=method.pk).exists()
    assert not PaymentMethod.objects.filter(pk=unused.pk).exists()


# -- the demo command --------------------------------------------------------------------------------------------


def test_the_demo_command_refuses_without_debug(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG est désactivé"):
        call_command("create_demo_payment_methods", stdout=StringIO())

    assert not PaymentMethod.objects.exists()


def test_the_demo_command_creates_the_methods_once(settings):
    settings.DEBUG = True
    first, second = StringIO(), StringIO()

    call_command("create_demo_payment_methods", stdout=first)
    call_command("create_demo_payment_methods", stdout=second)

    assert "Moyens de paiement de démonstration : 2 créés, 0 déjà présent." in first.getvalue()
    assert "Moyens de paiement de démonstration : 0 créé, 2 déjà présents." in second.getvalue()
    assert PaymentMethod.objects.count() == 2


def test_the_admin_form_has_a_field_for_every_detail_of_every_kind():
    from payments.admin import PaymentMethodForm

    keys = {field.key for fields in DETAIL_FIELDS.values() for field in fields}
    assert keys <= set(PaymentMethodForm.base_fields)
