import factory

from accounts.tests.factories import UserFactory
from payments.models import Payment, PaymentKind, PaymentMethod
from subscriptions.tests.factories import PlanFactory

# Well-formed details for each kind (the IBAN and the TRON address are the demo seed's: nobody's money).
DETAILS = {
    PaymentKind.BANK_TRANSFER: {
        "iban": "FR7630006000011234567890189",
        "bic": "DEMOFRPPXXX",
        "holder": "CalmnessFi",
        "bank": "Banque de test",
    },
    PaymentKind.PAYPAL: {"address": "paiements@example.com"},
    PaymentKind.CRYPTO: {"network": "TRC20", "address": "TG7Uz21UfGtY2s6w9eQ2sxfw35iDu4fUMo"},
    PaymentKind.MOBILE_MONEY: {"operator": "Orange Money", "number": "+2250707070707"},
    PaymentKind.CASH: {"place": "Bureau CalmnessFi"},
    PaymentKind.CARD: {},
}


class PaymentMethodFactory(factory.django.DjangoModelFactory):
    """An active method of `kind` with valid details and instructions using every placeholder."""

    class Meta:
        model = PaymentMethod

    kind = PaymentKind.BANK_TRANSFER
    label = factory.Sequence(lambda n: f"Moyen de paiement {n}")
    details = factory.LazyAttribute(lambda o: dict(DETAILS[PaymentKind(o.kind)]))
    instructions = "Payez {amount} {currency} pour la formule {plan} avec le code {code}."
    is_active = True
    position = factory.Sequence(lambda n: n)


class PaymentFactory(factory.django.DjangoModelFactory):
    """A pending payment declared for a plan, amount and currency taken from it, with a method of its own."""

    class Meta:
        model = Payment

    user = factory.SubFactory(UserFactory)
    plan = factory.SubFactory(PlanFactory)
    payment_method = factory.SubFactory(PaymentMethodFactory)
    amount = factory.LazyAttribute(lambda o: o.plan.price)
    currency = factory.LazyAttribute(lambda o: o.plan.currency)
    method = factory.LazyAttribute(lambda o: o.payment_method.kind if o.payment_method else PaymentKind.BANK_TRANSFER)
    reference = factory.Sequence(lambda n: f"VIR-{n:06d}")
    status = Payment.Status.PENDING
