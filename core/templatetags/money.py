"""`{{ amount|money:currency }}`: an amount as a French reader writes it, on every page and e-mail that shows one.

"49,00 €", "1 234,50 €", "100,00 USD": two decimals after a comma, thousands grouped, and a non-breaking space
(U+00A0, as Django's French locale groups thousands) so the figure and its currency never split over two lines.
Only the euro has its symbol; other currencies keep their ISO 4217 code, which no reader can mistake.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()

NBSP = "\xa0"
CURRENCY_SYMBOLS = {"EUR": "€"}
CENT = Decimal("0.01")
# Python groups with "," and separates decimals with "."; French writes a (non-breaking) space and a comma.
TO_FRENCH = str.maketrans({",": NBSP, ".": ","})


def format_money(amount, currency: str = "EUR") -> str:
    """The French writing of `amount` (a Decimal, or its text as the API gives it) in `currency`."""
    try:
        value = Decimal(str(amount)).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {amount!r}") from exc
    figure = f"{value:,.2f}".translate(TO_FRENCH)
    return f"{figure}{NBSP}{currency_symbol(currency)}"


def currency_symbol(currency: str) -> str:
    """ "€" for the euro, the ISO 4217 code for any other currency."""
    code = (currency or "EUR").upper()
    return CURRENCY_SYMBOLS.get(code, code)


@register.filter
def money(amount, currency: str = "EUR") -> str:
    """An empty amount shows as a dash, like the pages' other missing figures."""
    if amount is None or amount == "":
        return "—"
    return format_money(amount, currency)
