"""HT, TVA and TTC from the amount paid: one rule, in Decimal, rounded once."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Amounts:
    excl_tax: Decimal
    vat: Decimal
    incl_tax: Decimal


def amounts_from_incl_tax(*, incl_tax: Decimal, vat_rate: Decimal) -> Amounts:
    """The amount paid is the TTC; HT = TTC / (1 + rate) rounded half up to the cent, and TVA the rest, so HT + TVA
    is always exactly what was paid (49.00 at 20 % → 40.83 + 8.17). A rate of 0 gives HT = TTC, TVA = 0."""
    excl_tax = (incl_tax / (1 + vat_rate / 100)).quantize(CENT, rounding=ROUND_HALF_UP)
    return Amounts(excl_tax=excl_tax, vat=incl_tax - excl_tax, incl_tax=incl_tax)
