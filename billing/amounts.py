"""Amounts as Stripe writes them: integers in the currency's minor unit (cents). One place for the conversion, both
ways (currencies without decimals, such as JPY, are not handled: docs/architecture/stripe.md, "Not yet")."""

from decimal import Decimal

CENT = Decimal("0.01")


def stripe_cents(amount) -> int:
    """Our Decimal amount (two decimal places in the database) as Stripe's integer: exact."""
    return int(Decimal(str(amount)) * 100)


def from_stripe_cents(cents) -> Decimal:
    """Stripe's integer amount (`amount_paid`, `amount_refunded`…) as our Decimal with two decimal places."""
    return (Decimal(int(cents or 0)) / 100).quantize(CENT)
