import factory

from accounts.tests.factories import UserFactory
from payments.models import Payment
from subscriptions.tests.factories import PlanFactory


class PaymentFactory(factory.django.DjangoModelFactory):
    """A pending payment declared for a plan, amount and currency taken from it."""

    class Meta:
        model = Payment

    user = factory.SubFactory(UserFactory)
    plan = factory.SubFactory(PlanFactory)
    amount = factory.LazyAttribute(lambda o: o.plan.price)
    currency = factory.LazyAttribute(lambda o: o.plan.currency)
    method = Payment.Method.BANK_TRANSFER
    reference = factory.Sequence(lambda n: f"VIR-{n:06d}")
    status = Payment.Status.PENDING
