from billing.models import StripeCustomer
from billing.tests.stripe_signing import CUSTOMER_ID
from payments.models import Payment
from payments.tests.factories import PaymentFactory


def payment_with_customer(**fields) -> Payment:
    """A pending payment whose member has the Stripe customer the hand-made sessions of stripe_signing name: the
    checkout handlers settle a session only for the member whose customer it is."""
    payment: Payment = PaymentFactory.create(**fields)
    StripeCustomer.objects.create(user=payment.user, customer_id=CUSTOMER_ID)
    return payment
